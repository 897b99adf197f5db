"""The KPI layer: every KPI against an independent pandas computation, scope, drill-through.

The reference below reads the raw tables with plain pandas and applies the definitions of
docs/kpi.md row by row; the engine reads only the summary tables. Agreement on the demo
store and on a hand-made store full of edge cases is the evidence that the pre-aggregates,
the running sums for stocks and the registry's numerators and denominators are right.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.kpi import KPIS, Scope, drill, get, kpis, kpis_spans, refresh_summaries
from dashboard.kpi.registry import ONTIME_DEFINITIONS
from dashboard.kpi.summaries import (
    GRID_LEVEL,
    REGION_LEVELS,
    SUMMARY_TABLES,
    declared_tables,
)
from dashboard.store import create_schema
from queries import names as Q
from queries import parameters, sql

RAW = ("incidents", "escalations", "surveys", "hazards", "key_persons", "visits",
       "sensor_alerts", "area_surveys")
CANARY_CITY = "3207"
CANARY_ID = 900_000


# --------------------------------------------------------------------------- reference


def load_raw(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f"SELECT * FROM {t}").df() for t in RAW}


def reference(raw: dict[str, pd.DataFrame], prefix: str, d0: date, d1: date,
              ontime: str = "closed") -> dict[str, tuple[float, float | None]]:
    """(numerator, denominator) of every KPI, straight from raw rows with pandas; for a
    quantile KPI (value, rows): the pandas quantile (linear) of the rows' hours."""
    s = pd.Timestamp(d0)
    e = pd.Timestamp(d1) + pd.Timedelta(days=1)

    def inside(col):
        return (col >= s) & (col < e)

    out: dict[str, tuple[float, float | None]] = {}
    inc = raw["incidents"]
    inc = inc[inc["grid_code"].str.startswith(prefix)]
    live = ~inc["is_void"]
    reported = inside(inc["reported_at"])
    registered = live & inside(inc["registered_at"])
    closed = live & inside(inc["closed_at"])
    ontime_closed = closed & (inc["closed_at"] <= inc["deadline_at"])
    closed_dl = closed & inc["deadline_at"].notna()  # 无时限 cases out of on-time rates
    overdue = live & (inc["deadline_at"] < e) & ~(inc["closed_at"] < e)
    handled = live & inc["dispatched_at"].notna() & inside(inc["handled_at"])
    backlog = live & (inc["dispatched_at"] < e) & ~(inc["handled_at"] < e)
    timed = closed & inc["handled_at"].notna() & inc["registered_at"].notna()
    response = (inc["registered_at"] - inc["reported_at"]).dt.total_seconds()
    handling = (inc["handled_at"] - inc["registered_at"]).dt.total_seconds()
    n_closed, n_overdue = closed.sum(), overdue.sum()
    out["reported"] = (reported.sum(), None)
    out["registered"] = (registered.sum(), None)
    out["closed"] = (n_closed, None)
    out["close_rate"] = (n_closed, n_closed + n_overdue)
    out["ontime_rate_closed"] = (ontime_closed.sum(), closed_dl.sum())
    out["ontime_rate_due"] = (ontime_closed.sum(), closed_dl.sum() + n_overdue)
    out["ontime_rate"] = out[ONTIME_DEFINITIONS[ontime]]
    out["deadline_share"] = (closed_dl.sum(), n_closed)
    out["handle_rate"] = (handled.sum(), handled.sum() + backlog.sum())
    out["rework_rate"] = ((closed & (inc["rework_count"] > 0)).sum(), n_closed)
    out["void_rate"] = ((reported & inc["is_void"]).sum(), reported.sum())
    out["avg_response_hours"] = (response[registered].sum() / 3600, registered.sum())
    out["avg_handle_hours"] = (handling[timed].sum() / 3600, timed.sum())
    to_close = (inc["closed_at"] - inc["reported_at"]).dt.total_seconds()
    out["avg_close_hours"] = (to_close[closed].sum() / 3600, closed.sum())
    for stem, hours, rows in (("response", response, registered), ("handle", handling, timed),
                              ("close", to_close, closed)):
        for which, q in (("median", 0.5), ("p90", 0.9)):
            picked = hours[rows] / 3600
            out[f"{which}_{stem}_hours"] = (picked.quantile(q) if len(picked) else np.nan,
                                            rows.sum())
    out["overdue"] = (n_overdue, None)
    out["online_rate"] = ((closed & inc["handled_online"]).sum(), n_closed)

    grid_of = raw["incidents"].set_index("id")["grid_code"]
    sv = raw["surveys"].assign(grid_code=lambda f: f["incident_id"].map(grid_of))
    sv = sv[sv["grid_code"].str.startswith(prefix) & inside(sv["surveyed_at"])]
    rated = sv["rating"].notna()
    out["satisfaction_rate"] = (sv["rating"].isin(["满意", "基本满意"]).sum(), rated.sum())
    out["rating_rate"] = (rated.sum(), len(sv))

    es = raw["escalations"].assign(grid_code=lambda f: f["incident_id"].map(grid_of))
    es = es[es["grid_code"].str.startswith(prefix) & inside(es["escalated_at"])]
    up = es["kind"] == "上报上级"
    for tier in ("town", "county", "city"):
        out[f"escalations_{tier}"] = ((up & (es["to_tier"] == tier)).sum(), None)
    out["transfers"] = ((es["kind"] == "转派").sum(), None)

    hz = raw["hazards"]
    hz = hz[hz["grid_code"].str.startswith(prefix)]
    found = inside(hz["found_at"])
    rect = inside(hz["rectified_at"])
    rect_ontime = rect & (hz["rectified_at"] <= hz["deadline_at"])
    still_open = (hz["found_at"] < e) & ~(hz["rectified_at"] < e)
    open_overdue = still_open & (hz["deadline_at"] < e)
    out["hazards"] = (found.sum(), None)
    out["major_hazards"] = ((found & (hz["risk_level"] == "重大")).sum(), None)
    out["hazard_rectify_rate"] = (rect.sum(), rect.sum() + still_open.sum())
    out["open_hazards"] = (still_open.sum(), None)
    out["hazard_ontime_rate"] = (rect_ontime.sum(), rect.sum() + open_overdue.sum())

    kp = raw["key_persons"]
    kp = kp[kp["grid_code"].str.startswith(prefix)]
    listed = (kp["registered_at"] < e) & ~(kp["removed_at"] < e)
    out["key_persons"] = (listed.sum(), None)
    for k in KPIS:
        if k.split:
            out[k.key] = ((listed & (kp["category"] == k.split)).sum(), None)

    vs = raw["visits"]
    vs = vs[vs["grid_code"].str.startswith(prefix)]
    due_date = pd.to_datetime(vs["due_date"])
    due = (due_date >= s) & (due_date < e)
    on_schedule = due & (vs["visited_at"].dt.normalize() <= due_date)
    out["visit_rate"] = (on_schedule.sum(), due.sum())

    al = raw["sensor_alerts"]
    al = al[al["grid_code"].str.startswith(prefix)]
    a_handled = inside(al["handled_at"])
    unhandled = (al["alerted_at"] < e) & ~(al["handled_at"] < e)
    out["alerts"] = (inside(al["alerted_at"]).sum(), None)
    out["alert_handle_rate"] = (a_handled.sum(), a_handled.sum() + unhandled.sum())

    # 群众满意度测评: an answer belongs to its area (a grid, or a region of any level) and
    # counts for every region whose code its area code starts with
    ar = raw["area_surveys"]
    ar = ar[ar["area_code"].str.startswith(prefix) & inside(ar["surveyed_at"])]
    out["area_satisfaction_rate"] = (ar["rating"].isin(["满意", "基本满意"]).sum(),
                                     ar["rating"].notna().sum())
    out["area_survey_answers"] = (len(ar), None)
    return {k: (float(n), None if d is None else float(d)) for k, (n, d) in out.items()}


def assert_matches(result: pd.DataFrame, ref: dict, label: str) -> None:
    got = result.set_index("key")
    assert set(got.index) == {k.key for k in KPIS}
    for kpi in KPIS:
        row = got.loc[kpi.key]
        num, den = ref[kpi.key]
        where = f"{label} {kpi.key}"
        if kpi.kind == "quantile":
            assert np.isnan(row["numerator"]), where
            assert row["denominator"] == pytest.approx(den), where
            assert row["value"] == pytest.approx(num, rel=1e-9, abs=1e-6, nan_ok=True), (
                where, row["value"], num)
            continue
        assert math.isclose(row["numerator"], num, rel_tol=1e-9, abs_tol=1e-6), (
            where, row["numerator"], num)
        if den is None:
            assert np.isnan(row["denominator"]), where
            assert row["value"] == pytest.approx(num), where
        else:
            assert row["denominator"] == pytest.approx(den), where
            if den == 0:
                assert np.isnan(row["value"]), f"{where}: zero denominator must give NaN"
            else:
                assert row["value"] == pytest.approx(num / den), where


# --------------------------------------------------------------------------- edge store

CITY_GRIDS = [
    "320612001001001", "320612001001002", "320612001002001",
    "320612002001001", "320613001001001", "320613001001002",
]
CANARY_GRIDS = ["320701001001001", "320799001001001"]
T0 = datetime(2025, 1, 1)


def _ts(day: int, hour: float = 0.0) -> datetime:
    return T0 + timedelta(days=day, hours=hour)


def _edge_tables(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Random cases in Jan..Jun 2025 plus hand-placed edge cases and canaries elsewhere."""
    rows = []
    n = 400
    for i in range(n):
        grid = CITY_GRIDS[i % len(CITY_GRIDS)]
        rep = _ts(int(rng.integers(0, 180)), float(rng.uniform(0, 24)))
        if rep.month == 2 and rep.day <= 14:  # first half of February: no reports at all
            rep = rep.replace(day=15)
        void = rep.month == 3 or rng.random() < 0.08  # March: every report void
        stage = int(rng.integers(0, 6))  # how far the case got
        t = rep
        stamps = []
        for _ in range(5):
            t = t + timedelta(hours=float(rng.exponential(60)))
            stamps.append(t)
        reg, disp, hand, ver, clo = (stamps[k] if k < stage and not void else None
                                     for k in range(5))
        limit = float(rng.choice([24, 72, 240]))
        ext = int(rng.choice([0, 0, 0, 48]))
        deadline = reg + timedelta(hours=limit + ext) if reg else None
        rows.append(dict(
            id=i + 1, grid_code=grid, reported_at=rep, registered_at=reg, dispatched_at=disp,
            handled_at=hand, verified_at=ver, closed_at=clo, deadline_at=deadline,
            is_void=void, rework_count=int(rng.choice([0, 0, 0, 1, 2])) if hand else 0,
            extended_hours=ext if reg else 0, escalations=0,
            handled_online=bool(hand and rng.random() < 0.2),
        ))
    # hand-placed edges: closed exactly at the deadline; deadline on a month boundary;
    # open and far past deadline; crossing the year end; handled but never closed
    edge = [
        dict(reported_at=datetime(2025, 1, 31, 23, 30), registered_at=datetime(2025, 1, 31, 23, 50),
             dispatched_at=datetime(2025, 2, 1, 0, 10), handled_at=datetime(2025, 2, 1, 8),
             verified_at=datetime(2025, 2, 1, 9), closed_at=datetime(2025, 2, 1, 10),
             deadline_at=datetime(2025, 2, 1, 10)),
        dict(reported_at=datetime(2025, 4, 29), registered_at=datetime(2025, 4, 29, 1),
             dispatched_at=datetime(2025, 4, 29, 2), handled_at=None, verified_at=None,
             closed_at=None, deadline_at=datetime(2025, 5, 1, 0, 0)),
        dict(reported_at=datetime(2025, 4, 29), registered_at=datetime(2025, 4, 29, 1),
             dispatched_at=datetime(2025, 4, 29, 2), handled_at=None, verified_at=None,
             closed_at=None, deadline_at=datetime(2025, 4, 30, 23, 59, 59)),
        dict(reported_at=datetime(2024, 12, 31, 22), registered_at=datetime(2024, 12, 31, 23),
             dispatched_at=datetime(2025, 1, 2), handled_at=datetime(2025, 1, 20),
             verified_at=datetime(2025, 1, 21), closed_at=datetime(2025, 2, 3),
             deadline_at=datetime(2025, 1, 3)),
        dict(reported_at=datetime(2025, 5, 30), registered_at=datetime(2025, 5, 30, 1),
             dispatched_at=datetime(2025, 5, 30, 2), handled_at=datetime(2025, 6, 2),
             verified_at=None, closed_at=None, deadline_at=datetime(2025, 5, 31)),
    ]
    # no time limit (无时限): a case closed and one still open long after registration
    edge += [
        dict(reported_at=datetime(2025, 1, 10), registered_at=datetime(2025, 1, 10, 2),
             dispatched_at=datetime(2025, 1, 10, 3), handled_at=datetime(2025, 1, 25),
             verified_at=datetime(2025, 1, 26), closed_at=datetime(2025, 1, 27),
             deadline_at=None),
        dict(reported_at=datetime(2025, 1, 11), registered_at=datetime(2025, 1, 11, 2),
             dispatched_at=datetime(2025, 1, 11, 3), handled_at=None, verified_at=None,
             closed_at=None, deadline_at=None),
    ]
    for k, e in enumerate(edge):
        rows.append(dict(id=n + k + 1, grid_code=CITY_GRIDS[k % 3], is_void=False,
                         rework_count=1, extended_hours=0, escalations=0,
                         handled_online=False, **e))
    # a source without time limits: every ninth case has none
    for r in rows[:n]:
        if r["id"] % 9 == 0:
            r["deadline_at"] = None
    inc = pd.DataFrame(rows)
    canary = inc.head(60).copy()
    canary["id"] = CANARY_ID + np.arange(len(canary))
    canary["grid_code"] = [CANARY_GRIDS[k % 2] for k in range(len(canary))]
    canary["is_void"] = False
    inc = pd.concat([inc, canary], ignore_index=True).sort_values("reported_at", kind="stable")
    inc["case_no"] = "NT" + inc["id"].astype(str)
    inc["source"] = np.where(inc["id"] % 3 == 0, "12345热线", "网格员巡查")
    inc["category_code"] = "S0101"
    inc["lon"], inc["lat"] = 120.9, 32.0
    inc["status"] = np.where(inc["is_void"], "已作废",
                             np.where(inc["closed_at"].notna(), "已结案", "处置中"))
    inc["tier"] = np.where(inc["id"] % 4 == 0, "county", "village")
    inc["dept_code"] = None

    live = inc[~inc["is_void"] & inc["dispatched_at"].notna()]
    esc, up = [], "上报上级"
    for r in live.itertuples():
        if r.id % 4 == 0:
            esc.append((r.id, 1, r.dispatched_at, "village", "town", up))
            esc.append((r.id, 2, r.dispatched_at + timedelta(hours=3), "town", "county", up))
        if r.id % 7 == 0:
            esc.append((r.id, 3, r.dispatched_at + timedelta(hours=5), "county", "city", up))
        if r.id % 5 == 0:
            esc.append((r.id, 9, r.dispatched_at + timedelta(hours=1), "village", "village",
                        "转派"))
    esc = pd.DataFrame(esc, columns=["incident_id", "seq", "escalated_at", "from_tier",
                                     "to_tier", "kind"])
    esc["from_dept"], esc["to_dept"] = None, None
    counts = esc.groupby("incident_id").size()
    inc["escalations"] = inc["id"].map(counts).fillna(0).astype(int)

    closed = inc[inc["closed_at"].notna()]
    ratings = ["满意", "基本满意", "不满意", None]
    surveys = pd.DataFrame({
        "incident_id": closed["id"].to_numpy(),
        "surveyed_at": (closed["closed_at"] + pd.Timedelta(hours=30)).to_numpy(),
        "channel": "电话",
        "rating": [ratings[i % 4] for i in range(len(closed))],  # a quarter unrated
    }).sort_values("surveyed_at")

    hz = []
    for i in range(150):
        grid = (CITY_GRIDS + CANARY_GRIDS)[i % 8]
        found = _ts(int(rng.integers(-20, 170)), float(rng.uniform(0, 24)))
        limit = float(rng.choice([7, 15, 30]))
        fix = rng.exponential(limit * 0.8)
        rect = found + timedelta(days=float(fix)) if rng.random() < 0.8 else None
        hz.append(dict(id=(CANARY_ID + i) if grid in CANARY_GRIDS else i + 1, grid_code=grid,
                       found_at=found, deadline_at=found + timedelta(days=limit),
                       rectified_at=rect, risk_level=["一般", "较大", "重大"][i % 3]))
    hz = pd.DataFrame(hz).sort_values("found_at")
    hz["hazard_no"] = "H" + hz["id"].astype(str)
    hz = hz.assign(type="消防", lon=120.9, lat=32.0, source="部门检查", dept_code=None)

    kp = []
    cats = ["独居老人", "残疾人", "吸毒人员", "留守儿童"]
    for i in range(80):
        grid = (CITY_GRIDS + CANARY_GRIDS)[i % 8]
        reg = _ts(int(rng.integers(-400, 160)))
        removed = reg + timedelta(days=float(rng.uniform(10, 300))) if i % 3 == 0 else None
        kp.append(dict(id=(CANARY_ID + i) if grid in CANARY_GRIDS else i + 1, grid_code=grid,
                       category=cats[i % 4], registered_at=reg, removed_at=removed))
    kp = pd.DataFrame(kp)
    kp = kp.assign(risk_level="低", gender="女", birth_year=1950, visit_interval_days=14)

    vs = []
    for p in kp.itertuples():
        for k in range(12):
            due_d = (T0 + timedelta(days=14 * k + p.id % 14)).date()
            u = (p.id * 7 + k) % 5
            visited = (None if u == 0 else datetime.combine(due_d, datetime.min.time())
                       + timedelta(hours=[0, -30, 10, 50, 23.99][u]))
            vs.append(dict(person_id=p.id, grid_code=p.grid_code, due_date=due_d,
                           visited_at=visited, kind="上门走访"))
    vs = pd.DataFrame(vs).sort_values(["due_date", "person_id"], kind="stable")
    vs["id"] = np.arange(1, len(vs) + 1)
    vs.loc[vs["grid_code"].isin(CANARY_GRIDS), "id"] += CANARY_ID

    al = []
    for i in range(120):
        grid = (CITY_GRIDS + CANARY_GRIDS)[i % 8]
        at = _ts(int(rng.integers(0, 180)), float(rng.uniform(0, 24)))
        handled = at + timedelta(hours=float(rng.exponential(40))) if i % 4 else None
        al.append(dict(id=(CANARY_ID + i) if grid in CANARY_GRIDS else i + 1, sensor_id=1,
                       grid_code=grid, alerted_at=at, value=30.0, threshold=20.0,
                       level="一般", handled_at=handled, incident_id=None))
    al = pd.DataFrame(al).sort_values("alerted_at")

    # area surveys about grids, villages, a town and a county of the city, and a canary
    areas = [*CITY_GRIDS, *{g[:12] for g in CITY_GRIDS}, "320612001", "320613",
             "320701001001"]
    ar = []
    for i in range(300):
        area = sorted(areas)[i % len(areas)]
        at = _ts(int(rng.integers(-10, 185)), float(rng.uniform(8, 18)))
        ar.append(dict(id=i + 1, survey_no=f"A{i:05d}", area_code=area, surveyed_at=at,
                       rating=["满意", "基本满意", "不满意", None, "满意"][int(rng.integers(0, 5))],
                       respondent_group="居民" if i % 3 else None, channel="入户"))
    ar = pd.DataFrame(ar).sort_values("surveyed_at")
    return {"incidents": inc, "escalations": esc, "surveys": surveys, "hazards": hz,
            "key_persons": kp, "visits": vs, "sensor_alerts": al, "area_surveys": ar}


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpi") / "edge.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    for table, frame in _edge_tables(np.random.default_rng(5)).items():
        for col in frame.columns:
            if frame[col].dtype == object and frame[col].isna().all():
                frame[col] = frame[col].astype("string")
        con.register("batch", frame)
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM batch")
        con.unregister("batch")
    refresh_summaries(con)
    yield con
    con.close()


@pytest.fixture(scope="module")
def edge_raw(edge_store):
    return load_raw(edge_store)


EDGE_SCOPES = ["3206", "320612", "320612001", "320612001001", "320613001001001"]
EDGE_PERIODS = [
    (date(2025, 1, 1), date(2025, 1, 31)),
    (date(2025, 2, 1), date(2025, 2, 14)),   # no reports at all
    (date(2025, 3, 1), date(2025, 3, 31)),   # every report void
    (date(2025, 4, 30), date(2025, 4, 30)),  # deadlines at 23:59:59 and next midnight
    (date(2025, 1, 15), date(2025, 6, 30)),
    (date(2024, 1, 1), date(2024, 6, 30)),   # before any data: all zero, rates NaN
    (date(2030, 1, 1), date(2030, 1, 31)),   # after the data: flows zero, stocks remain
]


def _scope(region: str) -> Scope:
    return Scope(region, "grid_worker" if len(region) == 15 else "analyst")


@pytest.mark.parametrize("region", EDGE_SCOPES)
@pytest.mark.parametrize("period", EDGE_PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
def test_every_kpi_matches_pandas_on_edge_store(edge_store, edge_raw, region, period):
    got = kpis(edge_store, _scope(region), *period)
    assert_matches(got, reference(edge_raw, region, *period), f"{region} {period}")


def test_edge_store_really_has_the_edges(edge_store, edge_raw):
    march = kpis(edge_store, Scope("3206", "leader"), "2025-03-01", "2025-03-31",
                 keys=["reported", "void_rate", "registered"]).set_index("key")
    assert march.loc["reported", "value"] > 0
    assert march.loc["void_rate", "value"] == 1.0
    empty = kpis(edge_store, Scope("3206", "leader"), "2024-01-01", "2024-01-31")
    rates = empty[empty["key"].map(lambda k: get(k).kind in ("rate", "mean"))]
    assert rates["value"].isna().all() and (rates["numerator"] == 0).all()
    later = kpis(edge_store, Scope("3206", "leader"), "2030-01-01", "2030-01-31",
                 keys=["overdue", "reported", "close_rate"]).set_index("key")
    assert later.loc["overdue", "value"] > 0 and later.loc["reported", "value"] == 0
    assert later.loc["close_rate", "value"] == 0.0  # nothing closed, overdue cases pending
    assert edge_raw["surveys"]["rating"].isna().any()
    assert (edge_raw["incidents"]["rework_count"] > 0).any()


def test_ontime_setting_chooses_the_official_definition(edge_store, edge_raw):
    args = (edge_store, Scope("3206", "leader"), "2025-01-01", "2025-06-30")
    for setting, key in ONTIME_DEFINITIONS.items():
        got = kpis(*args, keys=["ontime_rate", key], ontime=setting).set_index("key")
        assert got.loc["ontime_rate", "denominator"] == got.loc[key, "denominator"]
        ref = reference(edge_raw, "3206", date(2025, 1, 1), date(2025, 6, 30), setting)
        assert got.loc["ontime_rate", "denominator"] == ref["ontime_rate"][1]
    with pytest.raises(ValueError, match="on-time definition"):
        kpis(*args, ontime="whatever")


@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_buckets_match_pandas_per_bucket(edge_store, edge_raw, by):
    d0, d1 = date(2025, 1, 20), date(2025, 4, 10)
    got = kpis(edge_store, Scope("320612", "leader"), d0, d1, by=by)
    periods = sorted(got["period"].unique())
    if by == "month":
        assert periods == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1),
                           date(2025, 4, 1)]
    if by == "day":
        assert len(periods) == (d1 - d0).days + 1
    starts = [max(p, d0) for p in periods]
    ends = [s - timedelta(days=1) for s in starts[1:]] + [d1]
    for period, start, end in zip(periods, starts, ends, strict=True):
        if by == "day" and period.day not in (1, 20, 31) and period != d1:
            continue
        part = got[got["period"] == period].drop(columns="period")
        assert_matches(part, reference(edge_raw, "320612", start, end), f"{by} {period}")


def test_sub_regions_match_pandas(edge_store, edge_raw):
    d0, d1 = date(2025, 2, 1), date(2025, 5, 31)
    got = kpis(edge_store, Scope("3206", "leader"), d0, d1, level="town")
    assert set(got["region"]) == {g[:9] for g in CITY_GRIDS}
    for region, part in got.groupby("region"):
        assert_matches(part.drop(columns="region"), reference(edge_raw, region, d0, d1), region)
    grids = kpis(edge_store, Scope("320612001", "leader"), d0, d1, keys="reported",
                 by="month", level="grid")
    assert set(grids["region"]) <= set(CITY_GRIDS) and len(grids) == 3 * 4
    with pytest.raises(ValueError, match="above the scope"):
        kpis(edge_store, Scope("320612001", "leader"), d0, d1, level="county")


@pytest.mark.parametrize("level", ["county", "town", "village"])
@pytest.mark.parametrize("period", [EDGE_PERIODS[-1], (date(2025, 6, 15), date(2030, 1, 31))],
                         ids=["after-data", "spanning-the-end"])
def test_sub_regions_match_pandas_after_the_data_ends(edge_store, edge_raw, level, period):
    """Stocks carried past the last row (rollup horizon) agree per sub-region."""
    d0, d1 = period
    got = kpis(edge_store, Scope("3206", "leader"), d0, d1, level=level)
    assert not got.empty
    for region, part in got.groupby("region"):
        assert_matches(part.drop(columns="region"), reference(edge_raw, region, d0, d1), region)


SPAN_SETS = {
    # the overview's cards and trend: a period, 环比, 同比 a year back, a day, 12 months
    "cards": {"current": (date(2025, 3, 2), date(2025, 3, 31), None, None),
              "mom": (date(2025, 1, 31), date(2025, 3, 1), None, None),
              "yoy": (date(2024, 3, 2), date(2024, 3, 31), None, None),
              "day": (date(2025, 3, 31), date(2025, 3, 31), ["reported", "overdue"], None),
              "trend": (date(2024, 4, 1), date(2025, 3, 31),
                        ["reported", "avg_handle_hours", "satisfaction_rate"], "month")},
    # periods past the data (the rollups' horizon), spanning its end, weekly buckets
    "late": {"after": (date(2030, 1, 1), date(2030, 1, 31), None, None),
             "across": (date(2025, 6, 15), date(2030, 1, 31), None, "month"),
             "weeks": (date(2025, 1, 20), date(2025, 4, 10), None, "week"),
             "early": (date(2024, 1, 1), date(2024, 6, 30), None, None)},
}


@pytest.mark.parametrize("region", EDGE_SCOPES)
@pytest.mark.parametrize("spans", list(SPAN_SETS))
def test_kpis_spans_equal_one_read_per_period(edge_store, edge_raw, region, spans):
    """One read for several periods gives what a read per period gives, and pandas."""
    spans = SPAN_SETS[spans]
    got = kpis_spans(edge_store, _scope(region), spans)
    assert list(got) == list(spans)
    for name, (d0, d1, keys, by) in spans.items():
        want = kpis(edge_store, _scope(region), d0, d1, keys=keys, by=by)
        pd.testing.assert_frame_equal(got[name], want, check_exact=False, rtol=1e-12)
        if by is None and keys is None:
            assert_matches(got[name], reference(edge_raw, region, d0, d1), f"{region} {name}")


@pytest.mark.parametrize("region", EDGE_SCOPES)
@pytest.mark.parametrize("measure", ["handle", "close"])
def test_one_duration_quantile_reads_case_durations_alone(edge_store, edge_raw, region,
                                                          measure):
    """The median and P90 of one duration (the overview's cards ask the median handling
    time alone) come from kpi/duration_quantiles.sql: the values pandas gives and those of
    the statement over every duration."""
    keys = [f"median_{measure}_hours", f"p90_{measure}_hours"]
    for period in EDGE_PERIODS:
        alone = kpis(edge_store, _scope(region), *period, keys=keys).set_index("key")
        every = kpis(edge_store, _scope(region), *period,
                     keys=[*keys, "median_response_hours"]).set_index("key")
        ref = reference(edge_raw, region, *period)
        for key in keys:
            assert alone.loc[key, "denominator"] == pytest.approx(ref[key][1])
            assert alone.loc[key, "value"] == pytest.approx(
                ref[key][0], rel=1e-9, abs=1e-6, nan_ok=True), (region, period, key)
            assert alone.loc[key, "value"] == pytest.approx(
                every.loc[key, "value"], rel=1e-12, nan_ok=True)
    by_month = kpis(edge_store, _scope(region), date(2025, 1, 15), date(2025, 6, 30),
                    keys=keys, by="month")
    every = kpis(edge_store, _scope(region), date(2025, 1, 15), date(2025, 6, 30),
                 keys=[*keys, "median_response_hours"], by="month")
    every = every[every["key"].isin(keys)].reset_index(drop=True)
    pd.testing.assert_frame_equal(by_month, every, check_exact=False, rtol=1e-12)


# --------------------------------------------------------------------------- demo store


@pytest.fixture(scope="module")
def demo_raw(demo):
    return load_raw(demo)


def _busiest(con, length: int, within: str) -> str:
    return con.execute(
        "SELECT substr(grid_code, 1, $n) AS r FROM incidents WHERE starts_with(grid_code, $p) "
        "GROUP BY r ORDER BY count(*) DESC, r LIMIT 1", {"n": length, "p": within},
    ).fetchone()[0]


def test_every_kpi_matches_pandas_on_demo_store(demo, demo_raw):
    city = demo.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()[0]
    county = _busiest(demo, 6, city)
    town = _busiest(demo, 9, county)
    village = _busiest(demo, 12, town)
    end = pd.Timestamp(demo.execute("SELECT max(reported_at) FROM incidents").fetchone()[0])
    last = (end.to_period("M") - 1)
    periods = [
        (last.start_time.date(), last.end_time.date()),           # last full month
        ((end - pd.Timedelta(days=29)).date(), end.date()),         # last 30 days
        ((end - pd.Timedelta(days=400)).date(), (end - pd.Timedelta(days=250)).date()),
    ]
    for region in (city, county, town, village):
        for d0, d1 in periods:
            got = kpis(demo, Scope(region, "leader"), d0, d1)
            assert_matches(got, reference(demo_raw, region, d0, d1), f"demo {region} {d0}")
    by_month = kpis(demo, Scope(county, "leader"), *periods[2], keys=["closed", "overdue"],
                    by="month").set_index(["period", "key"])
    total = kpis(demo, Scope(county, "leader"), *periods[2], keys=["closed", "overdue"])
    assert by_month.xs("closed", level="key")["value"].sum() == total["value"].iloc[0]
    last_month = by_month.xs("overdue", level="key")["value"].iloc[-1]
    assert last_month == total.set_index("key").loc["overdue", "value"]


def test_demo_summaries_agree_with_raw_tables(demo):
    one = lambda q: demo.execute(q).fetchone()[0]  # noqa: E731
    assert set(declared_tables()) == set(SUMMARY_TABLES)
    assert one("SELECT sum(reported) FROM incident_daily") == one("SELECT count(*) FROM incidents")
    assert one("SELECT sum(reported) FROM incident_monthly") == one(
        "SELECT count(*) FROM incidents")
    assert one("SELECT sum(escalations) FROM escalation_daily") == one(
        "SELECT count(*) FROM escalations")
    assert one("SELECT sum(surveys) FROM survey_daily") == one("SELECT count(*) FROM surveys")
    assert one("SELECT sum(due) FROM visit_daily") == one("SELECT count(*) FROM visits")
    assert one("SELECT sum(found) FROM hazard_daily") == one("SELECT count(*) FROM hazards")
    assert one("SELECT sum(alerts) FROM alert_daily") == one(
        "SELECT count(*) FROM sensor_alerts")
    monthly = demo.execute("SELECT sum(closed), sum(handle_sec) FROM incident_monthly").fetchone()
    daily = demo.execute("SELECT sum(closed), sum(handle_sec) FROM incident_daily").fetchone()
    assert monthly == daily
    # a full refresh writes the grid-level tables in (grid_code, day) order (a prefix
    # prunes row groups: docs/schema.md, Clustering), the region rollups in (region, day)
    # order (migration 016), the others in time order
    for table in SUMMARY_TABLES:
        if table in REGION_LEVELS:
            rows = demo.execute(f"SELECT region, day FROM {table}").df()
            assert (rows["region"] + rows["day"].astype(str)).is_monotonic_increasing, \
                f"{table} rows not in region, day order"
            continue
        if table in GRID_LEVEL:
            rows = demo.execute(f"SELECT grid_code, day FROM {table}").df()
            assert (rows["grid_code"] + rows["day"].astype(str)).is_monotonic_increasing, \
                f"{table} rows not in grid, day order"
            continue
        col = {"incident_monthly": "month", "recent_cases": "reported_at",
               "case_window": "since"}.get(table, "day")
        if table == "open_cases":  # open ones first, each part by grid
            rows = demo.execute("SELECT open_until <> 'infinity' AS closed, grid_code "
                                "FROM open_cases").df()
            assert (rows["closed"].astype(int).astype(str) + rows["grid_code"]) \
                .is_monotonic_increasing, "open_cases not in (closed, grid_code) order"
            continue
        days = demo.execute(f"SELECT {col} FROM {table}").df()[col]
        assert days.is_monotonic_increasing, f"{table} rows not in time order"


def test_refresh_is_idempotent(edge_store):
    first = refresh_summaries(edge_store)
    assert refresh_summaries(edge_store) == first
    assert all(n > 0 for n in first.values())


# --------------------------------------------------------------------------- scope


@pytest.mark.parametrize("bad", ["%", "' OR 1=1 --", "3206%", "", "320", "32061", "3206 ",
                                 "３２０６", "3206000000000000", None, 3206])
def test_malformed_regions_are_refused(bad):
    with pytest.raises(ValueError):
        Scope(bad, "leader")


def test_roles_and_grid_scopes():
    with pytest.raises(ValueError, match="role"):
        Scope("3206", "mayor")
    # Any role may narrow to one grid of its jurisdiction (the overview drills that far).
    assert Scope("320612001001001", "leader").level == "grid"
    assert Scope("320612001001001", "grid_worker").level == "grid"


def test_canaries_never_leak(edge_store, edge_raw):
    for region in EDGE_SCOPES:
        scope = _scope(region)
        for key in (k.key for k in KPIS):
            result = drill(edge_store, scope, key, "2024-01-01", "2030-12-31")
            ids = result.numerator_ids + (result.denominator_ids or [])
            assert all(i < CANARY_ID for i in ids), (region, key)
        got = kpis(edge_store, scope, "2024-01-01", "2030-12-31", level="grid")
        assert not got["region"].str.startswith(CANARY_CITY).any()
    # the canaries are real rows: their own city sees them
    canary = kpis(edge_store, Scope(CANARY_CITY, "leader"), "2024-01-01", "2030-12-31",
                  keys=["reported", "hazards", "key_persons", "alerts"]).set_index("key")
    assert (canary["value"] > 0).all()
    everything = kpis(edge_store, Scope("3206", "leader"), "2024-01-01", "2030-12-31",
                      keys="reported")
    assert everything["value"].iloc[0] == (
        edge_raw["incidents"]["grid_code"].str.startswith("3206").sum())


def test_every_scoped_query_binds_the_prefix():
    from queries import SQL_DIR

    for path in sorted(SQL_DIR.glob("kpi/*.sql")):
        name = path.relative_to(SQL_DIR).with_suffix("").as_posix()
        slots = {Q.KPI_LEVEL_SERIES: {"level": "village"},
                 Q.KPI_DURATION_QUANTILES: {"measure": "handle"},
                 Q.KPI_DURATION_BINS: {"measure": "handle"},
                 Q.KPI_DURATION_BIN_VALUES: {"measure": "handle"}}.get(name, {})
        text = sql(name, **slots)
        assert "prefix" in parameters(text), path.stem
        body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
        assert "starts_with(" in body and "$prefix" in body, path.stem


def test_bad_input_is_a_clear_error(edge_store):
    scope = Scope("3206", "leader")
    with pytest.raises(ValueError, match="unknown KPI"):
        kpis(edge_store, scope, "2025-01-01", "2025-01-31", keys=["nope"])
    with pytest.raises(ValueError, match="unknown KPI"):
        drill(edge_store, scope, "nope", "2025-01-01", "2025-01-31")
    with pytest.raises(ValueError, match="after"):
        kpis(edge_store, scope, "2025-02-01", "2025-01-31")
    with pytest.raises(ValueError, match="date"):
        kpis(edge_store, scope, "2025-02-30", "2025-03-31")
    with pytest.raises(ValueError, match="unknown by"):
        kpis(edge_store, scope, "2025-01-01", "2025-01-31", by="year")
    with pytest.raises(ValueError, match="unknown level"):
        kpis(edge_store, scope, "2025-01-01", "2025-01-31", level="grid_code; DROP")
    with pytest.raises(ValueError, match="Scope"):
        kpis(edge_store, "3206", "2025-01-01", "2025-01-31")
    with pytest.raises(PermissionError):
        drill(edge_store, Scope("3206", "screen"), "closed", "2025-01-01", "2025-01-31")


# --------------------------------------------------------------------------- drill-through


def _check_drill(con, scope, d0, d1):
    got = kpis(con, scope, d0, d1).set_index("key")
    for kpi in KPIS:
        result = drill(con, scope, kpi.key, d0, d1)
        row = got.loc[kpi.key]
        if kpi.kind in ("mean", "quantile"):  # the rows averaged or ranked
            assert len(result.numerator_ids) == row["denominator"], kpi.key
        else:
            assert len(result.numerator_ids) == row["numerator"], kpi.key
        if kpi.den is None:
            assert result.denominator_ids is None, kpi.key
        else:
            assert len(result.denominator_ids) == row["denominator"], kpi.key
            if kpi.kind == "rate":
                assert set(result.numerator_ids) <= set(result.denominator_ids), kpi.key


@pytest.mark.parametrize("region", ["3206", "320612001"])
@pytest.mark.parametrize("period", EDGE_PERIODS[:5], ids=lambda p: f"{p[0]}..{p[1]}")
def test_drill_ids_count_to_numerator_and_denominator(edge_store, region, period):
    _check_drill(edge_store, Scope(region, "analyst"), *period)


def test_drill_on_demo_store(demo):
    end = pd.Timestamp(demo.execute("SELECT max(reported_at) FROM incidents").fetchone()[0])
    county = _busiest(demo, 6, "3206")
    _check_drill(demo, Scope(county, "leader"), (end - pd.Timedelta(days=60)).date(), end.date())


def test_registry_is_complete():
    keys = {k.key for k in KPIS}
    assert len(keys) == len(KPIS)
    for kpi in KPIS:
        assert kpi.name_zh and kpi.name_en and kpi.formula and kpi.definition
        assert kpi.better in ("higher", "lower") and kpi.kind in ("count", "stock", "rate",
                                                                 "mean", "quantile")
        assert (kpi.den is None) == (kpi.kind in ("count", "stock")) == (kpi.denominator is None)
        assert (kpi.q is not None) == (kpi.kind == "quantile")


def test_a_region_without_rows_gives_zeros_and_nans(edge_store):
    scope = Scope("3299", "leader")
    got = kpis(edge_store, scope, "2025-01-01", "2025-03-31")
    ranked = got["key"].map(lambda k: get(k).kind == "quantile")
    assert (got.loc[~ranked, "numerator"] == 0).all() and got.loc[ranked, "value"].isna().all()
    assert (got.loc[ranked, "denominator"] == 0).all()
    got = got[~ranked]
    assert (got["numerator"] == 0).all()
    assert got.loc[got["denominator"].notna(), "value"].isna().all()
    monthly = kpis(edge_store, scope, "2025-01-01", "2025-03-31", by="month")
    assert len(monthly) == 3 * len(KPIS) and (monthly["numerator"].fillna(0) == 0).all()
    assert kpis(edge_store, scope, "2025-01-01", "2025-03-31", level="county").empty
    assert drill(edge_store, scope, "close_rate", "2025-01-01", "2025-03-31").numerator_ids == []


def test_docs_list_every_kpi_and_summary_table():
    from queries import SQL_DIR

    text = (SQL_DIR.parent / "docs" / "kpi.md").read_text(encoding="utf-8")
    for kpi in KPIS:
        assert f"`{kpi.key}`" in text, kpi.key
    for table in SUMMARY_TABLES:
        assert f"`{table}`" in text, table
