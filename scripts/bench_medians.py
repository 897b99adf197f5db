"""Benchmark: the KPI strip's exact medians (migration 018), before and after, first calls.

For the 时效 page's strip (its mean durations and their medians, ``layouts/thematic.py``)
and the 事件 page's (``layouts/cases.py``: the median handling time), of the whole city
and of its busiest county, over 30 days, 13 months and three years up to the store's
last report day, it times ``kpis()`` of the strip's keys in a fresh DuckDB instance per
call (a new read-only connection to the file: an empty buffer pool, as the first call
after a restart; the OS file cache stays as it is), ``--repeat`` times, and prints p50 /
p95 in ms for

* **before**: the quantiles over every row of the period (``kpi/incident_quantiles.sql``
  or ``kpi/duration_quantiles.sql``: what the engine ran before 018, and still runs for
  other scopes, buckets and periods without a whole month), by turning the ranked path off;
* **after**: this code (whole months from ``duration_bins`` and ``duration_ranks``, the
  partial months' raw rows);

and checks that both give the same values (to the bit). A table, not a timed test.

Usage: python scripts/bench_medians.py --store PATH [--repeat 5] [--memory-limit 600MB]
       [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.kpi import Scope, engine, kpis  # noqa: E402
from dashboard.periods import shift_months  # noqa: E402
from layouts import analysis  # noqa: E402
from layouts.cases import KPIS as CASES_KPIS  # noqa: E402
from layouts.thematic import PAGES  # noqa: E402


def strip_keys() -> dict[str, list[str]]:
    timeliness = next(p for p in PAGES if p.key == "timeliness")
    return {"时效": analysis.with_companions(timeliness.kpis),
            "事件": analysis.with_companions(CASES_KPIS)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory-limit", default="600MB")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    def connect():
        return duckdb.connect(args.store, read_only=True,
                              config={"memory_limit": args.memory_limit,
                                      "threads": args.threads})

    con = connect()
    city = con.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()[0]
    county = con.execute("SELECT left(grid_code, 6) AS c FROM incidents GROUP BY c "
                         "ORDER BY count(*) DESC, c LIMIT 1").fetchone()[0]
    last = con.execute("SELECT max(CAST(reported_at AS DATE)) FROM incidents").fetchone()[0]
    n = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    con.close()
    periods = {"30d": (last - timedelta(days=29), last),
               "13m": (shift_months(last, -13) + timedelta(days=1), last),
               "3y": (shift_months(last, -36) + timedelta(days=1), last)}
    ranked = engine._ranked

    def timed(keys, scope, d0, d1, fast: bool):
        engine._ranked = ranked if fast else (lambda *a: False)
        out = []
        values = None
        for _ in range(args.repeat):
            c = connect()
            t = time.perf_counter()
            frame = kpis(c, scope, d0, d1, keys=keys)
            out.append((time.perf_counter() - t) * 1000)
            values = frame.set_index("key")["value"]
            c.close()
        engine._ranked = ranked
        return np.array(out), values

    print(f"store {args.store}: {n:,} incidents, last day {last}; memory_limit "
          f"{args.memory_limit}, threads {args.threads}; {args.repeat} first calls each "
          "(fresh DuckDB instance per call), kpis() of the strip's keys, ms")
    print()
    print("| strip | scope | period | ranked? | before p50 | before p95 | after p50 | "
          "after p95 | same values |")
    print("|---|---|---|---|---:|---:|---:|---:|---|")
    for page, keys in strip_keys().items():
        for label, prefix in (("city " + city, city), ("county " + county, county)):
            scope = Scope(prefix, "analyst")
            for name, (d0, d1) in periods.items():
                before, vb = timed(keys, scope, d0, d1, fast=False)
                after, va = timed(keys, scope, d0, d1, fast=True)
                same = all((a == b) or (np.isnan(a) and np.isnan(b))
                           for a, b in zip(va.to_numpy(), vb.to_numpy(), strict=True))
                with connect() as c:
                    fast = ranked(c, scope, d0, d1)
                print(f"| {page} | {label} | {name} | {'yes' if fast else 'no'} | "
                      f"{np.percentile(before, 50):,.0f} | {np.percentile(before, 95):,.0f} | "
                      f"{np.percentile(after, 50):,.0f} | {np.percentile(after, 95):,.0f} | "
                      f"{'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
