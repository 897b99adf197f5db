"""Helpers of the 我的网格 tests (importable: ``tests/`` is on ``sys.path``)."""

from __future__ import annotations

from datetime import datetime


def visit_village(con, now: datetime) -> str:
    """The village with the most key-person visits due or overdue at ``now`` (the task rule
    of ``queries/mygrid/visits.sql``, counted here in plain SQL). The demo's data end at
    its build time, so which village has visits to make depends on the hour of the run:
    a test that needs some picks this one instead of assuming a fixed village has them."""
    row = con.execute("""
        WITH newest AS (
            SELECT person_id, grid_code, visited_at,
                   row_number() OVER (PARTITION BY person_id
                                      ORDER BY due_date DESC, id DESC) AS rn
            FROM visits WHERE due_date <= CAST($now AS DATE))
        SELECT substr(n.grid_code, 1, 12) AS village, count(*) AS n
        FROM newest AS n JOIN key_persons AS p ON p.id = n.person_id
        WHERE n.rn = 1 AND p.registered_at <= $now
          AND (p.removed_at IS NULL OR p.removed_at > $now)
          AND (n.visited_at IS NULL OR n.visited_at > $now)
        GROUP BY 1 ORDER BY n DESC, village LIMIT 1""", {"now": now}).fetchone()
    assert row is not None, "no visit due or overdue anywhere in the store"
    return row[0]


def page_moment(con) -> datetime:
    """The moment 我的网格 shows on this store now (as the page computes it)."""
    from dashboard.clock import store_now
    from dashboard.overview_data import as_of

    return as_of(con, store_now(con)).moment
