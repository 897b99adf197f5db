"""A city of three levels (district, precinct, grid) built from a small demo store.

Boundaries are written out of the demo (two of its counties as districts, their towns as
precincts, their grids as grids; villages and the city dropped) under source codes that
are not digits (D01, D01-P003, G00042) and without a parent field, and imported with
``--levels district,precinct,grid``; the demo's cases of those counties are then imported
naming the source grid codes (every other case) or only their points, plus two bad rows.
Used by ``tests/unit/test_levels.py`` and ``tests/integration/test_levels_callbacks.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.ingest.boundaries import import_boundaries
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping

COUNTIES = ("320671", "320685")  # the smallest two of the demo (≈1,450 grids together)
AREA = "开海新区"
CASE_COLUMNS = ("case_no", "source", "category_code", "grid_code", "lon", "lat",
                "reported_at", "registered_at", "dispatched_at", "handled_at", "verified_at",
                "closed_at", "deadline_at", "is_void")


def _layer(frame: pd.DataFrame, codes: dict) -> gpd.GeoDataFrame:
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry"]])
    return gpd.GeoDataFrame({"code": frame["code"].map(codes), "name": frame["name"]},
                            geometry=geoms, crs="EPSG:4326")


def build_city(ingest_store, tmp):
    """The three-level store built in ``tmp`` from the demo store ``ingest_store``.

    Returns a dict: ``path`` (the store), ``report`` (of the boundary import), ``src``
    (demo code → source code of every county, town and grid taken), ``cases`` (the
    exported cases with ``demo_grid`` and ``src_grid``), ``now`` (the demo's end),
    ``summary`` (of the record import), ``counties``, ``towns``, ``grids`` (demo rows).
    """
    with duckdb.connect(str(ingest_store), read_only=True) as con:
        regions = con.execute(
            "SELECT short_code AS code, level, name, geometry FROM regions "
            "WHERE level IN ('county', 'town') AND list_contains($c, substr(short_code, 1, 6)) "
            "ORDER BY short_code", {"c": list(COUNTIES)}).df()
        grids = con.execute(
            "SELECT code, name, geometry FROM grids "
            "WHERE list_contains($c, substr(code, 1, 6)) ORDER BY code",
            {"c": list(COUNTIES)}).df()
        cases = con.execute(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM incidents "
            "WHERE list_contains($c, substr(grid_code, 1, 6)) ORDER BY id",
            {"c": list(COUNTIES)}).df()
        now = datetime.fromisoformat(dict(con.execute(
            "SELECT key, value FROM meta").fetchall())["history_end"])
    counties = regions[regions["level"] == "county"]
    towns = regions[regions["level"] == "town"]
    src = {c: f"D{i:02d}" for i, c in enumerate(counties["code"], start=1)}
    for d in counties["code"]:
        for j, t in enumerate(towns.loc[towns["code"].str.startswith(d), "code"], start=1):
            src[t] = f"{src[d]}-P{j:03d}"
    src.update({g: f"G{k:05d}" for k, g in enumerate(grids["code"], start=1)})
    files = []
    for name, frame in (("districts", counties), ("precincts", towns), ("grids", grids)):
        path = tmp / f"{name}.geojson"
        _layer(frame, src).to_file(path, driver="GeoJSON")
        files.append(path)
    out = tmp / "three.duckdb"
    report = import_boundaries(files, out, levels=["district", "precinct", "grid"],
                               area_name=AREA)

    # the cases, every other one naming its source grid code, the rest only a point
    cases["demo_grid"] = cases["grid_code"]
    cases["src_grid"] = cases["grid_code"].map(src)
    rows = cases[list(CASE_COLUMNS)].copy()
    by_code = np.arange(len(rows)) % 2 == 0
    rows["grid_code"] = np.where(by_code, cases["src_grid"], None)
    rows.loc[by_code, ["lon", "lat"]] = np.nan
    rows["region_code"] = np.where(by_code, cases["demo_grid"].str[:9].map(src), None)
    bad = rows.iloc[:2].copy()
    bad["case_no"] = ["BAD-GRID", "BAD-REGION"]
    bad["grid_code"] = ["G99999", cases["src_grid"].iloc[0]]
    bad["region_code"] = [None, "D99"]
    csv = tmp / "cases.csv"
    pd.concat([rows, bad], ignore_index=True).to_csv(csv, index=False)
    with duckdb.connect(str(out)) as con:
        summary = load_files(con, "incidents", Mapping.identity("incidents"), [csv],
                             now=now + timedelta(minutes=1))
    return {"path": out, "report": report, "src": src, "cases": cases, "now": now,
            "summary": summary, "towns": towns, "counties": counties, "grids": grids}


