"""Summary tables: created on first refresh and refilled from the raw tables.

The summaries are derived data, so a refresh simply empties and refills them in one
transaction; a reader of the store never sees half of a refresh. The order of
``SUMMARY_TABLES`` matters: ``incident_monthly`` is rolled up from ``incident_daily``;
``village_daily`` from all the grid-level daily tables, then ``town_daily``,
``county_daily`` and ``city_daily`` from the per-village values ``village_daily``'s refill
leaves in a TEMP table (dropped by the last of them).
"""

from __future__ import annotations

import re

from queries import sql

SUMMARY_TABLES: tuple[str, ...] = (
    "incident_daily",
    "incident_monthly",
    "escalation_daily",
    "survey_daily",
    "hazard_daily",
    "key_person_daily",
    "visit_daily",
    "alert_daily",
    "village_daily",
    "town_daily",
    "county_daily",
    "city_daily",
)


def declared_tables() -> list[str]:
    """Table names declared in ``queries/summary_schema.sql`` (for tests and checks)."""
    return re.findall(r"CREATE TABLE (\w+)", sql("summary_schema"))


def refresh_summaries(con) -> dict[str, int]:
    """Create the summary tables if missing and refill every one from the raw tables.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A read-write connection to a store with the raw tables of ``queries/schema.sql``.

    Returns
    -------
    dict
        Rows per summary table after the refresh.

    Raises
    ------
    RuntimeError
        When only some summary tables exist: the store was built by an incompatible version
        and should be rebuilt rather than patched.
    """
    existing = {r[0] for r in con.execute(sql("list_tables")).fetchall()}
    present = [t for t in SUMMARY_TABLES if t in existing]
    con.execute("BEGIN TRANSACTION")
    try:
        if not present:
            con.execute(sql("summary_schema"))
        elif len(present) != len(SUMMARY_TABLES):
            missing = sorted(set(SUMMARY_TABLES) - set(present))
            raise RuntimeError(f"store has only some summary tables; missing {missing}")
        counts = {}
        for table in SUMMARY_TABLES:
            counts[table] = int(con.execute(sql(f"summary_{table}")).fetchone()[0])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
