"""Issue 14 item 5 and the data-quality layer: geocoder placeholder points.

A 311-style export with 14% of its rows at the city hall (``tests/quality_helpers.py``)
is loaded into a copy of a demo store (``placeholder_store`` in ``tests/conftest.py``).
Every expectation is computed independently of the loader: shapely's exact point-in-
polygon for real points, the ward column for placeholder rows, pandas counts.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from quality_helpers import CITY_HALL, export_311, mapping_text

from dashboard import cases_data, quality_data, thematic_data
from dashboard.cli import main
from dashboard.filters import Filters
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping, MappingError
from dashboard.ingest.quality import QualityRules, detect, region_grid_code
from dashboard.kpi import Scope, kpis
from dashboard.kpi.scope import unplaced_unit
from queries import names as Q
from queries import run

CITY = Scope("3206", "admin")


@pytest.fixture(scope="module")
def ph(placeholder_store):
    con = duckdb.connect(str(placeholder_store["path"]), read_only=True)
    stored = con.execute("SELECT id, case_no, grid_code, lon, lat, point_quality, is_void "
                         "FROM incidents WHERE starts_with(case_no, '311-')").df()
    frame = placeholder_store["frame"].merge(stored, left_on="Unique Key",
                                             right_on="case_no", how="left")
    yield {**placeholder_store, "con": con, "rows": frame}
    con.close()


def _span(frame) -> tuple:
    return frame["created"].min().date(), frame["created"].max().date()


def _filters(frame) -> Filters:
    d0, d1 = _span(frame)
    return Filters(period="custom", date_from=d0, date_to=d1)


def _now(frame) -> datetime:
    return datetime.combine(_span(frame)[1] + timedelta(days=1), datetime.min.time())


# --- placement --------------------------------------------------------------------------


def test_the_polygon_under_the_placeholder_is_not_inflated(ph, ingest_store):
    rows = ph["rows"]
    assert rows["placeholder"].mean() == pytest.approx(0.14)
    assert rows["id"].notna().all()  # every row loaded
    con = ph["con"]
    # the grid under the city hall holds exactly the real points that lie in it
    from quality_helpers import exact_grid, grids_of

    under = exact_grid(grids_of(con), [CITY_HALL[0]], [CITY_HALL[1]])[0]
    stored = (rows["grid_code"] == under).sum()
    real = ((~rows["placeholder"]) & (rows["true_grid"] == under)).sum()
    assert stored == real
    # per grid, per village, per town: the file's rows where pandas puts them
    for n in (15, 12, 9, 6):
        got = rows["grid_code"].str[:n].value_counts().sort_index()
        want = rows["expect_grid"].str[:n].value_counts().sort_index()
        pd.testing.assert_series_equal(got, want, check_names=False)
    # the KPI engine: every county grew by exactly the file's rows placed in it, and the
    # whole area by every row (none lost, none double counted)
    d0, d1 = _span(rows)
    with duckdb.connect(str(ingest_store), read_only=True) as before:
        old = before.execute(
            "SELECT substr(grid_code, 1, 6) AS county, count(*) AS n FROM incidents "
            "WHERE CAST(reported_at AS DATE) BETWEEN $a AND $b GROUP BY 1",
            {"a": d0, "b": d1}).df().set_index("county")["n"]
        old_total = before.execute("SELECT count(*) FROM incidents WHERE CAST(reported_at "
                                   "AS DATE) BETWEEN $a AND $b", {"a": d0, "b": d1}
                                   ).fetchone()[0]
    split = kpis(con, CITY, d0, d1, keys=["reported"], level="county").set_index("region")
    placed = rows[~rows["expect_grid"].map(lambda g: unplaced_unit(g[:6]))]
    added = placed["expect_grid"].str[:6].value_counts()
    for county, value in split["value"].items():
        assert value == old.get(county, 0) + added.get(county, 0), county
    assert not any(unplaced_unit(r) for r in split.index)
    total = kpis(con, CITY, d0, d1, keys=["reported"])["value"].iloc[0]
    assert total == old_total + len(rows)
    unplaced = (rows["expect_grid"] == region_grid_code("3206")).sum()
    assert total == split["value"].sum() + unplaced


def test_rows_placed_by_their_ward_land_in_the_ward(ph):
    rows, con = ph["rows"], ph["con"]
    assert (rows["grid_code"] == rows["expect_grid"]).all()
    by_ward = rows["placeholder"] & (rows["ward_code"] != "")
    unplaced = rows["placeholder"] & (rows["ward_code"] == "")
    assert by_ward.sum() > 20 and unplaced.sum() > 20
    assert (rows.loc[by_ward, "point_quality"] == "placed_by_region").all()
    assert (rows.loc[unplaced, "point_quality"] == "placeholder").all()
    assert (rows.loc[~rows["placeholder"], "point_quality"] == "").all()
    # a placed row's point is its ward's representative point, never the placeholder
    towns = con.execute("SELECT code, lon, lat FROM regions WHERE level = 'town'").df()
    placed = rows[by_ward].merge(towns, left_on="ward_code", right_on="code",
                                 suffixes=("", "_town"))
    assert len(placed) == by_ward.sum()
    assert np.allclose(placed["lon"], placed["lon_town"])
    assert np.allclose(placed["lat"], placed["lat_town"])
    # the ward's KPI counts them: town totals of the engine include the placed rows
    d0, d1 = _span(rows)
    ward = placed["ward_code"].value_counts().index[0]
    scope = Scope(ward[:9], "admin")
    value = kpis(con, scope, d0, d1, keys=["reported"])["value"].iloc[0]
    raw = con.execute("SELECT count(*) FROM incidents WHERE starts_with(grid_code, $p) AND "
                      "CAST(reported_at AS DATE) BETWEEN $a AND $b",
                      {"p": ward[:9], "a": d0, "b": d1}).fetchone()[0]
    assert value == raw
    # ... but no village or grid of the ward is credited with them
    villages = kpis(con, scope, d0, d1, keys=["reported"], level="village")
    assert villages["value"].sum() == raw - (placed["ward_code"] == ward).sum()


def test_point_layers_hotspots_and_repeat_places_leave_them_out(ph):
    rows, con = ph["rows"], ph["con"]
    filters, now = _filters(rows), _now(rows)
    at_hall = rows["placeholder"]
    pts = thematic_data.points(con, CITY, filters, now, "incident")
    assert not ((pts["lon"].round(5) == CITY_HALL[0]) & (pts["lat"].round(5) == CITY_HALL[1])
                ).any()
    shown = set(pts["id"])
    assert not shown & set(rows.loc[at_hall, "id"])
    assert set(rows.loc[~at_hall & ~rows["is_void"], "id"]) <= shown
    places = thematic_data.repeat_places(con, CITY, filters, now, min_cases=3, limit=50)
    near = (places["lon"].sub(CITY_HALL[0]).abs() < 1e-3) \
        & (places["lat"].sub(CITY_HALL[1]).abs() < 1e-3)
    assert not near.any(), places[near]
    # the overview's points of the village under the city hall: none at the placeholder
    from quality_helpers import exact_grid, grids_of

    village = exact_grid(grids_of(con), [CITY_HALL[0]], [CITY_HALL[1]])[0][:12]
    ov = run(con, Q.OVERVIEW_POINTS, prefix=village, since=now - timedelta(days=60), now=now)
    assert not ((ov["lon"].round(5) == CITY_HALL[0]) & (ov["lat"].round(5) == CITY_HALL[1])
                ).any()
    # they are still cases: the case list, its export and its facets count them
    facets = cases_data.facets(con, CITY, filters, now)
    export = cases_data.export(con, CITY, filters, now)
    assert len(export) == facets["total"]
    assert set(rows["id"]) <= set(export["id"])
    one = int(rows.loc[at_hall & (rows["ward_code"] == ""), "id"].iloc[0])
    assert cases_data.case(con, CITY, one)["case"]["case_no"].startswith("311-")


def test_the_load_summary_names_the_point_and_what_became_of_its_rows(ph):
    rows, summary = ph["rows"], ph["summary"]
    by_ward = int((rows["placeholder"] & (rows["ward_code"] != "")).sum())
    unplaced = int((rows["placeholder"] & (rows["ward_code"] == "")).sum())
    line = (f"占位坐标 placeholder point {CITY_HALL[0]:.5f},{CITY_HALL[1]:.5f}: 140 rows "
            f"(14.0%), {by_ward:,} placed by 乡镇(街道), {unplaced:,} unplaced")
    assert line in summary.report()
    (point,) = summary.as_dict()["placeholder_points"]
    assert point["rows"] == 140 and point["unplaced"] == unplaced
    assert point["placed"] == {"乡镇(街道)": by_ward}


# --- gridcmd import report ------------------------------------------------------------------


def test_the_import_report_equals_an_independent_count(ph, capsys):
    rows, con = ph["rows"], ph["con"]
    assert main(["import", "report", "--store", str(ph["path"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (imp,) = [f for f in data["imports"] if f["source_file"] == ph["csv"].name]
    flagged = rows["placeholder"]
    assert (imp["rows_in"], imp["loaded"], imp["quarantined"]) == (1000, 1000, 0)
    assert imp["placeholder_rows"] == flagged.sum()
    assert imp["placed_rows"] == (flagged & (rows["ward_code"] != "")).sum()
    assert imp["unplaced"] == (flagged & (rows["ward_code"] == "")).sum()
    assert imp["tz_assumed"] == "Asia/Shanghai"
    (pt,) = imp["placeholder_points"]
    assert (pt["lon"], pt["lat"], pt["reason"], pt["rows"]) == (*CITY_HALL, "share", 140)
    # per county: pandas over the raw tables (incidents, hazards, key persons)
    raw = pd.concat([con.execute(f"SELECT grid_code, point_quality FROM {t}").df()
                     for t in ("incidents", "hazards", "key_persons")])
    raw = raw[raw["grid_code"].str.startswith("3206")]
    raw["county"] = raw["grid_code"].str[:6]
    table = {r["key"]: r for r in data["regions"]["rows"] if not r["total"]}
    for county, group in raw.groupby("county"):
        if unplaced_unit(county):
            r = table["3206"]  # 仅知属于南通市
        else:
            r = table[county]
        assert r["records"] == len(group), county
        assert r["flagged"] == group["point_quality"].isin(
            ["placeholder", "placed_by_region"]).sum()
        assert r["ungridded"] == group["grid_code"].str.endswith("000").sum()
    assert table["3206"]["only_in"] is True  # shown as （仅知属于南通市）
    assert not any(r["only_in"] for k, r in table.items() if k != "3206")
    (total,) = [r for r in data["regions"]["rows"] if r["total"]]
    assert total["records"] == len(raw)
    assert total["flagged"] == flagged.sum()
    assert total["flagged_share"] == pytest.approx(flagged.sum() / len(raw))
    registered = con.execute("SELECT count(*) FILTER (WHERE registered_at IS NOT NULL), "
                             "count(*) FILTER (WHERE registered_at IS NOT NULL AND "
                             "deadline_at IS NULL) FROM incidents "
                             "WHERE starts_with(grid_code, '3206')").fetchone()
    assert (total["registered"], total["no_deadline"]) == registered
    # the text form prints the same numbers
    assert main(["import", "report", "--store", str(ph["path"])]) == 0
    assert "（仅知属于南通市）" in capsys.readouterr().out
    assert main(["import", "report", "--store", str(ph["path"]), "--level", "town"]) == 0
    text = capsys.readouterr().out
    assert "placed by region" in text and "120.86600,32.01000 [share]: 140 rows" in text
    assert "指标说明" in text


def test_the_import_report_refuses_bad_arguments(ph, capsys):
    assert main(["import", "report", "--store", str(ph["path"]), "--level", "ward"]) == 2
    assert "unknown level 'ward'" in capsys.readouterr().err
    assert main(["import", "report", "--store", str(ph["path"]), "--since", "soon"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["import", "report", "--store", str(ph["path"]) + ".nope"]) == 2
    assert main(["import", "report", "--store", str(ph["path"]), "--file", "nope.csv",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imports"] == []


def test_outside_grid_rows_and_missing_deadlines_per_region(placeholder_store, tmp_path):
    """Rows outside every grid are counted by the region outline their point lies in;
    registered cases without a deadline (a time limit the source did not give and a
    category without one) are counted per region."""
    path = tmp_path / "s.duckdb"
    shutil.copyfile(placeholder_store["path"], path)
    con = duckdb.connect(str(path))
    county = con.execute("SELECT short_code, lon, lat FROM regions WHERE level = 'county' "
                         "ORDER BY short_code LIMIT 1").df().iloc[0]
    con.execute("UPDATE incidents SET grid_code = '' WHERE id IN (SELECT id FROM incidents "
                "WHERE starts_with(grid_code, $c) ORDER BY id LIMIT 7)",
                {"c": county["short_code"]})
    con.execute("UPDATE incidents SET deadline_at = NULL WHERE id IN (SELECT id FROM "
                "incidents WHERE registered_at IS NOT NULL AND starts_with(grid_code, $c) "
                "ORDER BY id LIMIT 5)", {"c": county["short_code"]})
    table = quality_data.regions(con, Scope("3206", "admin"), 6)
    row = table[table["key"] == county["short_code"]].iloc[0]
    # the seven moved rows keep their points, all inside the county's outline
    assert row["outside"] == 7
    assert row["no_deadline"] == 5
    assert table[table["total"]].iloc[0]["outside"] == 7
    con.close()


# --- detection rules ----------------------------------------------------------------------


def _load(store, csv, mapping_extra="", batch_rows=1_000_000):
    mapping = Mapping.from_dict(__import__("tomllib").loads(mapping_text(mapping_extra)))
    con = duckdb.connect(str(store))
    try:
        return load_files(con, "incidents", mapping, [csv], batch_rows=batch_rows)
    finally:
        con.close()


def test_a_file_of_several_batches_is_judged_whole(ingest_store, tmp_path):
    """140 placeholder rows in batches of 100: 14 a batch, under the 20 rows a batch alone
    would need; the whole file is judged once, so every one is flagged."""
    store = tmp_path / "s.duckdb"
    shutil.copyfile(ingest_store, store)
    frame = export_311(store, tmp_path / "a.csv", seed=3, order="spread")
    frame["flags_per_batch"] = np.arange(len(frame)) // 100
    per_batch = frame.groupby("flags_per_batch")["placeholder"].sum()
    assert per_batch.max() < 20
    summary = _load(store, tmp_path / "a.csv", batch_rows=100)
    assert summary.batches == 10
    with duckdb.connect(str(store), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM incidents WHERE point_quality IN "
                        "('placeholder', 'placed_by_region')").fetchone()[0]
        logged = con.execute("SELECT sum(rows) FROM import_placeholders").fetchone()[0]
        batches = con.execute("SELECT sum(placeholder_rows) FROM import_batches").fetchone()[0]
    assert n == logged == batches == 140


def test_a_later_small_file_at_a_known_placeholder_is_caught(placeholder_store, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copyfile(placeholder_store["path"], store)
    frame = export_311(store, tmp_path / "b.csv", n=40, share=0.1, seed=5, prefix="B-")
    summary = _load(store, tmp_path / "b.csv")
    (tally,) = summary.placeholders.values()
    assert tally.reason == "known" and tally.rows == 4 == frame["placeholder"].sum()
    with duckdb.connect(str(store), read_only=True) as con:
        got = con.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, 'B-') "
                          "AND point_quality IN ('placeholder', 'placed_by_region')"
                          ).fetchone()[0]
    assert got == 4


def test_real_points_override_and_detection_can_be_turned_off(ingest_store, tmp_path):
    store = tmp_path / "s.duckdb"
    shutil.copyfile(ingest_store, store)
    frame = export_311(store, tmp_path / "c.csv", seed=8, prefix="C-")
    real = f"[quality]\nreal_points = [[{CITY_HALL[0]}, {CITY_HALL[1]}]]\n"
    summary = _load(store, tmp_path / "c.csv", real)
    assert summary.placeholders == {}
    with duckdb.connect(str(store), read_only=True) as con:
        stored = con.execute("SELECT case_no, grid_code, point_quality FROM incidents "
                             "WHERE starts_with(case_no, 'C-')").df()
        from quality_helpers import exact_grid, grids_of

        under = exact_grid(grids_of(con), [CITY_HALL[0]], [CITY_HALL[1]])[0]
    merged = frame.merge(stored, left_on="Unique Key", right_on="case_no")
    # declared real: the rows at the point go to the grid under it, like any point
    assert (merged.loc[merged["placeholder"], "grid_code"] == under).all()
    assert (merged["point_quality"] == "").all()
    # detection off, a point below the threshold declared: only that one is flagged
    store2 = tmp_path / "s2.duckdb"
    shutil.copyfile(ingest_store, store2)
    export_311(store2, tmp_path / "d.csv", seed=9, prefix="D-")
    pt = merged.loc[~merged["placeholder"]].iloc[0]
    extra = (f"[quality]\nplaceholder_detect = false\nplaceholder_points = "
             f"[[{pt['Longitude']}, {pt['Latitude']}]]\n")
    d = pd.read_csv(tmp_path / "d.csv", dtype=str, keep_default_na=False)
    d.loc[:2, ["Longitude", "Latitude"]] = [str(pt["Longitude"]), str(pt["Latitude"])]
    d.to_csv(tmp_path / "d.csv", index=False)
    summary = _load(store2, tmp_path / "d.csv", extra)
    (tally,) = summary.placeholders.values()
    assert tally.reason == "mapping" and tally.rows == 3


def test_detection_thresholds():
    rules = QualityRules(share=0.01, min_rows=20)
    x = np.r_[np.full(25, 120.5), np.linspace(120, 121, 975)]
    y = np.r_[np.full(25, 32.0), np.linspace(31.5, 32.5, 975)]
    found = detect(x, y, np.ones(1000, dtype=bool), rules)
    assert list(found.points) == ["120.50000,32.00000"] and found.located == 1000
    # 25 rows are 0.5% of 5000: under the share
    x2 = np.r_[x, np.linspace(120, 121, 4000)]
    y2 = np.r_[y, np.linspace(31.6, 32.4, 4000)]
    assert not detect(x2, y2, np.ones(5000, dtype=bool), rules)
    # under min_rows, whatever the share
    assert not detect(x[:30], y[:30], np.ones(30, dtype=bool), QualityRules(min_rows=26))
    # rows outside the area are not the base of the share
    located = np.r_[np.ones(25, dtype=bool), np.zeros(975, dtype=bool)]
    assert detect(x, y, located, rules).located == 25


def test_placeholder_keys_per_row_equal_a_plain_loop():
    """``Placeholders.keys`` (written once per point, spread to the rows) against a loop
    over the rows: each row's coordinates rounded to the key's decimals, its key where that
    point is a placeholder, else None (NaN rows too)."""
    from dashboard.ingest.quality import DECIMALS, Placeholder, Placeholders

    rng = np.random.default_rng(7)
    pts = [(120.5, 32.0), (120.61234, 31.98765), (-87.6298, 41.8781)]
    n = 5000
    x, y = rng.uniform(120, 121, n), rng.uniform(31.5, 32.5, n)
    at = rng.integers(0, 6, n)
    for j, (a, b) in enumerate(pts):  # about half the rows at one of the points
        x[at == j], y[at == j] = a, b
    # near the first point: rounded onto it by the key's decimals
    x[at == 3], y[at == 3] = pts[0][0] + 4e-6, pts[0][1] - 3e-6
    x[:7], y[7:9] = np.nan, np.inf
    found = Placeholders(points={f"{a:.{DECIMALS}f},{b:.{DECIMALS}f}":
                                 Placeholder(a, b, "share", 1) for a, b in pts[:2]},
                         located=n)
    got = found.keys(x, y)
    wanted = {(round(a, DECIMALS), round(b, DECIMALS)) for a, b in pts[:2]}
    expected = []
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        if not (np.isfinite(a) and np.isfinite(b)):
            expected.append(None)
            continue
        r = (round(a, DECIMALS), round(b, DECIMALS))
        expected.append(f"{r[0]:.{DECIMALS}f},{r[1]:.{DECIMALS}f}" if r in wanted else None)
    assert list(got) == expected
    assert sum(k is not None for k in expected) > 1000
    assert list(Placeholders().keys(x, y)) == [None] * n


def test_bad_quality_sections_are_refused():
    base = {"kind": "incidents", "columns": {"case_no": "id"}}
    for bad, message in (({"placeholder_share": 2}, "placeholder_share"),
                         ({"placeholder_min_rows": 1}, "placeholder_min_rows"),
                         ({"placeholder_points": [[500, 1]]}, "placeholder_points"),
                         ({"real_points": "here"}, "real_points"),
                         ({"placeholder_detect": "yes"}, "placeholder_detect"),
                         ({"share": 0.1}, "unknown \\[quality\\] keys")):
        with pytest.raises(MappingError, match=message):
            Mapping.from_dict({**base, "quality": bad})


def test_unplaced_units_are_never_units_of_their_own():
    assert unplaced_unit("320600") and unplaced_unit("320612000")
    assert unplaced_unit("320612001000") and unplaced_unit("320612001001000")
    assert not unplaced_unit("3206") and not unplaced_unit("320612")
    assert not unplaced_unit("320612001001001") and not unplaced_unit("000101")
    assert region_grid_code("320612") == "320612000000000"


def test_codes_translated_by_code_map_place_rows_in_their_district(three_levels, tmp_path):
    """A store of districts, precincts and grids with source codes (``code_map``): a 311
    row's ward column holds the district's source code (``D01``)."""
    store = tmp_path / "city.duckdb"
    shutil.copyfile(three_levels["path"], store)
    con = duckdb.connect(str(store))
    grids = con.execute("SELECT code, lon, lat FROM grids ORDER BY code").df()
    districts = con.execute("SELECT source_code, code FROM code_map WHERE level = 'county' "
                            "ORDER BY source_code").df()
    con.close()
    hall = (float(grids["lon"].iloc[0]), float(grids["lat"].iloc[0]))
    n = 200
    rng = np.random.default_rng(1)
    real = grids.sample(n, replace=True, random_state=1).reset_index(drop=True)
    at_hall = np.arange(n) < 40
    ward = np.where(np.arange(n) % 2 == 0, districts["source_code"].iloc[0], "")
    start = pd.Timestamp(three_levels["now"]).normalize() - pd.Timedelta(days=10)
    frame = pd.DataFrame({
        "Unique Key": [f"CM-{i}" for i in range(n)],
        "Created Date": [(start + pd.Timedelta(hours=int(h))).strftime("%m/%d/%Y %I:%M:%S %p")
                         for h in rng.integers(0, 200, n)],
        "Closed Date": "",
        "Complaint Type": "Graffiti",
        "Longitude": np.where(at_hall, hall[0], real["lon"] + 1e-4),
        "Latitude": np.where(at_hall, hall[1], real["lat"] + 1e-4),
        "Ward": np.where(at_hall, ward, ""),
    })
    frame.to_csv(tmp_path / "cm.csv", index=False)
    summary = _load(store, tmp_path / "cm.csv")
    assert summary.loaded == n
    with duckdb.connect(str(store), read_only=True) as con:
        got = con.execute("SELECT case_no, grid_code, point_quality FROM incidents "
                          "WHERE starts_with(case_no, 'CM-')").df().set_index("case_no")
    district = districts["code"].iloc[0]
    placed = got.loc[[f"CM-{i}" for i in range(40) if i % 2 == 0]]
    assert (placed["grid_code"] == region_grid_code(district[:6])).all()
    assert (placed["point_quality"] == "placed_by_region").all()
    unplaced = got.loc[[f"CM-{i}" for i in range(40) if i % 2 == 1]]
    assert (unplaced["grid_code"] == region_grid_code("0001")).all()
    hall_grid = grids["code"].iloc[0]
    with duckdb.connect(str(store), read_only=True) as con:
        from quality_helpers import exact_grid, grids_of

        truth = exact_grid(grids_of(con), frame["Longitude"], frame["Latitude"])
    assert (got["grid_code"] == hall_grid).sum() == int((truth[~at_hall] == hall_grid).sum())


def _id_number(serial: int) -> str:
    """An 18-digit 居民身份证号 with a valid GB 11643 check digit."""
    body = f"320612198001{serial % 100:02d}{serial % 1000:03d}"[:17]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def test_hazards_and_key_persons_at_a_placeholder_point(ingest_store, tmp_path):
    """The same rules for the other located kinds: hazards at the city hall are placed by
    their region code or counted in the whole area only, left out of the hazard points,
    and still on the overdue list; key persons get the same grid codes and flags."""
    store = tmp_path / "s.duckdb"
    shutil.copyfile(ingest_store, store)
    con = duckdb.connect(str(store))
    grids = con.execute("SELECT code, lon, lat FROM grids USING SAMPLE 40 ROWS "
                        "(reservoir, 3) ORDER BY code").df()
    town = con.execute("SELECT code, short_code FROM regions WHERE level = 'town' "
                       "ORDER BY code LIMIT 1").fetchone()
    now = datetime.fromisoformat(dict(con.execute("SELECT key, value FROM meta")
                                      .fetchall())["history_end"])
    n = 64
    hall = np.arange(n) < 24  # 24 of 64 at the city hall
    region = np.where(hall & (np.arange(n) % 2 == 0), town[0], "")
    lon = np.where(hall, CITY_HALL[0], grids["lon"].to_numpy()[np.arange(n) % 40])
    lat = np.where(hall, CITY_HALL[1], grids["lat"].to_numpy()[np.arange(n) % 40])
    found = [(now - timedelta(days=20, hours=i)).strftime("%Y-%m-%d %H:%M:%S")
             for i in range(n)]
    pd.DataFrame({"hazard_no": [f"H-{i}" for i in range(n)], "type": "消防",
                  "risk_level": "较大", "source": "网格员巡查", "found_at": found,
                  "deadline_at": [(now - timedelta(days=10)).strftime("%Y-%m-%d %H:%M:%S")] * n,
                  "lon": lon, "lat": lat, "region_code": region}
                 ).to_csv(tmp_path / "h.csv", index=False)
    pd.DataFrame({"id_number": [_id_number(i) for i in range(n)],
                  "name": [f"人员{i}" for i in range(n)], "category": "独居老人",
                  "risk_level": "中", "registered_at": found, "lon": lon, "lat": lat,
                  "region_code": region}).to_csv(tmp_path / "k.csv", index=False)
    for kind, name in (("hazards", "h.csv"), ("key_persons", "k.csv")):
        summary = load_files(con, kind, Mapping.identity(kind), [tmp_path / name])
        assert summary.loaded == n, summary.report()
        (tally,) = summary.placeholders.values()
        assert (tally.rows, sum(tally.placed.values()), tally.unplaced) == (24, 12, 12)
    want = np.where(~hall, None, np.where(region != "", region_grid_code(town[1]),
                                          region_grid_code("3206")))
    queries = {
        "hazards": "SELECT grid_code, point_quality FROM hazards WHERE starts_with("
                   "hazard_no, 'H-') ORDER BY CAST(substr(hazard_no, 3) AS INTEGER)",
        "key_persons": "SELECT k.grid_code, k.point_quality FROM key_persons AS k JOIN "
                       "key_person_pii AS p ON p.person_id = k.id WHERE starts_with("
                       "p.name, '人员') ORDER BY CAST(substr(p.name, 3) AS INTEGER)"}
    for table, query in queries.items():
        got = con.execute(query).df()
        assert len(got) == n
        assert list(got.loc[hall, "grid_code"]) == list(want[hall]), table
        assert set(got.loc[hall, "point_quality"]) == {"placed_by_region", "placeholder"}
        assert (got.loc[~hall, "point_quality"] == "").all()
    filters = Filters(period="custom", date_from=(now - timedelta(days=25)).date(),
                      date_to=now.date())
    pts = thematic_data.points(con, CITY, filters, now, "hazard")
    ids_ = dict(con.execute("SELECT hazard_no, id FROM hazards WHERE starts_with(hazard_no, "
                            "'H-')").fetchall())
    flagged = {ids_[f"H-{i}"] for i in range(24)}
    assert not flagged & set(pts["id"]) and {ids_[f"H-{i}"] for i in range(24, n)} \
        <= set(pts["id"])
    overdue = thematic_data.hazards(con, CITY, filters, now, overdue_limit=500)["overdue_list"]
    listed = set(overdue["hazard_no"])
    assert {f"H-{i}" for i in range(n)} <= listed
    assert "（未落到网格）" in set(overdue["grid"])
    con.close()


def test_a_replacing_load_with_a_corrected_mapping_redoes_the_placement(placeholder_store,
                                                                        tmp_path):
    """The mapping's [quality] section is part of its hash, so a corrected one loads the
    file again; ``replace`` drops the replaced batches' placeholder rows with them."""
    store = tmp_path / "s.duckdb"
    shutil.copyfile(placeholder_store["path"], store)
    real = f"[quality]\nreal_points = [[{CITY_HALL[0]}, {CITY_HALL[1]}]]\n"
    mapping = Mapping.from_dict(__import__("tomllib").loads(mapping_text(real)))
    assert mapping.sha256 != Mapping.load(placeholder_store["mapping"]).sha256
    con = duckdb.connect(str(store))
    try:
        summary = load_files(con, "incidents", mapping, [placeholder_store["csv"]],
                             replace=True)
        assert summary.skipped == 0 and summary.placeholders == {}
        assert con.execute("SELECT count(*) FROM import_placeholders").fetchone()[0] == 0
        flagged = con.execute("SELECT count(*) FROM incidents WHERE point_quality IN "
                              "('placeholder', 'placed_by_region')").fetchone()[0]
        assert flagged == 0
    finally:
        con.close()
