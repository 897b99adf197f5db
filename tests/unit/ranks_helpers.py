"""Helpers of the ranked-duration tests (migration 018): the durations a quantile KPI
ranks, in pandas from raw incidents, and the check of duration_ranks and duration_bins
against them (tests/unit/test_duration_ranks.py, test_analysis_tables.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def raw_durations(con, prefix: str = "") -> pd.DataFrame:
    """Every duration a quantile KPI ranks, in pandas from raw incidents: measure, county,
    day (registration or closing day) and hours."""
    i = con.execute("SELECT * FROM incidents WHERE starts_with(grid_code, $p)",
                    {"p": prefix}).df()
    live = i[~i["is_void"]]
    parts = []
    reg = live[live["registered_at"].notna()]
    parts.append(pd.DataFrame({
        "measure": "response", "grid_code": reg["grid_code"], "at": reg["registered_at"],
        "hours": (reg["registered_at"] - reg["reported_at"]).dt.total_seconds() / 3600}))
    closed = live[live["closed_at"].notna()]
    timed = closed[closed["handled_at"].notna() & closed["registered_at"].notna()]
    parts.append(pd.DataFrame({
        "measure": "handle", "grid_code": timed["grid_code"], "at": timed["closed_at"],
        "hours": (timed["handled_at"] - timed["registered_at"]).dt.total_seconds() / 3600}))
    parts.append(pd.DataFrame({
        "measure": "close", "grid_code": closed["grid_code"], "at": closed["closed_at"],
        "hours": (closed["closed_at"] - closed["reported_at"]).dt.total_seconds() / 3600}))
    out = pd.concat(parts, ignore_index=True)
    out["county"] = out["grid_code"].str[:6]
    out["day"] = out["at"].dt.normalize()
    return out


def check_rank_tables(con) -> None:
    """duration_ranks holds exactly the raw durations (as a multiset, per measure, county
    and month), in (measure, bin) order within every appended run, and duration_bins
    counts them per bin; the bins never decrease with the hours."""
    want = raw_durations(con)
    want["month"] = want["day"].dt.to_period("M").dt.to_timestamp()
    got = con.execute("SELECT * FROM duration_ranks").df()
    cols = ["measure", "county", "month", "hours"]
    assert len(want) > 0
    left = got[cols].sort_values(cols).reset_index(drop=True)
    right = want[cols].sort_values(cols).reset_index(drop=True)
    left["month"] = pd.to_datetime(left["month"])
    pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-12)
    ordered = got.sort_values(["measure", "hours"])
    for _, part in ordered.groupby("measure"):
        assert (np.diff(part["bin"].to_numpy()) >= 0).all()
    bins = con.execute("SELECT * FROM duration_bins").df()
    counted = got.groupby(["measure", "month", "county", "bin"]).size().rename("n")
    stored = bins.set_index(["measure", "month", "county", "bin"])["n"]
    pd.testing.assert_series_equal(stored.sort_index(), counted.sort_index(),
                                   check_dtype=False)
