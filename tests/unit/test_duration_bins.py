"""The median and P90 of handling and closing times of a city or a county over any period
(the overview's cards ask the median of the last 30 days): counted per bin and read one bin
per rank (dashboard/kpi/engine.py _bin_quantiles, kpi/duration_bins.sql), equal to the bit
to quantile_cont over every duration of the period (kpi/duration_quantiles.sql, the path
the smaller scopes keep), on the demo store and on durations made to sit on bin edges,
tie, run negative or stand alone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pytest

from dashboard.kpi import Scope, engine, kpis
from queries import names as Q
from queries import run

KEYS = ("median_handle_hours", "p90_handle_hours", "median_close_hours", "p90_close_hours")


def every_row(con, prefix: str, measure: str, d0: date, d1: date) -> dict[float, float]:
    """quantile_cont over every duration of the period (kpi/duration_quantiles.sql)."""
    rows = run(con, Q.KPI_DURATION_QUANTILES, slots={"measure": measure}, prefix=prefix,
               level_len=len(prefix), start=datetime.combine(d0, datetime.min.time()),
               end=datetime.combine(d1 + timedelta(days=1), datetime.min.time()),
               date_from=d0, by="none")
    if rows.empty:
        return {0.5: float("nan"), 0.9: float("nan")}
    return {0.5: float(rows.at[0, "p50"]), 0.9: float(rows.at[0, "p90"])}


@pytest.fixture()
def binned_calls(monkeypatch):
    calls = []
    real = engine._bin_quantiles

    def spy(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_bin_quantiles", spy)
    return calls


def _periods(con, prefix: str) -> dict[str, tuple[date, date]]:
    """The periods asked of ``prefix``, ending on its own last day with a closed case that
    has both durations: the demo ends at the moment it is built, so the city's last day
    may hold no such case of a county at some hours (one CI run failed on it)."""
    last = con.execute(
        "SELECT max(closed_day) FROM case_durations WHERE starts_with(grid_code, $p) "
        "AND handle_hours IS NOT NULL AND close_hours IS NOT NULL", {"p": prefix}
    ).fetchone()[0]
    return {"30 days": (last - timedelta(days=29), last),
            "a week": (last - timedelta(days=6), last),
            "one day": (last, last),
            "a year": (last - timedelta(days=364), last),
            "nothing closed": (last + timedelta(days=10), last + timedelta(days=20))}


def test_city_and_county_quantiles_equal_every_row_to_the_bit(demo, binned_calls):
    city = demo.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()[0]
    county = demo.execute(
        "SELECT left(grid_code, 6) AS c FROM case_durations GROUP BY c ORDER BY count(*) "
        "DESC, c LIMIT 1").fetchone()[0]
    periods = {prefix: _periods(demo, prefix) for prefix in (city, county)}
    for prefix in (city, county):
        for name, (d0, d1) in periods[prefix].items():
            for key in KEYS:
                got = kpis(demo, Scope(prefix, "analyst"), d0, d1, keys=[key])
                value = float(got.set_index("key").at[key, "value"])
                want = every_row(demo, prefix, key.split("_")[1], d0, d1)[
                    0.5 if key.startswith("median") else 0.9]
                if np.isnan(want):
                    assert name == "nothing closed" and np.isnan(value), (prefix, name, key)
                else:
                    assert value == want, (prefix, name, key, value, want)
    # every period without a whole month (those read the ranked durations, migration 018)
    for prefix in (city, county):
        own = sum(not engine._ranked(demo, Scope(prefix, "analyst"), d0, d1)
                  for d0, d1 in periods[prefix].values())
        assert own >= 4 and binned_calls.count(prefix) == own * len(KEYS), prefix


def test_a_town_keeps_the_every_row_statement(demo, binned_calls):
    town = demo.execute("SELECT left(grid_code, 9) FROM case_durations LIMIT 1").fetchone()[0]
    last = demo.execute("SELECT max(closed_day) FROM case_durations").fetchone()[0]
    d0 = last - timedelta(days=29)
    got = kpis(demo, Scope(town, "analyst"), d0, last, keys=["median_handle_hours"])
    assert float(got.set_index("key").at["median_handle_hours", "value"]) == \
        every_row(demo, town, "handle", d0, last)[0.5]
    assert binned_calls == []


@pytest.mark.parametrize("case", ["edges", "ties", "negative", "one", "two", "wide",
                                  "random"])
def test_made_durations_equal_quantile_cont(case):
    rng = np.random.default_rng(7)
    hours = {
        # every value on a bin's first hour (b / 16) or just below the next one
        "edges": np.concatenate([np.arange(0, 40) / 16,
                                 np.nextafter(np.arange(1, 41) / 16, 0)]),
        "ties": np.repeat([0.25, 1.5, 1.5625, 7.0], [5, 11, 1, 6]).astype(float),
        "negative": np.array([-3.0, -0.0625, -0.01, 0.0, 0.01, 2.5, -1e-9]),
        "one": np.array([5.123]),
        "two": np.array([0.001, 100.0]),
        "wide": np.array([1e-6, 3e-3, 1.0, 1e3, 8.7e4, 2.5e5]),
        "random": rng.lognormal(2, 1.5, 5000),
    }[case]
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE case_durations (grid_code VARCHAR, closed_day DATE, "
                    "handle_hours DOUBLE, close_hours DOUBLE)")
        days = [date(2026, 1, 1) + timedelta(days=int(d))
                for d in rng.integers(0, 30, len(hours))]
        con.executemany("INSERT INTO case_durations VALUES ('320612001001001', ?, ?, NULL)",
                        [(d, float(h)) for d, h in zip(days, hours, strict=True)])
        start, end = datetime(2026, 1, 1), datetime(2026, 2, 1)
        qs = {0.5, 0.9, 0.1, 0.25, 0.75, 0.0, 1.0}
        got = engine._bin_quantiles(con, "3206", "handle", start, end, qs)
        for q in qs:
            want = con.execute("SELECT quantile_cont(handle_hours, $q) FROM case_durations",
                               {"q": q}).fetchone()[0]
            assert got[q] == want, (case, q, got[q], want)
        # no duration closed in the period: NaN, as the every-row statement's missing row
        none = engine._bin_quantiles(con, "3206", "close", start, end, {0.5})
        assert np.isnan(none[0.5])
    finally:
        con.close()
