"""Foresight (issue 19): the at-risk queue (即将超期风险) — the probability that an open case
misses its deadline, learnt from the store's history — and surge detection (异常预警), both
stored with their model version and read by the screens (docs/foresight.md). ``model.py``
is the at-risk model (pure frames), ``run.py`` fits, scores and reads it against a store,
``surge.py`` detects surges. What both need of the store is here: :func:`ensure_tables`,
:func:`scoring_moment` and :func:`replace_scores` (so neither imports the other's module
for it)."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext


@contextmanager
def reads(con, write):
    """The reads of a run: one snapshot of the store (a read transaction on ``con``) when
    the run's writes go to another cursor (``write``, see :func:`writes`), so that every
    query of the run sees the same committed state while batches commit beside it; ``con``
    as it is otherwise (the caller's own transaction, if any, holds the run together)."""
    if write is None:
        yield con
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    finally:
        con.execute("COMMIT")  # nothing was written on it


def writes(con, write, transaction: bool = True):
    """Where a run stores its result: ``con`` itself, or the cursor ``write()`` opens (a
    context manager: the store's serialised writer, :meth:`dashboard.store.Store.writer`)
    when the run read off the write lock (:class:`dashboard.foresight.run.Rescorer`); in
    one transaction unless ``transaction`` is False (a migration's own)."""
    from queries import transaction as store_transaction

    @contextmanager
    def opened():
        with (write() if write is not None else nullcontext(con)) as cur, \
                store_transaction(cur, transaction):
            yield cur

    return opened()


def replace_scores(con, kind: str, rows) -> None:
    """Replace the stored ``foresight_scores`` rows of ``kind`` (``risk``, ``surge``) by
    ``rows`` (a DataFrame with the table's columns), inside the caller's transaction.

    Scores of cases (one row per ``case_id``) are written by key: the rows of cases no
    longer scored are deleted, a kept case's columns are updated only where their value
    changed, and new cases are inserted. A round after an intake batch rescored every
    open case with most of its columns as they were (its case, stage, deadline, model and
    most reasons); deleting and inserting them all wrote 4.4 MiB of write-ahead log at 10M,
    which every worker replays, the update 1.9 MiB. Other rows (surge alerts) are deleted
    and inserted.

    A column the table does not have yet is left out: a migration's refill (013, 015)
    writes through the current code into the table of its own version, before 020 adds
    ``reason_parts``."""
    have = {d[0] for d in con.execute("SELECT * FROM foresight_scores LIMIT 0").description}
    if not set(rows.columns) <= have:
        rows = rows[[c for c in rows.columns if c in have]]
    keyed = (not rows.empty and "case_id" in rows.columns and rows["case_id"].notna().all()
             and not rows["case_id"].duplicated().any())
    if not keyed:
        con.execute("DELETE FROM foresight_scores WHERE kind = $k", {"k": kind})
        if rows.empty:
            return
    con.register("foresight_scores_new", rows)
    try:
        if keyed:
            _write_by_case(con, kind, [c for c in rows.columns if c not in ("kind", "case_id")])
        else:
            con.execute("INSERT INTO foresight_scores BY NAME "
                        "SELECT * FROM foresight_scores_new")
    finally:
        con.unregister("foresight_scores_new")


def _write_by_case(con, kind: str, columns: list[str]) -> None:
    """:func:`replace_scores` by ``case_id`` from the registered ``foresight_scores_new``
    (the rows of ``kind``, one per case): delete, update what changed, insert. The column
    names are the scoring code's own (checked against the table's), never input."""
    con.execute("DELETE FROM foresight_scores AS f WHERE f.kind = $k AND (f.case_id IS NULL "
                "OR NOT EXISTS (SELECT 1 FROM foresight_scores_new AS n "
                "WHERE n.case_id = f.case_id))", {"k": kind})
    for col in columns:
        con.execute(f'UPDATE foresight_scores AS f SET "{col}" = n."{col}" '
                    "FROM foresight_scores_new AS n WHERE f.kind = $k "
                    f'AND f.case_id = n.case_id AND f."{col}" IS DISTINCT FROM n."{col}"',
                    {"k": kind})
    con.execute("INSERT INTO foresight_scores BY NAME SELECT * FROM foresight_scores_new AS n "
                "WHERE NOT EXISTS (SELECT 1 FROM foresight_scores AS f "
                "WHERE f.kind = $k AND f.case_id = n.case_id)", {"k": kind})


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
