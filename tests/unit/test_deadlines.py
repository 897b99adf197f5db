"""Cases without a time limit (无时限) and the durations: issue 14, items 3 and 4.

A source or category without a time limit gives cases whose ``deadline_at`` is NULL. They
must not count as late: they are left out of both 按期结案率 definitions and of 超期数, the
share of closed cases that had a limit (有时限案件占比) is shown beside the rates, and a unit
whose cases have none is not graded on timeliness at all. Everything is checked against
plain pandas over the raw rows (``tests/unit/test_kpi.py``'s reference), on a store whose
cases of one category came in through a real import.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard import thematic_data
from dashboard.filters import Filters
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi import Scope, drill, kpis, refresh_summaries
from dashboard.kpi.evaluation import (
    DEFAULT_WEIGHTS,
    PRIOR_STRENGTH,
    indicator_score,
    score_departments,
    score_regions,
)
from dashboard.kpi.registry import get
from dashboard.store import create_schema
from tests.unit.ingest_helpers import connect, copy_store, summary_checksums
from tests.unit.test_kpi import assert_matches, load_raw, reference
from tests.unit.test_thematic_data import assert_durations, counts, expected_lights

NO_LIMIT = "X9901"


def _no_limit_category(con) -> None:
    """A city's own category without a time limit (what `import taxonomy` may bring)."""
    con.execute("ALTER TABLE categories ALTER COLUMN deadline_hours DROP NOT NULL")
    con.execute("INSERT INTO categories (code, domain, major_code, major_name, minor_name, "
                "name_en, deadline_hours, dept_kind) VALUES ($c, '社会治理', 'X99', '其他', "
                "'咨询建议', 'Advice', NULL, '综治')", {"c": NO_LIMIT})


def _cases(con, prefix: str, n: int, day: date, seed: int, category: str) -> pd.DataFrame:
    grids = con.execute(f"SELECT code, lon, lat FROM grids USING SAMPLE {n} ROWS "
                        f"(reservoir, {seed}) ORDER BY code").df()
    rows = []
    for i in range(n):
        t0 = datetime.combine(day, datetime.min.time()) + timedelta(hours=8 + i % 9)
        closed = t0 + timedelta(hours=3 + 17 * (i % 11)) if i % 4 else None
        rows.append({
            "case_no": f"{prefix}{i:05d}", "source": "12345热线", "category_code": category,
            "grid_code": grids["code"].iloc[i % len(grids)],
            "reported_at": t0, "registered_at": t0 + timedelta(minutes=20 + 7 * (i % 5)),
            "dispatched_at": t0 + timedelta(hours=1),
            "handled_at": None if closed is None else closed - timedelta(hours=1),
            "closed_at": closed,
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def imported(ingest_store, tmp_path_factory):
    """The small demo store plus cases of a category without a limit, loaded by the
    importer: a batch of new cases (additive refresh), then one that also updates stored
    cases into that category (key-wise refresh)."""
    tmp = tmp_path_factory.mktemp("nolimit")
    path = copy_store(ingest_store, tmp)
    con = connect(path)
    _no_limit_category(con)
    last = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
    day = (last - timedelta(days=20)).date()
    m = Mapping.identity("incidents")
    _cases(con, "NOLIM", 240, day, 3, NO_LIMIT).to_csv(tmp / "a.csv", index=False)
    first = load_files(con, "incidents", m, [tmp / "a.csv"])
    old = con.execute("SELECT case_no, source, grid_code, reported_at, registered_at, "
                      "dispatched_at, handled_at, closed_at FROM incidents "
                      "WHERE NOT is_void AND closed_at IS NOT NULL AND category_code <> $c "
                      "ORDER BY id DESC LIMIT 60", {"c": NO_LIMIT}).df()
    old["category_code"] = NO_LIMIT
    both = pd.concat([old, _cases(con, "NOLIMB", 30, day + timedelta(days=3), 4, NO_LIMIT)])
    both.to_parquet(tmp / "b.parquet")
    second = load_files(con, "incidents", m, [tmp / "b.parquet"])
    yield {"con": con, "first": first, "second": second, "day": day}
    con.close()


def test_a_category_without_a_limit_gives_cases_without_a_deadline(imported):
    con = imported["con"]
    assert imported["first"].inserted == 240 and imported["first"].summaries == "additive"
    assert imported["second"].updated == 60 and imported["second"].summaries == "incremental"
    n, with_deadline = con.execute(
        "SELECT count(*), count(deadline_at) FROM incidents WHERE category_code = $c",
        {"c": NO_LIMIT}).fetchone()
    assert n == 330 and with_deadline == 0
    # other categories still get 立案 + limit + 延期
    assert con.execute("SELECT count(*) FROM incidents WHERE category_code <> $c AND "
                       "registered_at IS NOT NULL AND deadline_at IS NULL",
                       {"c": NO_LIMIT}).fetchone()[0] == 0


def test_incremental_and_additive_refreshes_equal_a_full_one_with_no_limit_cases(imported):
    con = imported["con"]
    assert con.execute("SELECT sum(closed_nodl) FROM incident_daily").fetchone()[0] > 0
    assert con.execute("SELECT sum(closed_nodl) FROM city_daily").fetchone()[0] > 0
    loaded = summary_checksums(con)
    refresh_summaries(con)
    assert summary_checksums(con) == loaded


def test_kpis_match_pandas_with_no_limit_cases(imported):
    con = imported["con"]
    raw = load_raw(con)
    day = imported["day"]
    inc = raw["incidents"]
    busiest = inc[inc["category_code"] == NO_LIMIT]["grid_code"].str[:6].value_counts().index[0]
    periods = [(day, day + timedelta(days=30)), (day.replace(day=1), day + timedelta(days=5))]
    for region in ("3206", busiest, busiest + "001"):
        for d0, d1 in periods:
            got = kpis(con, Scope(region, "leader"), d0, d1)
            assert_matches(got, reference(raw, region, d0, d1), f"{region} {d0}")
    whole = kpis(con, Scope("3206", "leader"), *periods[0]).set_index("key")
    # the no-limit cases are really out of the on-time denominator, and shown as a share
    assert 0 < whole.loc["deadline_share", "value"] < 1
    assert whole.loc["ontime_rate", "denominator"] < whole.loc["closed", "value"]


def test_timeliness_page_shows_a_no_limit_group(imported):
    con = imported["con"]
    # the page's "now" is at or after every stored time (the app's clock, or the end of a
    # stale store's last day; the loader quarantines future times): the newest time here
    now = con.execute("SELECT max(greatest(reported_at, registered_at, dispatched_at, "
                      "handled_at, verified_at, closed_at)) FROM incidents").fetchone()[0]
    d0 = imported["day"] - timedelta(days=3)
    filters = Filters.from_query(f"?period=custom&from={d0}&to={now.date()}")
    got = thematic_data.timeliness(con, Scope("3206", "leader"), filters, now)
    inc = con.execute("SELECT * FROM incidents WHERE reported_at >= $s AND reported_at < $e",
                      {"s": datetime.combine(d0, datetime.min.time()),
                       "e": datetime.combine(now.date() + timedelta(days=1),
                                             datetime.min.time())}).df()
    live = inc[~inc["is_void"]]
    lights = counts(got["light"])
    assert lights == expected_lights(live, now)
    assert lights["无时限"] >= 270  # the new cases and the re-categorised ones
    assert_durations(got["duration"], live, now)
    # the weekly on-time rate divides by the closures that had a limit
    week = got["week"]
    assert (week["n_dl"] < week["n"]).any() and (week["ontime"] <= week["n_dl"]).all()


# --------------------------------------------------------------------------- grading


GRIDS = {"limited": "320612001001001", "unlimited": "320612002001001"}


def _graded_store(path) -> duckdb.DuckDBPyConnection:
    """Two towns, 80 closed cases each: one whose cases all have a limit (most kept), one
    whose source has none."""
    con = duckdb.connect(str(path))
    create_schema(con)
    rows = []
    t0 = datetime(2025, 3, 1, 8)
    for town, grid in GRIDS.items():
        for i in range(80):
            rep = t0 + timedelta(hours=7 * i)
            reg = rep + timedelta(hours=1)
            closed = reg + timedelta(hours=10 + (i % 7) * 6)
            deadline = reg + timedelta(hours=40) if town == "limited" else None
            rows.append(dict(
                id=len(rows) + 1, case_no=f"C{len(rows)}", source="12345热线",
                category_code="S0101", grid_code=grid, lon=120.9, lat=32.0, reported_at=rep,
                registered_at=reg, dispatched_at=reg, handled_at=closed - timedelta(hours=1),
                verified_at=closed, closed_at=closed, deadline_at=deadline, status="已结案",
                is_void=False, rework_count=int(i % 10 == 0), extended_hours=0,
                tier="village", dept_code=f"D{town}", escalations=0, handled_online=False))
    frame = pd.DataFrame(rows)
    con.register("batch", frame)
    con.execute(f"INSERT INTO incidents ({', '.join(frame.columns)}) SELECT * FROM batch")
    con.unregister("batch")
    refresh_summaries(con)
    return con


def test_a_unit_without_time_limits_is_not_graded_on_timeliness(tmp_path):
    con = _graded_store(tmp_path / "graded.duckdb")
    scope, d0, d1 = Scope("3206", "leader"), date(2025, 3, 1), date(2025, 4, 30)
    towns = score_regions(con, scope, d0, d1, level="town", min_volume=30).set_index("region")
    free = towns.loc[GRIDS["unlimited"][:9]]
    limited = towns.loc[GRIDS["limited"][:9]]
    # the on-time component is not applicable: no value, no shrunk value, no score
    assert math.isnan(free["ontime_rate"]) and free["ontime_rate_n"] == 0
    assert math.isnan(free["ontime_rate_shrunk"]) and math.isnan(free["ontime_rate_score"])
    # it is still ranked, on its other KPIs with their weights renormalised
    assert free["ranked"] and free["volume"] == 80 and limited["volume"] == 80
    used = {k: w for k, w in DEFAULT_WEIGHTS.items()
            if k != "ontime_rate" and not math.isnan(free[f"{k}_shrunk_score"])}
    hand = sum(w * free[f"{k}_shrunk_score"] for k, w in used.items()) / sum(used.values())
    assert free["score_shrunk"] == pytest.approx(hand)
    overall = kpis(con, scope, d0, d1, keys=list(DEFAULT_WEIGHTS)).set_index("key")
    for key in used:  # the other KPIs are shrunk toward the scope as always
        num, den = (kpis(con, Scope(GRIDS["unlimited"][:9], "leader"), d0, d1, keys=key)
                    .iloc[0][["numerator", "denominator"]])
        prior = overall.loc[key, "value"]
        shrunk = (num + PRIOR_STRENGTH * prior) / (den + PRIOR_STRENGTH)
        assert free[f"{key}_shrunk"] == pytest.approx(shrunk)
        assert free[f"{key}_shrunk_score"] == pytest.approx(
            float(indicator_score(get(key), shrunk)))
    assert free["grade"] in ("A", "B")  # 0 % on time would have pulled it to C or D
    assert limited["ontime_rate_n"] == 80 and limited["ontime_rate"] > 0.5
    # the same for departments
    depts = score_departments(con, scope, d0, d1, min_volume=30).set_index("dept_code")
    assert math.isnan(depts.loc["Dunlimited", "ontime_rate_shrunk"])
    assert depts.loc["Dunlimited", "ranked"] and depts.loc["Dunlimited", "volume"] == 80
    assert depts.loc["Dunlimited", "score_shrunk"] == pytest.approx(free["score_shrunk"])
    con.close()


def test_a_source_without_limits_has_no_on_time_rate_and_nothing_overdue(tmp_path):
    con = _graded_store(tmp_path / "free.duckdb")
    scope = Scope(GRIDS["unlimited"][:9], "leader")
    got = kpis(con, scope, "2025-03-01", "2025-04-30").set_index("key")
    assert got.loc["closed", "value"] == 80
    for key in ("ontime_rate", "ontime_rate_closed", "ontime_rate_due"):
        assert got.loc[key, "denominator"] == 0 and np.isnan(got.loc[key, "value"]), key
    assert got.loc["deadline_share", "value"] == 0.0
    assert got.loc["overdue", "value"] == 0 and got.loc["close_rate", "value"] == 1.0
    ids = drill(con, scope, "ontime_rate_due", "2025-03-01", "2025-04-30")
    assert ids.numerator_ids == [] and ids.denominator_ids == []
    assert len(drill(con, scope, "deadline_share", "2025-03-01", "2025-04-30")
               .denominator_ids) == 80
    con.close()
