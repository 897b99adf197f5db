"""Benchmark: the 事件 page's repeat places (重复投诉点位), before and after the bound.

Before: ``theme/repeat_places_table.sql`` as it was at git ref ``--before-ref`` (it
groups every place of the period); after: ``thematic_data.repeat_places`` of this checkout
(the bound of ``theme/repeat_places_bound.sql`` for periods over 92 days). Both on the same
store (migrated to this checkout's schema: the old query ignores ``place_n``), interleaved
``--repeat`` times per row; the rows are checked equal. Prints p50 / max ms. A table, not a
timed test: numbers depend on the machine and its load.

Usage: python scripts/bench_repeat_places.py --store PATH [--before-ref 3d15b61] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILTERS = (("30 days", "?period=30d"),
           ("3 years", "?period=custom&from={from3}&to={to}"),
           ("3 years, source 12345热线", "?period=custom&from={from3}&to={to}&source=12345热线"),
           ("3 years, county 320612", "?period=custom&from={from3}&to={to}&region=320612"))


def main() -> None:
    import duckdb
    import pandas as pd

    import queries
    from dashboard import thematic_data as td
    from dashboard.filters import Filters
    from dashboard.kpi.scope import Scope
    from queries import names as Q

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--before-ref", default="3d15b61")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    before = subprocess.run(["git", "show", f"{args.before_ref}:queries/theme/"
                             "repeat_places_table.sql"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    before = before.replace("-- @include theme/case_keys", queries.sql(Q.THEME_CASE_KEYS))
    con = duckdb.connect(args.store, read_only=True)
    now = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
    city = Scope("3206", "leader")
    fill = {"to": now.date(), "from3": now.date().replace(year=now.year - 3)}
    print(f"store {args.store}, as of {now}, {args.repeat} calls each, interleaved")
    print("| period / filter | before p50 / max ms | after p50 / max ms | before / after |")
    print("|---|---:|---:|---:|")
    for label, query in FILTERS:
        filters = Filters.from_query(query.format(**fill))
        params = {**filters.params(city, now.date()), "min_cases": 3, "limit": 10}
        old_params = {k: v for k, v in params.items() if k in queries.parameters(before)}
        old, new = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            want = con.execute(before, old_params).df()
            old.append(time.perf_counter() - t)
            t = time.perf_counter()
            got = td.repeat_places(con, city, filters, now)
            new.append(time.perf_counter() - t)
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
        b, a = statistics.median(old) * 1000, statistics.median(new) * 1000
        print(f"| {label} | {b:,.0f} / {max(old) * 1000:,.0f} | {a:,.0f} / "
              f"{max(new) * 1000:,.0f} | {b / a:.1f}× |")
    print("load average", " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
