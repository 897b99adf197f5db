"""Foresight (issue 19): the at-risk queue (即将超期风险) — the probability that an open case
misses its deadline, learnt from the store's history — and surge detection (异常预警), both
stored with their model version and read by the screens (docs/foresight.md). ``model.py``
is the at-risk model (pure frames), ``run.py`` fits, scores and reads it against a store,
``surge.py`` detects surges; both write through :func:`replace_scores`."""

from __future__ import annotations


def replace_scores(con, kind: str, rows) -> None:
    """Replace the stored ``foresight_scores`` rows of ``kind`` (``risk``, ``surge``) by
    ``rows`` (a DataFrame with the table's columns), inside the caller's transaction."""
    con.execute("DELETE FROM foresight_scores WHERE kind = $k", {"k": kind})
    if rows.empty:
        return
    con.register("foresight_scores_new", rows)
    try:
        con.execute("INSERT INTO foresight_scores BY NAME SELECT * FROM foresight_scores_new")
    finally:
        con.unregister("foresight_scores_new")
