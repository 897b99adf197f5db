"""The busiest drill chain of a store, shared by the overview benchmarks.

``scripts/bench_drill.py`` (server time of a drill step) and ``scripts/bench_overview.py``
(the drill in Chromium) drill the same regions: the city, then the county, town and
village of the village with the most cases in the last 30 days of data, then that
village's first grid.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

LEVELS = ("city", "county", "town", "village", "grid")


def busiest_chain(store: Path) -> list[str]:
    """Region codes of the busiest chain, one per :data:`LEVELS`: '' (the city, the
    user's own region), the 12-digit county, town and village codes, the grid code."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        village = con.execute(
            "SELECT left(grid_code, 12) FROM incidents "
            "WHERE reported_at >= (SELECT max(reported_at) FROM incidents) - INTERVAL 30 DAY "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
        grid = con.execute("SELECT min(code) FROM grids WHERE village_code = ?",
                           [village]).fetchone()[0]
        return ["", village[:6] + "000000", village[:9] + "000", village, grid]
    finally:
        con.close()
