"""Foresight (issue 19): the at-risk queue (即将超期风险) — the probability that an open case
misses its deadline, learnt from the store's history — and surge detection (异常预警), both
stored with their model version and read by the screens (docs/foresight.md). ``model.py``
is the at-risk model (pure frames), ``run.py`` fits, scores and reads it against a store,
``surge.py`` detects surges. What both need of the store is here: :func:`ensure_tables`,
:func:`scoring_moment` and :func:`replace_scores` (so neither imports the other's module
for it)."""

from __future__ import annotations


def replace_scores(con, kind: str, rows) -> None:
    """Replace the stored ``foresight_scores`` rows of ``kind`` (``risk``, ``surge``) by
    ``rows`` (a DataFrame with the table's columns), inside the caller's transaction.

    A column the table does not have yet is left out: a migration's refill (013, 015)
    writes through the current code into the table of its own version, before 020 adds
    ``reason_parts``."""
    con.execute("DELETE FROM foresight_scores WHERE kind = $k", {"k": kind})
    if rows.empty:
        return
    have = {d[0] for d in con.execute("SELECT * FROM foresight_scores LIMIT 0").description}
    if not set(rows.columns) <= have:
        rows = rows[[c for c in rows.columns if c in have]]
    con.register("foresight_scores_new", rows)
    try:
        con.execute("INSERT INTO foresight_scores BY NAME SELECT * FROM foresight_scores_new")
    finally:
        con.unregister("foresight_scores_new")


def ensure_tables(con) -> None:
    """Create the foresight tables where missing (a store from before migration 013)."""
    from queries import names as Q
    from queries import script

    script(con, Q.FORESIGHT_SCHEMA)


def scoring_moment(con, stale_days: float = 3.0):
    """The moment scores are taken at: now in the store's zone, or the end of the last
    data day for a store whose newest case is older than ``stale_days`` (the screens' as-of
    rule, ``dashboard/periods.py``)."""
    import pandas as pd

    from dashboard.clock import store_now
    from dashboard.periods import resolve
    from queries import names as Q
    from queries import run

    latest = run(con, Q.FORESIGHT_BOUNDS).at[0, "last"]
    now = store_now(con)
    latest = None if pd.isna(latest) else pd.Timestamp(latest).to_pydatetime()
    return resolve(now, min(latest, now) if latest else None, stale_days=stale_days).moment
