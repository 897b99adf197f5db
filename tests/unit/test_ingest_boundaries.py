"""Boundaries of any area: four formats, declared/projected/offset CRSs, hierarchy by codes
or by containment, repair of invalid polygons, configurable levels; records then load."""

from __future__ import annotations

import json

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from dashboard.ingest import crs
from dashboard.ingest.boundaries import import_boundaries
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import FileError

X0, Y0, STEP = 120.80, 31.95, 0.02  # a small made-up city near Nantong


def _layers():
    """3 levels: 2 districts (区), 2 precincts (片区) each, 2 grids each."""
    districts, precincts, grids = [], [], []
    for d in range(2):
        x = X0 + d * 4 * STEP
        districts.append((f"D{d}", f"第{d}区", box(x, Y0, x + 4 * STEP, Y0 + 2 * STEP)))
        for p in range(2):
            px = x + p * 2 * STEP
            precincts.append((f"D{d}P{p}", f"第{d}区{p}片", box(px, Y0, px + 2 * STEP,
                                                               Y0 + 2 * STEP)))
            for g in range(2):
                gx = px + g * STEP
                grids.append((f"D{d}P{p}G{g}", f"网格{d}{p}{g}",
                              box(gx, Y0, gx + STEP, Y0 + 2 * STEP)))
    return [gpd.GeoDataFrame(pd.DataFrame(rows, columns=["code", "name", "geometry"]),
                             geometry="geometry", crs="EPSG:4326")
            for rows in (districts, precincts, grids)]


def test_four_formats_crs_and_hierarchy(tmp_path):
    districts, precincts, grids = _layers()
    for layer, name in ((districts, "district"), (precincts, "precinct"), (grids, "grid")):
        layer["level"] = name
    # districts as GeoJSON (EPSG:4326)
    districts.to_file(tmp_path / "districts.geojson", driver="GeoJSON")
    # precincts as a Shapefile in a projected CRS (CGCS2000 / 3-degree GK CM 120E)
    precincts.to_crs("EPSG:4549").to_file(tmp_path / "precincts.shp")
    # grids as GeoPackage + GeoParquet: codes that do not nest (parents found by
    # containment), one a self-intersecting bow-tie
    g = grids.copy()
    g["code"] = [f"W{i:03d}" for i in range(len(g))]
    x, y = X0 + STEP, Y0  # grid W001 drawn as a self-intersecting bow-tie over its cell
    g.loc[1, "geometry"] = Polygon([(x, y), (x + STEP, y + 2 * STEP), (x + STEP, y),
                                    (x, y + 2 * STEP)])
    g.iloc[:4].to_file(tmp_path / "grids_a.gpkg", driver="GPKG")
    g.iloc[4:].to_parquet(tmp_path / "grids_b.parquet")
    out = tmp_path / "city.duckdb"
    rep = import_boundaries([tmp_path / "districts.geojson", tmp_path / "precincts.shp",
                             tmp_path / "grids_a.gpkg", tmp_path / "grids_b.parquet"], out,
                            levels=["district", "precinct", "grid"], level_field="level")
    assert rep.counts == {"district": 2, "precinct": 4, "grid": 8}
    assert [c for c, _ in rep.repaired] == ["W001"] and "Self-intersection" in rep.repaired[0][1]
    assert rep.parent_by["code prefix"] == 4 and rep.parent_by["spatial containment"] == 8
    with duckdb.connect(str(out), read_only=True) as con:
        # codes that are not the five slots' digits get internal ones, mapped in code_map
        cm = dict(con.execute("SELECT source_code, code FROM code_map").fetchall())
        # a precinct's grids hang from its pass-through village (the village slot is unused)
        parents = dict(con.execute("SELECT g.code, r.parent_code FROM grids AS g "
                                   "JOIN regions AS r ON r.code = g.village_code").fetchall())
        assert parents[cm["W000"]] == cm["D0P0"] and parents[cm["W007"]] == cm["D1P1"]
        assert json.loads(con.execute("SELECT value FROM meta WHERE key = 'levels'"
                                      ).fetchone()[0]) == \
            {"4": "全市", "6": "district", "9": "precinct", "12": None, "15": "grid"}
        area = con.execute("SELECT area_km2 FROM regions WHERE code = $c",
                           {"c": cm["D0P0"]}).fetchone()[0]
        assert area == pytest.approx(2 * 0.02 * 111.0 * 2 * 0.02 * 94.5, rel=0.03)
        w001 = shapely.from_wkb(con.execute("SELECT geometry FROM grids WHERE code = $c",
                                            {"c": cm["W001"]}).fetchone()[0])
        assert w001.is_valid
    # records load into the new store, assigned to its grids by point-in-polygon
    recs = pd.DataFrame({"case_no": ["A1", "A2"], "source": "12345热线",
                         "category_code": "E0102", "lon": [X0 + 0.005, X0 + 7.5 * STEP],
                         "lat": [Y0 + 0.01, Y0 + 0.03], "reported_at": "2026-11-01 08:00:00"})
    recs.to_csv(tmp_path / "r.csv", index=False)
    with duckdb.connect(str(out)) as con:
        s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "r.csv"])
        assert s.inserted == 2, s.report()
        assert dict(con.execute("SELECT case_no, grid_code FROM incidents").fetchall()) == \
            {"A1": cm["W000"], "A2": cm["W007"]}


def test_gcj02_layer_converted_on_request(tmp_path):
    # grids drawn on an Amap-based tool (GCJ-02; GDAL still writes a CRS84 crs member),
    # precincts in WGS-84: the offset system is given for the grids' file alone
    _, precincts, grids = _layers()
    g = grids.copy()
    g["geometry"] = shapely.transform(g.geometry.values, lambda xy: np.column_stack(
        crs.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    g.to_file(tmp_path / "g.geojson", driver="GeoJSON")
    precincts.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    out = tmp_path / "gcj.duckdb"
    rep = import_boundaries([tmp_path / "p.geojson", f"{tmp_path / 'g.geojson'}:crs=gcj02"],
                            out, levels=["precinct", "grid"])
    assert any(c.startswith("g.geojson: gcj02 (given for the file)") for c in rep.crs)
    with duckdb.connect(str(out), read_only=True) as con:
        wkb = con.execute("SELECT g.geometry FROM grids AS g JOIN code_map AS m "
                          "ON m.code = g.code WHERE m.source_code = 'D0P0G0'").fetchone()[0]
    got = shapely.from_wkb(wkb)
    want = grids.geometry.iloc[0]
    assert got.symmetric_difference(want).area < 1e-10
    # without it the grids are read as the lon/lat their crs member claims: hundreds of
    # metres off their precincts, refused by the containment check
    with pytest.raises(FileError, match="lie outside the precinct layer"):
        import_boundaries([tmp_path / "p.geojson", tmp_path / "g.geojson"],
                          tmp_path / "x.duckdb", levels=["precinct", "grid"])


def test_unknown_and_missing_crs_store_nothing(tmp_path):
    districts, _, grids = _layers()
    districts.to_file(tmp_path / "d.geojson", driver="GeoJSON")
    grids.to_file(tmp_path / "g.geojson", driver="GeoJSON")
    out = tmp_path / "x.duckdb"
    with pytest.raises(FileError, match="unknown coordinate reference system"):
        import_boundaries([tmp_path / "d.geojson", tmp_path / "g.geojson"], out,
                          levels=["d", "g"], crs="EPSG:999999")
    nocrs = grids.set_crs(None, allow_override=True)
    nocrs.to_parquet(tmp_path / "nocrs.parquet")
    with pytest.raises(FileError, match="declares no coordinate reference system"):
        import_boundaries([tmp_path / "d.geojson", tmp_path / "nocrs.parquet"], out,
                          levels=["d", "g"])
    assert not out.exists()
