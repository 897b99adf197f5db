"""Planting a surge into a copy of a store (tests of 异常预警, docs/foresight.md)."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from dashboard.kpi.summaries import refresh_summaries


def plant_surge(path, n: int = 40) -> dict:
    """Insert ``n`` extra non-void cases of the store's busiest county × 大类 on its last
    complete day (copies of earlier cases of that cell moved to the day at their own time
    of day, new ids and case numbers ``PLANT…``) and refresh the summaries.

    Returns ``county``, ``major`` (大类 code), ``day`` (midnight of the planted day) and
    ``asof`` (the midnight after it: a run then tests the day complete)."""
    con = duckdb.connect(str(path))
    try:
        last = con.execute("SELECT max(reported_at) FROM incidents").fetchall()[0][0]
        day = (last - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        county, major, _ = con.execute(
            "SELECT left(i.grid_code, 6) AS county, c.major_code, count(*) AS n "
            "FROM incidents i JOIN categories c ON c.code = i.category_code "
            "WHERE NOT is_void GROUP BY ALL ORDER BY n DESC, 1, 2 LIMIT 1").fetchall()[0]
        tmpl = con.execute(
            "SELECT i.* FROM incidents i JOIN categories c ON c.code = i.category_code "
            "WHERE NOT i.is_void AND left(i.grid_code, 6) = $c AND c.major_code = $m "
            "ORDER BY i.id LIMIT $n", {"c": county, "m": major, "n": n}).df()
        old = tmpl["reported_at"]
        shift = (day + (old - old.dt.normalize())) - old
        for col in [c for c in tmpl.columns if str(tmpl[c].dtype).startswith("datetime64")]:
            tmpl[col] = tmpl[col] + shift
        _insert_copies(con, tmpl, "PLANT{:06d}")
    finally:
        con.close()
    return {"county": county, "major": major, "day": day, "asof": day + timedelta(days=1)}


def _insert_copies(con, tmpl: pd.DataFrame, case_no: str) -> None:
    """Insert the incident rows ``tmpl`` under new ids and case numbers ``case_no`` (a
    format with one field, the row's index), then refresh the summaries."""
    top = con.execute("SELECT max(id) FROM incidents").fetchall()[0][0]
    tmpl["id"] = np.arange(top + 1, top + 1 + len(tmpl))
    tmpl["case_no"] = [case_no.format(i) for i in range(len(tmpl))]
    con.register("plant", tmpl)
    con.execute("INSERT INTO incidents BY NAME SELECT * FROM plant")
    con.unregister("plant")
    refresh_summaries(con)


def raw_window_counts(con, rows: pd.DataFrame) -> list[int]:
    """For each stored surge row, the non-void raw incidents of its region and 大类 reported
    in its window (the ``window_days`` days ending on ``day``), counted by pandas."""
    raw = con.execute("SELECT i.grid_code, i.reported_at, c.major_code FROM incidents i "
                      "JOIN categories c ON c.code = i.category_code "
                      "WHERE NOT i.is_void").df()
    raw["day"] = raw["reported_at"].dt.normalize()
    out = []
    for r in rows.itertuples():
        first = pd.Timestamp(r.day) - pd.Timedelta(days=int(r.window_days) - 1)
        out.append(int(((raw["grid_code"].str.startswith(r.grid_code))
                        & (raw["major_code"] == r.category_code)
                        & (raw["day"] >= first) & (raw["day"] <= pd.Timestamp(r.day))).sum()))
    return out


def plant_overdue(path, county: str, n: int = 7) -> list[str]:
    """Insert ``n`` open cases of ``county`` past their deadline (copies of its first
    non-void cases: reported and registered three days before the store's newest report,
    dispatched an hour later, due six hours before that newest report, never handled; case
    numbers ``PLANTOD…``) and refresh the summaries (and the overview's open-items table).
    Returns their case numbers."""
    con = duckdb.connect(str(path))
    try:
        last = con.execute("SELECT max(reported_at) FROM incidents").fetchall()[0][0]
        tmpl = con.execute(
            "SELECT * FROM incidents WHERE NOT is_void AND starts_with(grid_code, $c) "
            "AND deadline_at IS NOT NULL ORDER BY id LIMIT $n", {"c": county, "n": n}).df()
        start = pd.Timestamp(last) - pd.Timedelta(days=3)
        steps = pd.to_timedelta(np.arange(len(tmpl)), unit="min")
        tmpl["reported_at"] = tmpl["registered_at"] = start + steps
        tmpl["dispatched_at"] = start + pd.Timedelta(hours=1) + steps
        for col in ("handled_at", "verified_at", "closed_at"):
            tmpl[col] = pd.NaT
        tmpl["deadline_at"] = pd.Timestamp(last) - pd.Timedelta(hours=6) + steps
        tmpl["status"] = "处置中"
        _insert_copies(con, tmpl, "PLANTOD{:04d}")
    finally:
        con.close()
    return list(tmpl["case_no"])


def surged_copy(demo_store, folder, name: str, overdue: int = 0):
    """A copy of the demo store in ``folder`` with a surge planted (:func:`plant_surge`),
    ``overdue`` overdue cases planted in its county (:func:`plant_overdue`, in
    ``info["overdue"]``), and its surge alerts detected: ``(path, info)``."""
    from dashboard.foresight import surge
    from tests.unit.ingest_helpers import copy_store

    path = copy_store(demo_store, folder, name)
    info = plant_surge(path)
    if overdue:
        info["overdue"] = plant_overdue(path, info["county"], n=overdue)
    with duckdb.connect(str(path)) as con:
        surge.update(con, asof=info["asof"], refit=True)
    return path, info
