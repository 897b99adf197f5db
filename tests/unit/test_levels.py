"""A city of three levels (district, precinct, grid) through the whole dashboard.

Boundaries are written out of a small demo store (two of its counties as districts, their
towns as precincts, their grids as grids, villages and the city dropped) under source codes
that are not digits (D01, D01-P003, G00042) and without a parent field, imported with
``--levels district,precinct,grid``; its cases are then imported naming the source grid
codes or only their points. Every figure is compared with pandas over the exported rows,
grouped by the *source* hierarchy, so an error in the internal codes cannot cancel out.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from levels_helpers import AREA

from dashboard import cases_data, levels
from dashboard import overview_data as od
from dashboard.ingest.boundaries import import_boundaries
from dashboard.ingest.readers import FileError
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope


@pytest.fixture(scope="module")
def city(three_levels):
    return three_levels


@pytest.fixture(scope="module")
def con(city):
    c = duckdb.connect(str(city["path"]), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def internal(con):
    """source code → internal short code (grids: 15 digits)."""
    rows = con.execute("SELECT m.source_code, coalesce(r.short_code, m.code) FROM code_map m "
                       "LEFT JOIN regions r ON r.code = m.code").fetchall()
    return dict(rows)


def test_store_has_the_slots_pass_through_regions_and_code_map(city, con, internal):
    src = city["src"]
    root = con.execute("SELECT short_code, name, level FROM regions "
                       "WHERE parent_code IS NULL").fetchall()
    assert len(root) == 1 and root[0][1:] == (AREA, "city") and len(root[0][0]) == 4
    top = root[0][0]
    count = dict(con.execute("SELECT level, count(*) FROM regions GROUP BY level").fetchall())
    assert count == {"city": 1, "county": 2, "town": len(city["towns"]),
                     "village": len(city["towns"])}
    assert con.execute("SELECT count(*) FROM grids").fetchone()[0] == len(city["grids"])
    # every source unit is in code_map, once, at its slot
    assert len(internal) == len(src)
    for demo_code, source in src.items():
        code = internal[source]
        assert len(code) == {6: 6, 9: 9, 15: 15}[len(demo_code)]
        assert code.startswith(top)
    # the source hierarchy survives: a grid's internal code starts with its precinct's and
    # district's, which are the ones of its demo town and county
    for demo_grid in city["grids"]["code"]:
        code = internal[src[demo_grid]]
        assert code.startswith(internal[src[demo_grid[:9]]])
        assert code.startswith(internal[src[demo_grid[:6]]])
    # one pass-through village per precinct: its outline, its name, hidden
    passthrough = con.execute(
        "SELECT v.short_code, v.kind, v.name = t.name, v.geometry = t.geometry, t.short_code "
        "FROM regions v JOIN regions t ON t.code = v.parent_code "
        "WHERE v.level = 'village'").fetchall()
    assert len(passthrough) == len(city["towns"])
    for short, kind, same_name, same_shape, town in passthrough:
        assert kind == "pass-through" and same_name and same_shape
        assert short == town + "001"
    grids_below = con.execute("SELECT count(DISTINCT village_code) FROM grids").fetchone()[0]
    assert grids_below == len(city["towns"])
    lv = levels.of(con)
    assert lv.hidden == frozenset({12}) and lv.visible == (4, 6, 9, 15)
    assert [lv.label(n) for n in lv.visible] == [AREA, "district", "precinct", "grid"]
    assert json.loads(con.execute("SELECT value FROM meta WHERE key = 'levels'").fetchone()[0]
                      ) == {"4": AREA, "6": "district", "9": "precinct", "12": None,
                            "15": "grid"}
    assert not city["report"].kept and "pass-through" in city["report"].text()


def test_records_name_source_codes_and_points(city, con, internal):
    s = city["summary"]
    cases = city["cases"]
    assert s.inserted == len(cases), s.report()
    assert dict(s.by_rule) == {"unknown_grid_code": 1, "unknown_region_code": 1}, s.report()
    q = dict(con.execute("SELECT rule, value FROM quarantine").fetchall())
    assert q == {"unknown_grid_code": "G99999", "unknown_region_code": "D99"}
    stored = dict(con.execute("SELECT case_no, grid_code FROM incidents").fetchall())
    # by code (translated) and by point-in-polygon alike: the grid the demo had
    want = {c: internal[g] for c, g in zip(cases["case_no"], cases["src_grid"], strict=True)}
    assert stored == want


def _expected(cases: pd.DataFrame, d0, d1) -> dict:
    s, e = pd.Timestamp(d0), pd.Timestamp(d1) + pd.Timedelta(days=1)
    live = ~cases["is_void"]
    closed = live & (cases["closed_at"] >= s) & (cases["closed_at"] < e)
    overdue = live & (cases["deadline_at"] < e) & ~(cases["closed_at"] < e)
    timed = closed & cases["handled_at"].notna() & cases["registered_at"].notna()
    hours = (cases["handled_at"] - cases["registered_at"]).dt.total_seconds() / 3600
    reported = (cases["reported_at"] >= s) & (cases["reported_at"] < e)
    due, n_timed = closed.sum() + overdue.sum(), timed.sum()
    return {"reported": float(reported.sum()), "closed": float(closed.sum()),
            "close_rate": closed.sum() / due if due else float("nan"),
            "avg_handle_hours": hours[timed].sum() / n_timed if n_timed else float("nan")}


KEYS = ["reported", "closed", "close_rate", "avg_handle_hours"]


def test_kpis_of_a_district_and_a_precinct_equal_pandas(city, con, internal):
    cases, src = city["cases"], city["src"]
    d0, d1 = city["now"].date() - timedelta(days=59), city["now"].date()
    demo_district = city["counties"]["code"].iloc[1]
    recent = cases[cases["reported_at"].dt.date >= d0]
    demo_precinct = recent["demo_grid"].str[:9].value_counts().index[0]  # the busiest
    for demo_code in (demo_district, demo_precinct):
        scope = Scope(internal[src[demo_code]], "leader")
        got = kpis(con, scope, d0, d1, keys=KEYS).set_index("key")["value"]
        want = _expected(cases[cases["demo_grid"].str.startswith(demo_code)], d0, d1)
        assert want["reported"] > 0
        for key in KEYS:
            assert got[key] == pytest.approx(want[key], nan_ok=True), (demo_code, key)
    # the district split into its precincts (the town slot), the precinct into its grids
    scope = Scope(internal[src[demo_district]], "leader")
    split = kpis(con, scope, d0, d1, keys=["reported"], level="town")
    got = dict(zip(split["region"], split["value"], strict=True))
    towns = city["towns"]["code"][city["towns"]["code"].str.startswith(demo_district)]
    assert set(got) <= {internal[src[t]] for t in towns}
    for town in towns:
        n = _expected(cases[cases["demo_grid"].str.startswith(town)], d0, d1)["reported"]
        assert got.get(internal[src[town]], 0) == n, town
    grids = kpis(con, Scope(internal[src[demo_precinct]], "leader"), d0, d1,
                 keys=["reported"], level="grid")
    assert grids["value"].sum() == _expected(
        cases[cases["demo_grid"].str.startswith(demo_precinct)], d0, d1)["reported"]


def test_overview_walks_root_district_precinct_grid(city, con, internal):
    src, now = city["src"], city["now"]
    top = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL").fetchone()[0]
    user = Scope(top, "leader")
    root = od.view(con, user, None)
    assert root.child_level == "county" and root.region["name"] == AREA
    kids = od.children(con, root, now)
    assert list(kids["name"]) == list(city["counties"]["name"])
    district = city["counties"]["code"].iloc[1]
    v = od.view(con, user, internal[src[district]])
    assert v.child_level == "town"
    kids = od.children(con, v, now)
    towns = city["towns"][city["towns"]["code"].str.startswith(district)]
    assert list(kids["name"]) == list(towns["name"])
    assert list(kids["short_code"]) == [internal[src[t]] for t in towns["code"]]
    # a precinct's children are its grids: the pass-through village is stepped over
    d0, d1 = od.recent_days(now)
    cases = city["cases"]
    recent = cases[(cases["reported_at"].dt.date >= d0)
                   & cases["demo_grid"].str.startswith(district)]
    town = recent["demo_grid"].str[:9].value_counts().index[0]  # busiest: a league to rank
    v = od.view(con, user, internal[src[town]])
    assert v.child_level == "grid"
    assert [c["level"] for c in v.crumbs] == ["city", "county", "town"]
    kids = od.children(con, v, now)
    demo_grids = city["grids"]["code"][city["grids"]["code"].str.startswith(town)]
    assert sorted(kids["code"]) == sorted(internal[src[g]] for g in demo_grids)
    for code, n in zip(kids["code"], kids["incidents"], strict=True):
        demo = next(g for g in demo_grids if internal[src[g]] == code)
        assert n == _expected(cases[cases["demo_grid"] == demo], d0, d1)["reported"]
    league = od.league(con, v, now)
    assert set(league["code"]) <= set(kids["code"]) and len(league) > 0
    # a link to the pass-through village shows the precinct it stands in for
    twin = con.execute("SELECT code FROM regions WHERE parent_code = $p",
                       {"p": v.region["code"]}).fetchone()[0]
    assert od.view(con, user, twin).crumbs == v.crumbs
    # a grid: shown among its precinct's grids, the breadcrumb without the pass-through
    g = od.view(con, user, kids["code"].iloc[0])
    assert [c["level"] for c in g.crumbs] == ["city", "county", "town", "grid"]
    assert [c["name"] for c in g.crumbs][:3] == [AREA, v.crumbs[1]["name"], v.region["name"]]
    assert sorted(od.children(con, g, now)["code"]) == sorted(kids["code"])
    # the analysis pages' units and the region picker follow the same levels
    assert cases_data.unit_length(con, internal[src[district]]) == 9
    assert cases_data.unit_length(con, internal[src[town]]) == 15
    found = cases_data.search_regions(con, user, v.region["name"])
    assert list(found.loc[found["level"] != "grid", "level"]) == ["town"]  # no twin
    # a case's place: district and precinct, not the precinct's pass-through twin as well
    places = {f"{d} · {t}" for d, t in zip(
        city["counties"].set_index("code").loc[city["towns"]["code"].str[:6], "name"],
        city["towns"]["name"], strict=True)}
    feed = od.feed(con, user, now, n=50)
    assert len(feed) > 0 and set(feed["place"]) <= places
    detail = cases_data.case(con, user, int(con.execute("SELECT min(id) FROM incidents"
                                                        ).fetchone()[0]))
    assert detail["case"]["place"] in places
    grid_hit = cases_data.search_regions(con, user, kids["name"].iloc[0])
    row = grid_hit[grid_hit["code"] == kids["code"].iloc[0]].iloc[0]
    assert row["path"] == f"{v.crumbs[1]['name']} · {v.region['name']}"


def test_demo_store_keeps_the_national_levels(demo):
    lv = levels.of(demo)
    assert lv == levels.NATIONAL and lv.visible == (4, 6, 9, 12, 15)
    assert [lv.label(n) for n in lv.visible] == ["市", "区县", "乡镇(街道)", "村(社区)", "网格"]
    assert lv.label("town", "en") == "Town" and lv.child_level("town") == "village"


def test_level_mapping_rules():
    two = levels.assign(["片区", "网格"], root="全市")
    assert two.hidden == frozenset({9, 12}) and two.below(6) == 15
    assert two.child_level("county") == "grid" and two.label(6) == "片区"
    assert two.near_grid == (6,) and two.place("甲片", "甲片", "甲片") == "甲片"
    assert levels.NATIONAL.near_grid == (9, 12)
    assert levels.NATIONAL.place("通州区", "金沙街道", "东市社区") == "金沙街道 · 东市社区"
    five = levels.assign(["市", "区", "街道", "社区", "网格"])
    assert not five.hidden and levels.parse(five.to_meta()) == five
    assert levels.parse("district,precinct,grid").hidden == frozenset({9, 12})
    with pytest.raises(ValueError, match="at most 3"):
        levels.assign(["a", "b", "c", "d", "grid"], root="全市")
    # a jump to a pass-through region lands on the region shown in its place
    three = levels.assign(["区", "片区", "网格"], root="全市")
    assert three.shown("000101001001") == "000101001000"
    assert two.shown("000101001001") == "000101000000"
    assert levels.NATIONAL.shown("320612001001") == "320612001001"
    assert levels.NATIONAL.shown("320612") == "320612000000"


def test_too_many_levels_is_a_file_error(tmp_path):
    from shapely.geometry import box

    rows = [("A", "a", box(0, 0, 1, 1), "a"), ("B", "b", box(0, 0, 1, 1), "b"),
            ("AA", "aa", box(0, 0, 1, 1), "a"), ("G", "g", box(0, 0, 1, 1), "grid")]
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["code", "name", "geometry", "lv"]),
                           geometry="geometry", crs="EPSG:4326")
    gdf.to_file(tmp_path / "x.geojson", driver="GeoJSON")
    with pytest.raises(FileError, match="at most 3 fit"):
        import_boundaries([tmp_path / "x.geojson"], tmp_path / "x.duckdb",
                          levels=["a", "b", "c", "d", "grid"], level_field="lv")
    assert not (tmp_path / "x.duckdb").exists()


def test_national_codes_are_kept_without_a_code_map(ingest_store, tmp_path):
    # one demo town under its county and the city, its villages and grids, the regions as
    # 12-digit statistical codes: they are the slots' own codes, so nothing is renamed
    with duckdb.connect(str(ingest_store), read_only=True) as con:
        town = con.execute("SELECT min(short_code) FROM regions WHERE level = 'town'"
                           ).fetchone()[0]
        frames = [con.execute(
            "SELECT code, name, geometry FROM regions WHERE level = $l AND "
            "(starts_with(short_code, $t) OR starts_with($t, short_code)) ORDER BY code",
            {"l": level, "t": town}).df() for level in ("city", "county", "town", "village")]
        frames.append(con.execute("SELECT code, name, geometry FROM grids "
                                  "WHERE starts_with(code, $t)", {"t": town}).df())
    files = []
    for i, frame in enumerate(frames):
        geoms = shapely.from_wkb([bytes(b) for b in frame["geometry"]])
        gpd.GeoDataFrame(frame[["code", "name"]], geometry=geoms, crs="EPSG:4326").to_file(
            tmp_path / f"l{i}.geojson", driver="GeoJSON")
        files.append(tmp_path / f"l{i}.geojson")
    out = tmp_path / "national.duckdb"
    rep = import_boundaries(files, out, levels=["市", "区", "街道", "社区", "网格"])
    assert rep.kept
    with duckdb.connect(str(out), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                            ).fetchall()}
        assert "code_map" not in tables
        got = dict(con.execute("SELECT code, short_code FROM regions").fetchall())
        assert got == {c: c[:n] for f, n in zip(frames[:4], (4, 6, 9, 12), strict=True)
                       for c in f["code"]}
        assert sorted(r[0] for r in con.execute("SELECT code FROM grids").fetchall()) == \
            sorted(frames[4]["code"])
        lv = levels.of(con)
        assert not lv.hidden and [lv.label(n) for n in lv.visible] == \
            ["市", "区", "街道", "社区", "网格"]


def test_two_levels_from_the_command_line(tmp_path, capsys):
    from shapely.geometry import box

    from dashboard.cli import main

    x0, y0 = 120.80, 31.95
    precincts = [(f"P{p}", f"片区{p}", box(x0 + p * 0.04, y0, x0 + (p + 1) * 0.04, y0 + 0.04))
                 for p in range(2)]
    grids = [(f"W{p}{g}", f"网格{p}{g}", box(x0 + p * 0.04 + g * 0.02, y0,
                                           x0 + p * 0.04 + (g + 1) * 0.02, y0 + 0.04))
             for p in range(2) for g in range(2)]
    for name, rows in (("p", precincts), ("g", grids)):
        gpd.GeoDataFrame(pd.DataFrame(rows, columns=["code", "name", "geometry"]),
                         geometry="geometry", crs="EPSG:4326").to_file(
            tmp_path / f"{name}.geojson", driver="GeoJSON")
    out = tmp_path / "two.duckdb"
    assert main(["import", "boundaries", "--levels", "片区,网格", "--area-name", "测试区",
                 "--out", str(out), "--quiet", str(tmp_path / "p.geojson"),
                 str(tmp_path / "g.geojson")]) == 0
    printed = capsys.readouterr().out
    assert "9 (pass-through), 12 (pass-through)" in printed
    assert "whole area: 0001 测试区" in printed
    with duckdb.connect(str(out), read_only=True) as con:
        lv = levels.of(con)
        assert lv.hidden == frozenset({9, 12}) and lv.label(4) == "测试区"
        root = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL"
                           ).fetchone()[0]
        user = Scope(root, "leader")
        v = od.view(con, user, None)
        assert v.child_level == "county"
        assert list(od.children(con, v, datetime(2026, 11, 30))["name"]) == ["片区0", "片区1"]
        p0 = con.execute("SELECT code FROM code_map WHERE source_code = 'P0'").fetchone()[0]
        v = od.view(con, user, p0)
        assert v.child_level == "grid" and [c["name"] for c in v.crumbs] == ["测试区", "片区0"]
        now = datetime(2026, 11, 30)
        kids = od.children(con, v, now)
        assert list(kids["name"]) == ["网格00", "网格01"] and (kids["incidents"] == 0).all()
        # a store with boundaries only (no records yet) has empty panels, not errors
        assert od.league(con, v, now).empty
        assert [c["value"] for c in od.cards(con, v.scope, now)][:2] == [0.0, 0.0]


def test_monthly_report_ranks_the_shown_level_below(city, con, internal):
    from dashboard.report.data import build_report

    src = city["src"]
    # the last whole month of the demo's history
    month = (city["now"].replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    district = city["counties"]["code"].iloc[1]
    report = build_report(con, Scope(internal[src[district]], "leader"), month)
    assert report.subregion_level == "town" and report.subregion_label == "precinct"
    towns = city["towns"][city["towns"]["code"].str.startswith(district)]
    assert {r.name for r in report.subregions} <= set(towns["name"])
    assert "按precinct综合得分排名" in report.subregion_note
    cases = city["cases"]
    in_month = cases[cases["reported_at"].dt.strftime("%Y-%m") == month]
    town = in_month["demo_grid"].str[:9].value_counts().index[0]  # the busiest precinct
    report = build_report(con, Scope(internal[src[town]], "leader"), month)
    # a precinct's sub-regions are its grids (the pass-through village is not a level)
    assert report.subregion_level == "grid" and report.subregion_label == "grid"
    assert all(len(r.code) == 15 for r in report.subregions) and report.subregions


def test_grid_profile_sits_beside_its_precinct_and_district(city, con, internal):
    src, now = city["src"], city["now"]
    top = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL").fetchone()[0]
    demo_grid = city["cases"]["demo_grid"].value_counts().index[0]  # the busiest grid
    grid = internal[src[demo_grid]]
    profile = cases_data.grid_profile(con, Scope(top, "leader"), grid, now)
    assert list(profile["kpis"].columns) == ["grid", "town", "county"]
    assert profile["labels"] == {"grid": "本网格", "town": "所在precinct",
                                 "county": "所在district"}
    names = dict(con.execute("SELECT short_code, name FROM regions").fetchall())
    assert profile["path"] == f"{names[grid[:6]]} · {names[grid[:9]]}"
    d0 = now.date() - timedelta(days=29)
    for column, n in (("town", 9), ("county", 6)):
        want = kpis(con, Scope(grid[:n], "leader"), d0, now.date(), keys=["reported"])
        assert profile["kpis"].loc["reported", column] == want["value"].iloc[0]
    want = _expected(city["cases"][city["cases"]["demo_grid"].str.startswith(demo_grid[:9])],
                     d0, now.date())["reported"]
    assert profile["kpis"].loc["reported", "town"] == want
