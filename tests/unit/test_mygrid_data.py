"""我的网格's data layer (dashboard/mygrid_data.py) against pandas over the raw rows of the
session's demo store, at the demo's own last moment (never the wall clock)."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest
from mygrid_helpers import visit_village

from dashboard import mygrid_data as M
from dashboard import privacy
from dashboard.kpi import engine
from dashboard.kpi.scope import Scope

OWN = "320612001001001"  # the demo grid_worker's grid
PAIR = ("320612001001002", "320612001001003")  # the demo grids_worker's grids


@pytest.fixture(scope="module")
def raw(demo):
    q = demo.execute
    return {
        "incidents": q("SELECT * FROM incidents").df(),
        "visits": q("SELECT * FROM visits").df(),
        "persons": q("SELECT p.*, k.name, k.phone FROM key_persons p "
                     "JOIN key_person_pii k ON k.person_id = p.id").df(),
        "hazards": q("SELECT * FROM hazards").df(),
        "alerts": q("SELECT * FROM sensor_alerts").df(),
        "grids": q("SELECT code, village_code, lon, lat FROM grids").df(),
    }


@pytest.fixture(scope="module")
def busy(raw, now):
    """The grid with the most cases open at ``now`` (so the lists are not empty)."""
    inc = raw["incidents"]
    counts = inc[_open_cases(inc, now)]["grid_code"].value_counts()
    return counts.index[0] if len(counts) else OWN


def _open_cases(inc: pd.DataFrame, now: datetime) -> pd.Series:
    return (inc["reported_at"] <= now) & ~inc["is_void"] & \
        (inc["closed_at"].isna() | (inc["closed_at"] > now))


def _light(row, now) -> str | None:
    reg, dl = row["registered_at"], row["deadline_at"]
    if pd.isna(dl) or pd.isna(reg) or reg > now:
        return None
    if dl < now:
        return "red"
    if now >= reg + (dl - reg) * 0.8:
        return "yellow"
    return "green"


def expected_cases(raw, prefixes, now) -> pd.DataFrame:
    inc = raw["incidents"]
    mine = inc[inc["grid_code"].str.startswith(tuple(prefixes)) & _open_cases(inc, now)].copy()
    mine["light"] = [_light(r, now) for r in mine.to_dict("records")]
    return mine


def expected_visits(raw, prefixes, now) -> pd.DataFrame:
    today = now.date()
    p = raw["persons"]
    listed = p[p["grid_code"].str.startswith(tuple(prefixes)) & (p["registered_at"] <= now)
               & (p["removed_at"].isna() | (p["removed_at"] > now))]
    v = raw["visits"]
    v = v[v["grid_code"].str.startswith(tuple(prefixes))
          & (pd.to_datetime(v["due_date"]).dt.date <= today)]
    newest = v.sort_values(["person_id", "due_date", "id"]).groupby("person_id").tail(1)
    newest = newest[newest["person_id"].isin(listed["id"])]
    todo = newest[newest["visited_at"].isna() | (newest["visited_at"] > now)]
    return todo.merge(listed[["id", "name", "phone"]], left_on="person_id", right_on="id",
                      suffixes=("", "_p"))


def expected_hazards(raw, prefixes, now) -> pd.DataFrame:
    h = raw["hazards"]
    end = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    return h[h["grid_code"].str.startswith(tuple(prefixes)) & (h["found_at"] <= now)
             & (h["rectified_at"].isna() | (h["rectified_at"] > now)) & (h["deadline_at"] < end)]


def expected_alerts(raw, prefixes, now) -> pd.DataFrame:
    a = raw["alerts"]
    return a[a["grid_code"].str.startswith(tuple(prefixes)) & (a["alerted_at"] <= now)
             & (a["handled_at"].isna() | (a["handled_at"] > now))]


def _areas(busy, visits):
    return [(OWN,), PAIR, (busy,), (busy[:12],), (visits,)]


@pytest.mark.parametrize("which", range(5))
def test_tasks_equal_pandas_over_raw_rows(demo, raw, now, busy, which):
    prefixes = _areas(busy, visit_village(demo, now))[which]
    scopes = [Scope(p, "grid_worker") for p in prefixes]
    got = M.tasks(demo, scopes, now, limit=10**6)
    cases = expected_cases(raw, prefixes, now)
    visits = expected_visits(raw, prefixes, now)
    hazards = expected_hazards(raw, prefixes, now)
    alerts = expected_alerts(raw, prefixes, now)
    t = got["totals"]
    assert t["cases"] == len(cases) == len(got["cases"])
    lights = cases["light"].value_counts()
    for light in ("red", "yellow", "green"):
        assert t[f"cases_{light}"] == int(lights.get(light, 0)), light
    assert {c["case_no"]: c["light"] for c in got["cases"]} == {
        k: None if pd.isna(v) else v  # no light (no time limit): None, as the page has it
        for k, v in zip(cases["case_no"], cases["light"], strict=True)}
    assert t["visits"] == len(visits) == len(got["visits"])
    assert t["visits_overdue"] == int((pd.to_datetime(visits["due_date"]).dt.date
                                       < now.date()).sum())
    assert sorted(v["person_id"] for v in got["visits"]) == sorted(visits["person_id"])
    assert t["hazards"] == len(hazards) and sorted(h["id"] for h in got["hazards"]) == \
        sorted(hazards["id"])
    assert t["hazards_overdue"] == int((hazards["deadline_at"] < now).sum())
    assert t["alerts"] == len(alerts) and sorted(a["id"] for a in got["alerts"]) == \
        sorted(alerts["id"])
    # most urgent first: red, yellow, green, then no deadline
    order = [{"red": 0, "yellow": 1, "green": 2}.get(c["light"], 3) for c in got["cases"]]
    assert order == sorted(order)


@pytest.fixture(scope="module")
def lit_moment(raw, now):
    """The latest whole day before the demo's end at which the city had open cases of every
    light (the demo's last minutes may have none red or yellow: it depends on the hour the
    store was built), found with pandas alone."""
    for days in range(1, 120):
        moment = now - timedelta(days=days)
        lights = set(expected_cases(raw, ["3206"], moment)["light"].dropna())
        if {"red", "yellow", "green"} <= lights:
            return moment
    raise AssertionError("no moment with cases of every light in the demo's last 120 days")


@pytest.mark.parametrize("prefix", ["3206", "busy_county"])
def test_lights_at_a_moment_with_every_light(demo, raw, lit_moment, busy, prefix):
    """The light rule against pandas where every light occurs (the lists above may hold
    only green cases at the demo's end)."""
    prefix = busy[:6] if prefix == "busy_county" else prefix
    got = M.tasks(demo, [Scope(prefix, "grid_worker")], lit_moment, limit=10**6)
    cases = expected_cases(raw, [prefix], lit_moment)
    assert {c["case_no"]: c["light"] for c in got["cases"]} == {
        k: None if pd.isna(v) else v  # no light (no time limit): None, as the page has it
        for k, v in zip(cases["case_no"], cases["light"], strict=True)}
    lights = cases["light"].value_counts()
    for light in ("red", "yellow", "green"):
        assert got["totals"][f"cases_{light}"] == int(lights.get(light, 0))
    if prefix == "3206":
        assert min(got["totals"][f"cases_{x}"] for x in ("red", "yellow", "green")) > 0
    order = [{"red": 0, "yellow": 1, "green": 2}.get(c["light"], 3) for c in got["cases"]]
    assert order == sorted(order)


def test_visits_are_masked_and_audited(demo, raw, now):
    village = visit_village(demo, now)
    scope = Scope(village, "grid_worker")
    calls = []
    got = M.tasks(demo, [scope], now, limit=10**6, audit=lambda *a: calls.append(a))
    visits = expected_visits(raw, [village], now).set_index("person_id")
    assert got["visits"], "no visit in the village: the masking check would be vacuous"
    for v in got["visits"]:
        clear = visits.loc[v["person_id"]]
        assert v["name"] == privacy.mask_name(clear["name"]) != clear["name"]
        assert v["phone"] == privacy.mask_phone(clear["phone"]) != clear["phone"]
        assert "id_number" not in v
    assert calls == [("list", f"mygrid visits {scope.region}",
                      [v["person_id"] for v in got["visits"]])]


def test_lists_are_cut_but_totals_count_everything(demo, now, busy):
    scope = Scope(busy[:12], "grid_worker")
    full = M.tasks(demo, [scope], now, limit=10**6)
    cut = M.tasks(demo, [scope], now, limit=2)
    assert cut["totals"] == full["totals"]
    assert cut["cases"] == full["cases"][:2]


@pytest.mark.parametrize("grid", [OWN, "busy"])
def test_figures_match_the_engine_and_pandas(demo, raw, now, busy, grid):
    grid = busy if grid == "busy" else grid
    today = now.date()
    first = today.replace(day=1)
    got = {f["key"]: f for f in M.figures(demo, Scope(grid, "grid_worker"), today)}
    inc = raw["incidents"]
    day = inc["reported_at"].dt.date

    def reported(prefix):
        return int((inc["grid_code"].str.startswith(prefix) & (day >= first)
                    & (day <= today)).sum())

    end = datetime.combine(today + timedelta(days=1), datetime.min.time())

    def overdue(prefix):
        return int((inc["grid_code"].str.startswith(prefix) & ~inc["is_void"]
                    & (inc["deadline_at"] < end)
                    & (inc["closed_at"].isna() | (inc["closed_at"] >= end))).sum())

    n_grids = int((raw["grids"]["village_code"] == grid[:12]).sum())
    assert got["reported"]["value"] == reported(grid)
    assert got["reported"]["village"] == pytest.approx(reported(grid[:12]) / n_grids)
    assert got["overdue"]["value"] == overdue(grid)
    assert got["overdue"]["village"] == pytest.approx(overdue(grid[:12]) / n_grids)
    village = engine.kpis(demo, Scope(grid[:12], "grid_worker"), first, today,
                          ["close_rate", "ontime_rate"]).set_index("key")["value"]
    mine = engine.kpis(demo, Scope(grid, "grid_worker"), first, today,
                       ["close_rate", "ontime_rate"]).set_index("key")["value"]
    for key in ("close_rate", "ontime_rate"):
        for have, want in ((got[key]["value"], mine[key]), (got[key]["village"], village[key])):
            if math.isnan(want):
                assert have is None, key
            else:
                assert have == pytest.approx(want), key
    assert [f["key"] for f in M.figures(demo, Scope(grid, "grid_worker"), today)] == \
        list(M.FIGURES)


def test_no_village_average_above_grid_level(demo, now):
    got = M.figures(demo, Scope(OWN[:12], "grid_worker"), now.date())
    assert all(f["village"] is None for f in got)


def test_locate_only_in_the_workers_grids(demo, raw):
    g = raw["grids"].set_index("code")
    own = [Scope(OWN, "grid_worker")]
    assert M.locate(demo, own, g.loc[OWN, "lon"], g.loc[OWN, "lat"]) == OWN
    sibling = PAIR[0]
    assert M.locate(demo, own, g.loc[sibling, "lon"], g.loc[sibling, "lat"]) is None
    pair = [Scope(c, "grid_worker") for c in PAIR]
    assert M.locate(demo, pair, g.loc[sibling, "lon"], g.loc[sibling, "lat"]) == sibling
    assert M.locate(demo, pair, g.loc[OWN, "lon"], g.loc[OWN, "lat"]) is None
    for lon, lat in ((121.0, 40.0), (float("nan"), 32.0), (float("inf"), 32.0)):
        assert M.locate(demo, own, lon, lat) is None


def test_outlines_frame_maps_points_into_the_box(demo, raw):
    frame, outs = M.outlines(demo, [Scope(c, "grid_worker") for c in PAIR])
    assert [o.code for o in outs] == list(PAIR)
    assert max(frame.width, frame.height) == pytest.approx(M.SVG_SIZE, abs=0.1)
    for o in outs:
        x = (o.lon - frame.west) * frame.kx
        y = (frame.north - o.lat) * frame.ky
        assert 0 <= x <= frame.width and 0 <= y <= frame.height
        assert o.path.startswith("M") and o.path.endswith("Z")


def test_report_record_is_a_clean_intake_record(now):
    case_no = M.report_case_no(7, "client-0001")
    rec = M.report_record(case_no, "S0101", OWN, 121.1, 32.08, now)
    assert rec["source"] == M.REPORT_SOURCE and rec["grid_code"] == OWN
    assert rec["case_no"] == case_no and re.fullmatch(r"MG[0-9A-F]{18}", case_no)
    assert rec["reported_at"] == now.replace(microsecond=0).isoformat(sep=" ")
    # the same account and form give the same case; another account or form another
    assert M.report_case_no(7, "client-0001") == case_no
    assert len({case_no, M.report_case_no(8, "client-0001"),
                M.report_case_no(7, "client-0002")}) == 3


def test_area_names_of_grids_and_villages(demo):
    got = M.area_names(demo, [Scope(OWN, "grid_worker"), Scope(OWN[:12], "grid_worker")])
    want = dict(demo.execute(
        "SELECT code, name FROM grids WHERE code = $g UNION ALL "
        "SELECT code, name FROM regions WHERE code = $v", {"g": OWN, "v": OWN[:12]}).fetchall())
    assert got == want
