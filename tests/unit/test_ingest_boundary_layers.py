"""Boundary files of a foreign city, as its portals export them: each file with its own
level, fields and CRS; a file's declared CRS wins over --crs; a projected GeoJSON without a
crs member is a clear error (no traceback, no store); a layer that does not lie inside its
parent layer after reprojection is an error, not a store; the store's time zone.

The fixtures are modelled on a US city's open-data exports: wards as GeoJSON in CRS84 with a
``crs`` member (fields WARD, NAME), precincts in Illinois East state-plane US-survey feet
(EPSG:3435) as GeoJSON *without* a ``crs`` member (fields PRECINCT, WARD, NAME) and as a
Shapefile with its .prj (DBF field names of at most 10 characters).
"""

from __future__ import annotations

import json

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping

from dashboard.cli import main
from dashboard.ingest.boundaries import Layer, import_boundaries, parse_layer
from dashboard.ingest.readers import FileError

X0, Y0, W = -87.72, 41.84, 0.04  # two wards side by side on the West Side, two precincts each
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
TO_FEET = Transformer.from_crs("EPSG:4326", "EPSG:3435", always_xy=True)


def _wards():
    return [(str(w + 1), f"Ward {w + 1}", box(X0 + w * W, Y0, X0 + (w + 1) * W, Y0 + W))
            for w in range(2)]


def _precincts():
    rows = []
    for w in range(2):
        for p in range(2):
            x = X0 + w * W + p * W / 2
            rows.append((f"{w + 1:02d}{p + 1:03d}", str(w + 1), f"Ward {w + 1} Precinct {p + 1}",
                         box(x, Y0, x + W / 2, Y0 + W)))
    return rows


def _feet(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_FEET.transform(xy[:, 0],
                                                                               xy[:, 1])))


def _geojson(path, features, crs=None):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)}
        for props, geom in features]}
    if crs is not None:
        doc["crs"] = crs
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def write_city(d):
    """wards.geojson (CRS84, crs member), precincts.geojson (EPSG:3435 feet, no crs member),
    precincts.shp (EPSG:3435 with .prj)."""
    wards = _geojson(d / "wards.geojson", [({"WARD": code, "NAME": name}, g)
                                           for code, name, g in _wards()], crs=CRS84)
    prec = _precincts()
    precincts = _geojson(d / "precincts.geojson",
                         [({"PRECINCT": c, "WARD": w, "NAME": n}, _feet(g))
                          for c, w, n, g in prec])
    gpd.GeoDataFrame(pd.DataFrame({"PRECINCT": [c for c, *_ in prec],
                                   "WARD": [w for _, w, *_ in prec],
                                   "PREC_NAME": [n for *_, n, _ in prec]}),
                     geometry=[_feet(g) for *_, g in prec], crs="EPSG:3435").to_file(
        d / "precincts.shp")
    return wards, precincts


def _grids(con):
    rows = con.execute("SELECT m.source_code, g.geometry, g.area_km2 FROM grids AS g "
                       "JOIN code_map AS m ON m.code = g.code ORDER BY 1").fetchall()
    return {c: (shapely.from_wkb(bytes(wkb)), a) for c, wkb, a in rows}


def _check_store(out, zone="America/Chicago"):
    with duckdb.connect(str(out), read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert meta["timezone"] == zone
        grids = _grids(con)
        wards = dict(con.execute("SELECT m.source_code, r.name FROM regions AS r JOIN code_map "
                                 "AS m ON m.code = r.code WHERE m.level <> 'grid'").fetchall())
    assert wards == {"1": "Ward 1", "2": "Ward 2"}
    want = {c: g for c, _, _, g in _precincts()}
    assert set(grids) == set(want)
    for code, (geom, area) in grids.items():
        # back from state-plane feet to the lon/lat they were made from
        assert geom.symmetric_difference(want[code]).area < 1e-9, code
        # 0.02° x 0.04° at 41.86°N: about 1.66 km x 4.45 km
        assert area == pytest.approx(0.02 * 111.32 * np.cos(np.radians(41.86)) * 0.04 * 111.0,
                                     rel=0.01)


def test_layer_arguments_parse():
    ly = parse_layer("precincts.geojson:level=precinct,code=PRECINCT,name=NAME,crs=EPSG:3435")
    assert ly == Layer(ly.path, level="precinct", code_field="PRECINCT", name_field="NAME",
                       crs="EPSG:3435") and ly.path.name == "precincts.geojson"
    assert parse_layer("wards.geojson") == Layer(ly.path.with_name("wards.geojson"))
    with pytest.raises(FileError, match="unknown key 'cod'"):
        parse_layer("wards.geojson:cod=WARD")


def test_declared_crs_wins_over_the_global_one(tmp_path, capsys):
    """The issue's case: --crs EPSG:3435 for the precincts (no crs member) used to be applied
    to the CRS84 wards as well, and the store was built with the wards in the ocean."""
    wards, precincts = write_city(tmp_path)
    out = tmp_path / "chicago.duckdb"
    assert main(["import", "boundaries", "--out", str(out), "--quiet", "--crs", "EPSG:3435",
                 "--timezone", "America/Chicago", "--area-name", "Chicago",
                 f"{wards}:level=ward,code=WARD,name=NAME",
                 f"{precincts}:level=precinct,code=PRECINCT,name=NAME"]) == 0
    printed = capsys.readouterr().out
    assert "wards.geojson: EPSG:4326 (declared by the file)" in printed
    assert "precincts.geojson: EPSG:3435 (--crs)" in printed
    assert "America/Chicago" in printed
    _check_store(out)


def test_per_file_options_on_the_command_line_and_in_a_spec(tmp_path):
    wards, precincts = write_city(tmp_path)
    cli = tmp_path / "cli.duckdb"
    assert main(["import", "boundaries", "--out", str(cli), "--quiet", "--timezone",
                 "America/Chicago", f"{wards}:level=ward,code=WARD,name=NAME",
                 f"{precincts}:level=precinct,code=PRECINCT,name=NAME,crs=EPSG:3435"]) == 0
    _check_store(cli)
    # the same from a TOML spec, the precincts from the Shapefile (its .prj declares the
    # CRS), parents by the WARD attribute, paths relative to the spec
    sub = tmp_path / "spec"
    sub.mkdir()
    (sub / "boundaries.toml").write_text("""
timezone = "America/Chicago"
area_name = "Chicago"
[[layers]]
file = "../wards.geojson"
level = "ward"
code_field = "WARD"
name_field = "NAME"
[[layers]]
file = "../precincts.shp"
level = "precinct"
code_field = "PRECINCT"
name_field = "PREC_NAME"
parent_field = "WARD"
""", encoding="utf-8")
    spec = tmp_path / "spec.duckdb"
    assert main(["import", "boundaries", "--spec", str(sub / "boundaries.toml"),
                 "--out", str(spec), "--quiet"]) == 0
    _check_store(spec)
    with duckdb.connect(str(spec), read_only=True) as con:
        parents = dict(con.execute(
            "SELECT m.source_code, p.source_code FROM grids AS g "
            "JOIN code_map AS m ON m.code = g.code "
            "JOIN code_map AS p ON p.code = g.village_code[:6] || '000000' "
            "WHERE p.level <> 'grid'").fetchall())
    assert parents == {"01001": "1", "01002": "1", "02001": "2", "02002": "2"}


def test_projected_geojson_without_crs_member_is_a_clear_error(tmp_path, capsys):
    """It used to be read as lon/lat and die with a traceback (NOT NULL constraint failed:
    grids.area_km2); now: the file, a sample coordinate and how to declare it, exit 2."""
    wards, precincts = write_city(tmp_path)
    out = tmp_path / "x.duckdb"
    code = main(["import", "boundaries", "--out", str(out), "--quiet",
                 f"{wards}:level=ward,code=WARD,name=NAME",
                 f"{precincts}:level=precinct,code=PRECINCT,name=NAME"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "precincts.geojson: coordinates such as (" in err
    assert "are not longitude/latitude" in err
    assert "precincts.geojson:crs=EPSG:xxxx" in err and "[[layers]]" in err
    sample = err.split("coordinates such as (")[1].split(")")[0]
    x, y = (float(v) for v in sample.split(", "))
    assert 1.1e6 < x < 1.2e6 and 1.8e6 < y < 2.0e6  # state-plane feet of the West Side
    assert not out.exists()


def test_a_layer_outside_its_parent_layer_is_an_error(tmp_path):
    """A file given the wrong CRS lands far from its parent layer: an error naming both
    files and the count, even when the parents come from an attribute (no spatial step)."""
    wards, precincts = write_city(tmp_path)
    out = tmp_path / "x.duckdb"
    for parent_field in (None, "WARD"):
        with pytest.raises(FileError) as err:
            import_boundaries([
                Layer(wards, level="ward", code_field="WARD", name_field="NAME"),
                Layer(precincts, level="precinct", code_field="PRECINCT", name_field="NAME",
                      parent_field=parent_field, crs="EPSG:3436")],  # Illinois West
                out, area_name="Chicago")
        text = str(err.value)
        assert "4 of 4 precinct features (precincts.geojson) lie outside the ward layer " \
               "(wards.geojson)" in text and "No store was written" in text
    # one precinct drawn mostly outside its ward (a quarter of it inside): caught by area
    prec = _precincts()
    c, w, n, g = prec[3]
    prec[3] = (c, w, n, shapely.affinity.translate(g, W * 0.375, 0))
    _geojson(tmp_path / "shifted.geojson", [({"PRECINCT": c, "WARD": w, "NAME": n}, g)
                                            for c, w, n, g in prec], crs=CRS84)
    with pytest.raises(FileError, match=r"1 of 4 precinct features .* e\.g\. \['02002'\]"):
        import_boundaries([Layer(wards, level="ward", code_field="WARD", name_field="NAME"),
                           Layer(tmp_path / "shifted.geojson", level="precinct",
                                 code_field="PRECINCT", name_field="NAME",
                                 parent_field="WARD")], out)
    assert not out.exists()


def test_geojson_crs_member_in_feet_is_honoured(tmp_path):
    _geojson(tmp_path / "w.geojson", [({"WARD": c, "NAME": n}, _feet(g)) for c, n, g in _wards()],
             crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3435"}})
    _geojson(tmp_path / "p.geojson", [({"PRECINCT": c, "NAME": n}, g)
                                      for c, _, n, g in _precincts()], crs=CRS84)
    out = tmp_path / "ft.duckdb"
    rep = import_boundaries([f"{tmp_path / 'w.geojson'}:level=ward,code=WARD,name=NAME",
                             f"{tmp_path / 'p.geojson'}:level=precinct,code=PRECINCT,"
                             f"name=NAME"], out, timezone="America/Chicago")
    assert rep.counts == {"ward": 2, "precinct": 4}
    assert any("w.geojson: EPSG:3435 (declared by the file)" in c for c in rep.crs)
    _check_store(out)


def test_timezone_is_checked(tmp_path, capsys):
    wards, _ = write_city(tmp_path)
    out = tmp_path / "tz.duckdb"
    assert main(["import", "boundaries", "--out", str(out), "--quiet", "--timezone",
                 "Chicago", f"{wards}:level=ward,code=WARD,name=NAME",
                 f"{wards}:level=ward2,code=WARD,name=NAME"]) == 2
    assert "unknown time zone 'Chicago'" in capsys.readouterr().err
    assert not out.exists()
