"""The demo geography: hierarchy, exact tiling, plausible numbers, determinism, sampling."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.builder import GRID_COLUMNS, REGION_COLUMNS, build_geography
from geodata.loaders import available_cities, city_key, load_boundaries
from geodata.sampling import PointSampler

UTM = "EPSG:32651"
LEVELS = ("city", "county", "town", "village")
KINDS = {"地级市", "市辖区", "县", "县级市", "功能区", "街道", "镇", "乡", "社区", "村"}


@pytest.fixture(scope="module")
def geo():
    return build_geography()


@pytest.fixture(scope="module")
def regions(geo):
    return geo.regions


@pytest.fixture(scope="module")
def grids(geo):
    return geo.grids


@pytest.fixture(scope="module")
def regions_utm(regions):
    return regions.to_crs(UTM)


@pytest.fixture(scope="module")
def grids_utm(grids):
    return grids.to_crs(UTM)


def geometry_hash(frame: gpd.GeoDataFrame) -> str:
    return hashlib.sha256(b"".join(frame.geometry.to_wkb())).hexdigest()


def parent_geometries(children: pd.Series, parents: gpd.GeoDataFrame) -> np.ndarray:
    """The parent geometry of each child, looked up by 12-digit code."""
    by_code = parents.set_index("code").geometry
    return by_code.loc[children.to_numpy()].to_numpy()


def test_columns_and_crs(regions, grids):
    assert list(regions.columns) == list(REGION_COLUMNS)
    assert list(grids.columns) == list(GRID_COLUMNS)
    assert regions.crs == "EPSG:4326" and grids.crs == "EPSG:4326"
    assert regions["urban"].dtype == bool and grids["urban"].dtype == bool
    for frame in (regions, grids):
        assert pd.api.types.is_integer_dtype(frame["population"])
        assert pd.api.types.is_integer_dtype(frame["households"])
        assert frame[["area_km2", "lon", "lat"]].notna().all().all()


def test_counts(regions, grids):
    counts = regions["level"].value_counts().to_dict()
    assert counts == {"city": 1, "county": 8, "town": 136, "village": 2005}
    assert 8_000 <= len(grids) <= 12_000
    per_village = grids.groupby("village_code").size()
    assert len(per_village) == 2005
    assert per_village.between(3, 12).all()
    assert regions["code"].is_unique and grids["code"].is_unique


def test_code_formats(regions, grids):
    assert regions["code"].str.fullmatch(r"\d{12}").all()
    assert grids["code"].str.fullmatch(r"\d{15}").all()
    width = regions["level"].map({"city": 4, "county": 6, "town": 9, "village": 12})
    assert (regions["short_code"].str.len() == width).all()
    padded = regions["short_code"].str.ljust(12, "0")
    assert (padded == regions["code"]).all()
    city = regions[regions["level"] == "city"].iloc[0]
    assert (city["code"], city["short_code"], city["parent_code"]) == ("320600000000", "3206", None)


def test_codes_nest_by_prefix(regions, grids):
    info = regions.set_index("code")
    children = regions[regions["level"] != "city"]
    parent = info.loc[children["parent_code"].to_numpy()]
    assert all(c.startswith(p) for c, p in zip(children["code"], parent["short_code"], strict=True))
    expected_parent_level = children["level"].map(dict(zip(LEVELS[1:], LEVELS[:-1], strict=True)))
    assert (parent["level"].to_numpy() == expected_parent_level.to_numpy()).all()

    assert (grids["code"].str[:12] == grids["village_code"]).all()
    assert grids["village_code"].isin(regions.loc[regions["level"] == "village", "code"]).all()
    sequence = grids["code"].str[12:].astype(int)
    expected = grids.groupby("village_code").cumcount() + 1
    assert (sequence == expected).all()


def test_real_names_and_kinds(regions, grids):
    name = regions.set_index("code")["name"]
    assert name["320613000000"] == "崇川区"
    assert name["320613002000"] == "和平桥街道"
    assert name["320613001001"] == "德民社区居委会"
    assert name["320671000000"] == "南通经济技术开发区"
    assert set(regions["kind"]) <= KINDS
    kind = regions.set_index("code")["kind"]
    assert (kind["320671000000"], kind["320681000000"], kind["320623000000"]) == (
        "功能区",
        "县级市",
        "县",
    )
    assert (regions.loc[regions["kind"].isin(["街道"]), "urban"]).all()
    assert not (regions.loc[regions["kind"].isin(["镇", "乡", "村"]), "urban"]).any()
    assert grids.loc[grids["code"] == "320613001001003", "name"].item() == "德民社区第3网格"
    assert grids["name"].str.fullmatch(r".+(社区|村|区)第\d+网格").all()


def test_workers_are_plausible(grids):
    assert grids["worker_phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert grids["worker_name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    assert grids["worker_name"].nunique() > 1000


def test_polygons_valid_and_polygonal(regions, grids):
    for frame in (regions, grids):
        assert frame.is_valid.all()
        assert not frame.is_empty.any()
        assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (grids.geom_type == "Polygon").all()
    assert (regions.loc[regions["level"] != "city", "geometry"].geom_type == "Polygon").all()


def test_children_lie_inside_parents(regions_utm, grids_utm):
    children = regions_utm[regions_utm["level"] != "city"]
    outside = shapely.difference(
        children.geometry.values, parent_geometries(children["parent_code"], regions_utm)
    )
    assert (shapely.area(outside) <= 1e-6 * children.area.to_numpy()).all()

    outside = shapely.difference(
        grids_utm.geometry.values, parent_geometries(grids_utm["village_code"], regions_utm)
    )
    assert (shapely.area(outside) <= 1e-6 * grids_utm.area.to_numpy()).all()


def test_areas_sum_to_parent(regions_utm, grids_utm):
    area = regions_utm.set_index("code").area
    children = regions_utm[regions_utm["level"] != "city"]
    summed = children.area.groupby(children["parent_code"].to_numpy()).sum()
    assert np.allclose(summed, area.loc[summed.index], rtol=1e-3, atol=0)
    summed = grids_utm.area.groupby(grids_utm["village_code"].to_numpy()).sum()
    assert np.allclose(summed, area.loc[summed.index], rtol=1e-3, atol=0)


def test_area_column_is_utm_area(regions, regions_utm, grids, grids_utm):
    assert np.allclose(regions["area_km2"], regions_utm.area / 1e6, rtol=1e-9)
    assert np.allclose(grids["area_km2"], grids_utm.area / 1e6, rtol=1e-9)
    city = regions.loc[regions["level"] == "city", "area_km2"].item()
    assert 8_000 < city < 10_500


def test_siblings_do_not_overlap(regions_utm, grids_utm):
    groups = [
        *regions_utm[regions_utm["level"] != "city"].groupby("parent_code").geometry,
        *grids_utm.groupby("village_code").geometry,
    ]
    for _, siblings in groups:
        total = siblings.area.sum()
        union = shapely.union_all(siblings.to_numpy()).area
        assert abs(total - union) <= 1e-4 * total

    geoms = grids_utm.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert overlap.sum() <= 1e-9 * shapely.area(geoms).sum()


def test_every_level_is_an_edge_matched_coverage(regions, grids):
    assert shapely.coverage_is_valid(grids.geometry.values)
    for level in LEVELS[1:]:
        assert shapely.coverage_is_valid(regions.loc[regions["level"] == level].geometry.values)


def test_real_polygons_kept_and_zone_carved(regions):
    real = load_boundaries().set_index("code").geometry
    mine = regions.set_index("short_code").geometry
    for code, geom in real.items():
        key = "3206" if code == "320600" else code
        if key == "320613":
            continue
        assert shapely.symmetric_difference(mine[key], geom).area <= 1e-9 * geom.area

    host, zone = mine["320613"], mine["320671"]
    together = shapely.union(host, zone)
    assert shapely.symmetric_difference(together, real["320613"]).area <= 1e-9 * together.area
    assert host.geom_type == "Polygon" and zone.geom_type == "Polygon"
    assert 0.15 < zone.area / together.area < 0.6
    centre = real["320613"].centroid
    assert zone.centroid.x > centre.x and zone.centroid.y < centre.y


def test_populations_sum_down_the_tree(regions, grids):
    info = regions.set_index("code")
    for column in ("population", "households"):
        children = regions[regions["level"] != "city"]
        summed = children.groupby("parent_code")[column].sum()
        assert (summed == info.loc[summed.index, column]).all()
        summed = grids.groupby("village_code")[column].sum()
        assert (summed == info.loc[summed.index, column]).all()
    assert (grids["population"] > 0).all() and (grids["households"] > 0).all()


def test_populations_plausible(regions, grids):
    county = regions[regions["level"] == "county"].set_index("name")["population"]
    assert county["崇川区"] + county["南通经济技术开发区"] == 1_550_000
    assert county["南通经济技术开发区"] == 250_000
    assert 7_500_000 < county.sum() < 8_000_000
    villages = regions[regions["level"] == "village"]
    size = villages["population"] / villages["households"]
    assert size.between(2.2, 3.1).all()
    assert 150 <= grids["households"].median() <= 500


def test_urban_units_are_denser(regions):
    density = regions.set_index("name").eval("population / area_km2")
    assert density["崇川区"] > 3 * density["如东县"]
    villages = regions[regions["level"] == "village"]
    village_density = villages["population"] / villages["area_km2"]
    urban = village_density[villages["urban"]].median()
    rural = village_density[~villages["urban"]].median()
    assert urban > 2 * rural
    assert (
        villages.loc[villages["urban"], "area_km2"].median()
        < villages.loc[~villages["urban"], "area_km2"].median()
    )


def test_label_points_inside(regions, grids):
    for frame in (regions, grids):
        assert shapely.contains_xy(frame.geometry.values, frame["lon"], frame["lat"]).all()


def test_same_seed_is_byte_identical_and_other_seed_differs(geo):
    again = build_geography(seed=20231)
    assert geometry_hash(again.regions) == geometry_hash(geo.regions)
    assert geometry_hash(again.grids) == geometry_hash(geo.grids)
    pd.testing.assert_frame_equal(again.regions.drop(columns="geometry"),
                                  geo.regions.drop(columns="geometry"))  # fmt: skip
    pd.testing.assert_frame_equal(again.grids.drop(columns="geometry"),
                                  geo.grids.drop(columns="geometry"))  # fmt: skip

    other = build_geography(seed=7)
    assert geometry_hash(other.grids) != geometry_hash(geo.grids)
    towns = geo.regions["level"] == "town"
    assert geometry_hash(other.regions[towns]) != geometry_hash(geo.regions[towns])
    assert list(other.regions["code"]) == list(geo.regions["code"])


def test_unknown_city_raises():
    with pytest.raises(ValueError, match=r"available city codes: 3206"):
        build_geography("3201")
    assert available_cities() == ("3206",)
    assert city_key("320600") == city_key("320600000000") == "3206"


def test_load_boundaries():
    boundaries = load_boundaries("3206")
    assert boundaries.crs == "EPSG:4326"
    assert list(boundaries.columns) == ["code", "name", "level", "geometry"]
    assert len(boundaries) == 8 and boundaries.is_valid.all()
    assert set(boundaries["level"]) == {"city", "county"}


def test_sampler_points_inside_their_polygons(grids):
    sampler = PointSampler(grids.geometry)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(grids), 200_000)
    lon, lat = sampler.sample(idx, rng)
    assert shapely.contains_xy(grids.geometry.values[idx], lon, lat).all()


def test_sampler_is_uniform_in_a_concave_polygon(regions):
    chongchuan = regions.loc[regions["short_code"] == "320613"]
    towns = regions[regions["parent_code"] == "320613000000"]
    sampler = PointSampler(chongchuan.geometry)
    n = 200_000
    lon, lat = sampler.sample(np.zeros(n, dtype=int), np.random.default_rng(2))
    share = shapely.contains_xy(towns.geometry.to_numpy()[:, None], lon, lat).mean(axis=1)
    expected = shapely.area(towns.geometry.values) / shapely.area(chongchuan.geometry.values)
    assert np.abs(share - expected).max() < 0.01
    assert share.sum() == pytest.approx(1.0, abs=1e-3)


def test_sampler_is_vectorised_and_checks_input(grids):
    sampler = PointSampler(grids.geometry.values)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, len(grids), 1_000_000)
    lon, lat = sampler.sample(idx, rng)
    assert lon.shape == lat.shape == (1_000_000,)
    with pytest.raises(IndexError):
        sampler.sample(np.array([len(grids)]), rng)
    with pytest.raises(ValueError):
        PointSampler([shapely.Point(0, 0)])


def test_sampler_same_rng_same_points(grids):
    sampler = PointSampler(grids.geometry)
    idx = np.arange(100)
    first = sampler.sample(idx, np.random.default_rng(5))
    second = sampler.sample(idx, np.random.default_rng(5))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
