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

Maintenance: :func:`refresh` refills it whole from the raw tables. It runs inside every
summary refresh that touches cases or hazards (full, key-wise, additive: the one call in
``dashboard/kpi/summaries.py`` ``refresh_overview_tables``), so after every import, intake
batch and demo build, and by migration 014 (``-- @refill open_items``). A refill reads the
open rows and the newest row groups of ``incidents`` (report order) and ranks the 88k rows
of a 10M store once per level: about 3 s of CPU there (docs/overview.md, "Issue 18, the
open-items table").
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from queries import names as Q
from queries import run, script, sql

TABLES: tuple[str, ...] = ("open_items", "open_items_asof")


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
    script(con, Q.OVERVIEW_ITEMS_FILL, valid_from=newest)
    return {"open_items": int(con.execute("SELECT count(*) FROM open_items").fetchone()[0])}


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
