"""The overview's open-items table: what the case panels of a live screen read.

``open_items`` holds, for any moment at or after ``open_items_asof.valid_from`` (the newest
closing or report time in the store), every item the overview's case panels can show
then: the open cases (超期/临期 candidates and the at-risk items' points), the open 重大
hazards, the unhandled sensor alerts, and the cases of the feed's last seven days, each
with its names and the region codes of its grid (``queries/overview/items_schema.sql``).
The alerts, the at-risk items, the critical alert and the feed are then one statement
(``queries/overview/panel_items.sql``, :func:`dashboard.overview_data.panel_items`) with
no raw table and no join for names; a moment before ``valid_from`` (a past day picked) reads the
case tables and the raw tables as before.

Maintenance, two ways to the same rows (tested: ``tests/unit/test_open_items_update.py``):

* :func:`refresh` refills it whole from the raw tables (``overview/items_fill.sql``): a
  full summary refresh, the demo build, migration 014 (``-- @refill open_items``). It
  reads the open rows and the newest row groups of ``incidents`` (report order) and ranks
  every row once per level: about 3 s of CPU at 10M incidents (docs/overview.md, "Issue
  18, the open-items table").
* :func:`update` brings it up to date after an import or intake batch, in place
  (``overview/items_update.sql``, then ``overview/items_rank.sql``): the key-wise and
  additive summary refreshes call it through ``dashboard/kpi/summaries.py``
  ``refresh_overview_tables``. It recomputes the batch's own cases (TEMP ``ingest_diff``;
  after a deferred or replacing load, which knows grids rather than cases, every case of
  the grids it touched), compares the open hazards and sensor alerts with the raw rows
  after a hazards batch, drops or unlists the cases the feed's week left, writes only the
  rows that changed, and ranks again only the lists (kind of list, level, region) that
  gained or lost a row. It falls back to :func:`refresh` where it cannot follow: no table
  yet, an empty store, or a newest event that moved back (a correction or a replaced
  import removed it: the feed's week would grow back). Cost per batch on a 1M store:
  docs/overview.md, "Issue 18 follow-up: the open-items table updated in place"
  (``scripts/bench_open_items.py``).

Both read the rows from one definition, ``overview/items_rows.sql``; the rank order of each
list is written twice (the refill's per-level window, the update's), held equal by the
tests. No import writes sensor alerts (only the demo build, which refills), so a batch of
cases leaves their rows alone.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from queries import names as Q
from queries import run, script, sql

TABLES: tuple[str, ...] = ("open_items", "open_items_asof")

FEED_RANKS = 50
"""The feed ranks kept per list and level (``overview/items_ranked.sql``): a screen reads at
most this many feed rows (``overview_data.panel_items`` refuses more). Past it a listed
case's feed rank is NULL, so a new case at the top of a list rewrites at most this many
rows of it, not the whole week's cases of the city (migration 021 refills the table)."""


def refresh(con) -> dict[str, int]:
    """Create the tables if missing and refill them from the raw tables, inside the
    caller's transaction: the store's newest event first (``overview/items_newest.sql``),
    bound into the refill (``overview/items_fill.sql``).

    Returns
    -------
    dict
        ``{"open_items": rows}`` after the refill.
    """
    script(con, Q.OVERVIEW_ITEMS_SCHEMA)
    newest = con.execute(sql(Q.OVERVIEW_ITEMS_NEWEST)).fetchone()[0]
    script(con, Q.OVERVIEW_ITEMS_FILL, valid_from=newest, feed_ranks=FEED_RANKS)
    return {"open_items": int(con.execute("SELECT count(*) FROM open_items").fetchone()[0])}


# which cases an import batch may have changed (TEMP items_cases), by what the caller knows
_CASES: dict[str, str] = {"batch": Q.OVERVIEW_ITEMS_BATCH_CASES,
                          "touched": Q.OVERVIEW_ITEMS_TOUCHED}


def update(con, cases: str | None, others: bool = True) -> dict[str, int]:
    """Bring the tables up to date after an import batch, in place, inside the caller's
    transaction; the result equals :func:`refresh` row for row.

    Parameters
    ----------
    cases : str or None
        Which cases the batch may have changed: ``"batch"`` those of TEMP ``ingest_diff``
        marked insert or update (one batch refreshed at once: the additive and the
        key-wise refresh of ``dashboard/ingest/load.py``'s batch), ``"touched"`` every
        case of the grids in TEMP ``ingest_touched`` (the pending refresh of a deferred or
        replacing load, which knows keys, not cases), None none (a hazards batch).
    others : bool
        Compare every open hazard and sensor alert with the raw rows (a batch that may
        have changed hazards); False leaves their rows as they are (a batch of cases only:
        no import writes sensor alerts, only the demo build, which refills).

    Returns
    -------
    dict
        ``{"open_items": rows}`` after it, and what it did: ``open_items_deleted`` and
        ``open_items_inserted`` (a changed row counts in both), ``open_items_reranked``
        (rows whose lists changed), or ``open_items_refilled`` 1 when it refilled.
    """
    if cases is not None and cases not in _CASES:
        raise ValueError(f"cases: expected batch, touched or None, got {cases!r}")
    script(con, Q.OVERVIEW_ITEMS_SCHEMA)
    newest = con.execute(sql(Q.OVERVIEW_ITEMS_NEWEST)).fetchone()[0]
    stored = con.execute("SELECT count(*), max(valid_from) FROM open_items_asof").fetchone()
    if stored[0] != 1 or stored[1] is None or newest is None or newest < stored[1]:
        return {**refresh(con), "open_items_refilled": 1}
    if cases == "touched":
        script(con, Q.OVERVIEW_ITEMS_TOUCHED, valid_from=newest)
    elif cases == "batch":
        script(con, Q.OVERVIEW_ITEMS_BATCH_CASES)
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE items_cases (id BIGINT)")
    script(con, Q.OVERVIEW_ITEMS_UPDATE, valid_from=newest,
           slots={"cases": "items_incidents", "others": "true" if others else "false"})
    deleted, inserted = con.execute("SELECT (SELECT count(*) FROM items_gone), "
                                    "(SELECT count(*) FROM items_new)").fetchone()
    reranked = 0
    if deleted or inserted:  # no row came or went: no list changed
        script(con, Q.OVERVIEW_ITEMS_RANK, feed_ranks=FEED_RANKS)
        reranked = con.execute("SELECT count(*) FROM items_ranks").fetchone()[0]
    # the TEMP tables stay until the next batch replaces them or the writer's cursor
    # closes (as the loader's own do): dropping them costs a statement each
    rows = con.execute("SELECT count(*) FROM open_items").fetchone()[0]
    return {"open_items": int(rows), "open_items_deleted": int(deleted),
            "open_items_inserted": int(inserted), "open_items_reranked": int(reranked)}


def valid_from(con) -> datetime | None:
    """The moment from which ``open_items`` answers (None: an empty store, or a store whose
    tables were built without it, e.g. summary tables loaded from elsewhere: never)."""
    try:
        value = run(con, Q.OVERVIEW_ITEMS_ASOF)["valid_from"].iloc[0]
    except duckdb.CatalogException:
        return None
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def covers(con, now: datetime) -> bool:
    """Does ``open_items`` answer the case panels at ``now``?"""
    start = valid_from(con)
    return start is not None and start <= now
