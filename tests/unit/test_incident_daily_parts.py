"""incident_daily's full refill in parts by range of grid code
(summaries.refill_incident_daily): the same rows as the one-statement refill
(summary/incident_daily.sql, which the Spark plan runs), stored in (grid_code, day) order,
every grid in exactly one part."""

from __future__ import annotations

import duckdb
import pytest

from dashboard.kpi import summaries
from queries import names as Q
from queries import sql

ORDERED = """SELECT count(*) FROM (
    SELECT grid_code, day, lag(grid_code) OVER w AS g0, lag(day) OVER w AS d0
    FROM (SELECT rowid AS r, grid_code, day FROM incident_daily)
    WINDOW w AS (ORDER BY r))
WHERE g0 > grid_code OR (g0 = grid_code AND d0 > day)"""


@pytest.fixture
def con(demo_store, tmp_path):
    path = tmp_path / "store.duckdb"
    path.write_bytes(demo_store.read_bytes())
    con = duckdb.connect(str(path))
    yield con
    con.close()


def test_the_parts_cover_every_grid_once_in_ascending_ranges(con):
    counts = dict(con.execute("SELECT grid_code, count(*) FROM incidents "
                              "GROUP BY grid_code").fetchall())
    parts = summaries.grid_parts(con, cases=2_000)
    assert len(parts) > 5 and parts[0][0] is None and parts[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:], strict=False))
    holder = {g: [i for i, (lo, hi) in enumerate(parts)
                  if (lo is None or g >= lo) and (hi is None or g < hi)] for g in counts}
    assert all(len(found) == 1 for found in holder.values())
    per_part = [sum(n for g, n in counts.items() if holder[g] == [i])
                for i in range(len(parts))]
    assert sum(per_part) == sum(counts.values())
    # a part closes at the first grid that brings it to 2,000 cases or more
    assert all(2_000 <= n < 2_000 + max(counts.values()) for n in per_part[:-1])
    assert summaries.grid_parts(con, cases=10**9) == [(None, None)]


@pytest.mark.parametrize("cases", [1_500, 10**9])
def test_the_refill_in_parts_equals_the_one_statement_refill_in_grid_order(con, cases):
    con.execute(sql(Q.SUMMARY_INCIDENT_DAILY))  # the one-statement refill (Spark's)
    con.execute("CREATE TEMP TABLE whole AS SELECT * FROM incident_daily")
    rows = summaries.refill_incident_daily(con, cases=cases)
    assert rows == con.execute("SELECT count(*) FROM whole").fetchone()[0] > 1_000
    for a, b in (("incident_daily", "whole"), ("whole", "incident_daily")):
        assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL "
                           f"SELECT * FROM {b})").fetchone()[0] == 0
    assert con.execute(ORDERED).fetchone()[0] == 0
