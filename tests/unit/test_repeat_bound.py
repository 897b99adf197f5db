"""The 事件 page's repeat places read through a bound (theme/repeat_places_bound.sql).

The page's top places come from ``repeat_place_cases``, reading only the places whose
number of cases in all (``place_n``) reaches a lower bound on the ``limit``-th count. The
session demo has only a handful of repeat places, all of three cases, so here a copy of it
gets sixty places of 3 to 40 cases each (copies of real cases at their points, spread over
three years, with other sources and states), and the product's rows are compared with
theme/repeat_places.sql over the raw cases (no table, no bound) for periods, filters and
limits where the bound cuts, ties included.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard import thematic_data as td
from dashboard.filters import Filters
from dashboard.kpi.scope import Scope
from dashboard.kpi.summaries import refresh_repeat_places
from queries import names as Q
from queries import run
from tests.unit.ingest_helpers import copy_store

CITY = Scope("3206", "leader")
SOURCES = ("12345热线", "网格员巡查", "群众随手拍")
STATES = ("已结案", "处置中", "已立案")


@pytest.fixture(scope="module")
def planted(demo_store, now, tmp_path_factory):
    path = copy_store(demo_store, tmp_path_factory.mktemp("repeat-bound"))
    con = duckdb.connect(str(path))
    seeds = con.execute(
        "SELECT id FROM incidents WHERE NOT is_void AND coalesce(point_quality, '') = '' "
        "ORDER BY hash(id) LIMIT 60").fetchall()
    rng = np.random.default_rng(5)
    next_id = con.execute("SELECT max(id) + 1 FROM incidents").fetchone()[0]
    span = 3 * 365 * 86_400
    for i, (seed,) in enumerate(seeds):
        # counts with ties (several places of 12 and of 20) and one per size otherwise
        copies = int(rng.choice([3, 5, 8, 12, 12, 12, 20, 20, 31, 40]))
        for _ in range(copies):
            at = now - timedelta(seconds=int(rng.integers(0, span)))
            con.execute(
                "INSERT INTO incidents SELECT * REPLACE ("
                "$id AS id, 'RB' || $id AS case_no, $at AS reported_at, $source AS source, "
                "$status AS status, CASE WHEN $status = '已结案' THEN $at END AS closed_at) "
                "FROM incidents WHERE id = $seed",
                {"id": next_id, "at": at, "source": SOURCES[int(rng.integers(3))],
                 "status": STATES[int(rng.integers(3))], "seed": seed})
            next_id += 1
        if i % 7 == 0:  # a few places that also had cases long before the period
            con.execute("UPDATE incidents SET reported_at = reported_at - INTERVAL 4 YEAR "
                        "WHERE id = $id", {"id": next_id - 1})
    refresh_repeat_places(con)
    yield con
    con.close()


def _filters(query: str, now) -> Filters:
    start = (now - pd.Timedelta(days=364)).date()
    return Filters.from_query(query.replace(
        "{year}", f"period=custom&from={start}&to={now.date()}").replace(
        "{3y}", f"period=custom&from={(now - pd.Timedelta(days=3 * 365)).date()}"
                f"&to={now.date()}"))


@pytest.mark.parametrize("query", ["?{3y}", "?{year}", "?period=last_month", "?period=30d",
                                   "?{3y}&source=12345热线", "?{3y}&status=已结案",
                                   "?{year}&source=网格员巡查,群众随手拍&status=处置中",
                                   "?{3y}&region=320612"])
def test_bounded_places_equal_those_of_the_raw_cases(planted, now, query):
    filters = _filters(query, now)
    p = filters.params(CITY, now.date())
    places = planted.execute("SELECT count(DISTINCT place), max(place_n) FROM "
                             "repeat_place_cases").fetchone()
    assert places[0] >= 55 and places[1] >= 40  # the plants are there
    cut = 0
    for min_cases, limit in ((3, 1), (3, 3), (3, 10), (4, 7), (5, 25), (3, 10**6)):
        got = td.repeat_places(planted, CITY, filters, now, min_cases=min_cases, limit=limit)
        want = run(planted, Q.THEME_REPEAT_PLACES, **p, min_cases=min_cases, limit=limit)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
        (bound,), = run(planted, Q.THEME_REPEAT_PLACES_BOUND, **p, min_cases=min_cases,
                        limit=limit, k=20 * limit, form="rows")
        if bound is not None and bound > min_cases:
            cut += 1  # the bound left places out, and the rows are still the same
    if "period=30d" not in query and "last_month" not in query:
        assert cut >= 2, "the bound never cut: this test would not see it wrong"
