"""The KPI strip's exact medians over whole months (migration 018: duration_ranks and
duration_bins): the tables equal pandas over the raw rows, and the engine's quantiles of a
city or a county read from them equal pandas' quantiles over the raw rows and, to the
last bit, the statement over every row of the period (kpi/incident_quantiles.sql), for
whole months, partial months at both ends, 30 days and three years."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.kpi import Scope, engine, kpis
from dashboard.periods import shift_months
from queries import names as Q
from queries import run
from tests.unit.ranks_helpers import check_rank_tables, raw_durations

QUANTILE_KEYS = [f"{which}_{measure}_hours" for which in ("median", "p90")
                 for measure in ("response", "handle", "close")]
MEASURES = ("response", "handle", "close")


def every_row_quantiles(con, prefix: str, d0: date, d1: date) -> dict[str, float]:
    """kpi/incident_quantiles.sql over every row of the period (the path the engine took
    before migration 018 and still takes for other scopes)."""
    rows = run(con, Q.KPI_INCIDENT_QUANTILES, prefix=prefix, level_len=len(prefix),
               start=datetime.combine(d0, datetime.min.time()),
               end=datetime.combine(d1 + timedelta(days=1), datetime.min.time()),
               date_from=d0, by="none", measures=list(MEASURES))
    out = {k: float("nan") for k in QUANTILE_KEYS}
    for rec in rows.to_dict("records"):
        out[f"median_{rec['measure']}_hours"] = rec["p50"]
        out[f"p90_{rec['measure']}_hours"] = rec["p90"]
    return out


def pandas_quantiles(durations: pd.DataFrame, d0: date, d1: date) -> dict[str, float]:
    inside = (durations["day"] >= pd.Timestamp(d0)) & (durations["day"] <= pd.Timestamp(d1))
    out = {}
    for measure in MEASURES:
        hours = durations.loc[inside & (durations["measure"] == measure), "hours"]
        out[f"median_{measure}_hours"] = hours.median() if len(hours) else float("nan")
        out[f"p90_{measure}_hours"] = hours.quantile(0.9) if len(hours) else float("nan")
    return out


def periods(last: date) -> dict[str, tuple[date, date]]:
    """Whole months, partial months at both ends, 30 days and three years up to ``last``."""
    first_of = last.replace(day=1)
    return {
        "one whole month": (shift_months(first_of, -2), first_of - timedelta(days=1)),
        "three whole months": (shift_months(first_of, -4), shift_months(first_of, -1)
                               - timedelta(days=1)),
        "partial both ends": (shift_months(first_of, -5) + timedelta(days=9),
                              shift_months(first_of, -1) + timedelta(days=13)),
        "from a first to mid-month": (shift_months(first_of, -3), last),
        "30 days": (last - timedelta(days=29), last),
        "13 months": (shift_months(last, -13) + timedelta(days=1), last),
        "three years": (shift_months(last, -36) + timedelta(days=1), last),
    }


@pytest.fixture(scope="module")
def scopes(demo):
    city = demo.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()[0]
    county = demo.execute(
        "SELECT left(grid_code, 6) AS c FROM incidents GROUP BY c ORDER BY count(*) DESC, c "
        "LIMIT 1").fetchone()[0]
    return {"city": city, "county": county}


@pytest.fixture(scope="module")
def demo_durations(demo):
    return raw_durations(demo)


def test_rank_tables_equal_pandas_on_the_demo_store(demo):
    check_rank_tables(demo)


def test_the_ranks_are_stored_in_measure_bin_month_order(demo):
    """The full refill writes duration_ranks sorted by (measure, bin, month), the keys
    kpi/rank_values.sql filters on (county is no sort key: analysis/ranks_fill.sql), so a
    bin's durations lie together and zone maps skip the rest."""
    keys = demo.execute("SELECT measure, bin, month FROM duration_ranks ORDER BY rowid").df()
    assert len(keys) > 1000 and keys["measure"].nunique() == 3
    assert keys.equals(keys.sort_values(["measure", "bin", "month"], kind="stable"))


@pytest.mark.parametrize("which", ["city", "county"])
def test_ranked_quantiles_equal_pandas_and_every_row(demo, demo_durations, scopes, which):
    prefix = scopes[which]
    durations = demo_durations[demo_durations["grid_code"].str.startswith(prefix)]
    last = demo.execute("SELECT max(CAST(reported_at AS DATE)) FROM incidents").fetchone()[0]
    scope = Scope(prefix, "analyst")
    for name, (d0, d1) in periods(last).items():
        got = kpis(demo, scope, d0, d1, keys=QUANTILE_KEYS).set_index("key")["value"]
        slow = every_row_quantiles(demo, prefix, d0, d1)
        want = pandas_quantiles(durations, d0, d1)
        for key in QUANTILE_KEYS:
            assert not np.isnan(want[key]), (which, name, key)
            # bit for bit the statement over every row (the same quantile_cont)
            assert got[key] == slow[key], (which, name, key, got[key], slow[key])
            assert got[key] == pytest.approx(want[key], rel=1e-12), (which, name, key)
    # the long periods take the ranked path
    for name in ("one whole month", "three whole months", "partial both ends", "three years"):
        assert engine._ranked(demo, scope, *periods(last)[name]), name


def test_other_scopes_and_buckets_keep_the_every_row_path(demo, scopes):
    last = demo.execute("SELECT max(CAST(reported_at AS DATE)) FROM incidents").fetchone()[0]
    d0, d1 = periods(last)["three years"]
    town = demo.execute("SELECT left(grid_code, 9) FROM incidents WHERE starts_with("
                        "grid_code, $c) LIMIT 1", {"c": scopes["county"]}).fetchone()[0]
    assert not engine._ranked(demo, Scope(town, "analyst"), d0, d1)
    # a period without a whole month reads its rows
    assert not engine._ranked(demo, Scope(scopes["city"], "analyst"),
                              date(2025, 3, 2), date(2025, 4, 29))
    assert engine._ranked(demo, Scope(scopes["city"], "analyst"),
                          date(2025, 3, 1), date(2025, 3, 31))


def test_interpolation_is_quantile_conts_to_the_bit():
    # random durations, every quantile the registry uses and others: the engine's
    # interpolation between the two ranks gives DuckDB's double
    con = duckdb.connect()
    rng = np.random.default_rng(11)
    for trial in range(400):
        n = int(rng.integers(2, 80))
        x = np.sort(rng.lognormal(2, 1.2, n))
        q = (0.5, 0.9, 0.1, 0.25, 0.75)[trial % 5]
        want = con.execute("SELECT quantile_cont(v, $q) FROM (SELECT unnest($x) AS v)",
                           {"x": x.tolist(), "q": q}).fetchone()[0]
        rn = float(n - 1) * q
        lo, hi = float(x[math.floor(rn)]), float(x[math.ceil(rn)])
        got = lo if lo == hi or rn == math.floor(rn) else \
            engine._interpolate(lo, rn - math.floor(rn), hi)
        assert got == want, (n, q, got, want)
    con.close()
