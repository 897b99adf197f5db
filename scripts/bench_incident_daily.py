"""Benchmark: incident_daily's full refill, one statement against parts by grid range.

incident_daily (grid x day x category x source x tier, 19 sums) is the largest GROUP BY of
a summary refresh: 23M groups at 10M incidents. ``summary/incident_daily.sql`` groups every
case's event rows in one statement (the Spark plan's form); DuckDB's refresh now runs
``summaries.refill_incident_daily``, one ``summary/incident_daily_part.sql`` per range of
grid codes of about ``--parts`` cases each. This script times both on a copy of the store
(the store itself is only read), interleaved (whole, parts, whole, parts, ...) so both
see the same machine load, each in a transaction that is rolled back, under the build's
memory limit (``--memory-limit``, default the build's 3GB), and prints p50 / p95 seconds
and the most DuckDB spilled to its temp folder meanwhile (sampled every 0.2 s). After the
runs it checks once that both forms give the same rows (EXCEPT ALL both ways).

    python scripts/bench_incident_daily.py --store /work/bench/10m.duckdb --repeat 3 \\
        --parts 4M,2M --tmp /work/bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_demo import parse  # noqa: E402

from dashboard.kpi import summaries  # noqa: E402
from dashboard.store import BUILD_MEMORY_LIMIT  # noqa: E402
from queries import names as Q  # noqa: E402
from queries import sql  # noqa: E402


def spilled(folder: Path) -> int:
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    except FileNotFoundError:
        return 0


def timed(con, spill: Path, fill) -> tuple[float, int]:
    """Seconds of ``fill(con)`` in a rolled-back transaction, and the peak spill bytes."""
    peak, done = [0], threading.Event()

    def watch():
        while not done.wait(0.2):
            peak[0] = max(peak[0], spilled(spill))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    con.execute("BEGIN")
    t0 = time.perf_counter()
    try:
        fill(con)
        return time.perf_counter() - t0, peak[0]
    finally:
        con.execute("ROLLBACK")
        done.set()
        watcher.join()


def whole(con) -> None:
    con.execute("DELETE FROM incident_daily")
    con.execute(sql(Q.SUMMARY_INCIDENT_DAILY))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parts", default=f"{summaries.PART_INCIDENTS}",
                    help="comma list of part sizes in cases (4M, 2M ...)")
    ap.add_argument("--memory-limit", default=BUILD_MEMORY_LIMIT)
    ap.add_argument("--tmp", type=Path, help="folder for the store's copy")
    args = ap.parse_args()
    sizes = [parse(s) for s in args.parts.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-incident-daily-", dir=args.tmp) as tmp:
        store = Path(tmp) / "store.duckdb"
        shutil.copy(args.store, store)
        spill = Path(tmp) / "spill"
        con = duckdb.connect(str(store))
        con.execute("SET memory_limit = $v", {"v": args.memory_limit})
        con.execute("SET temp_directory = $d", {"d": str(spill)})
        incidents = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        forms = [("one statement", whole)] + [
            (f"parts of {n:,} ({len(summaries.grid_parts(con, n))})",
             lambda c, n=n: summaries.refill_incident_daily(c, n)) for n in sizes]
        got: dict[str, list[tuple[float, int]]] = {name: [] for name, _ in forms}
        load0 = os.getloadavg()[0]
        for _ in range(args.repeat):
            for name, fill in forms:
                got[name].append(timed(con, spill, fill))
                print(f"  {name}: {got[name][-1][0]:.1f} s", file=sys.stderr, flush=True)
        load1 = os.getloadavg()[0]

        con.execute("BEGIN")
        whole(con)
        con.execute("CREATE TEMP TABLE one AS SELECT * FROM incident_daily")
        summaries.refill_incident_daily(con, sizes[0])
        diff = sum(con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL "
                               f"SELECT * FROM {b})").fetchone()[0]
                   for a, b in (("one", "incident_daily"), ("incident_daily", "one")))
        rows = con.execute("SELECT count(*) FROM one").fetchone()[0]
        con.execute("ROLLBACK")
        con.close()

    print(f"store {args.store} ({incidents:,} incidents, {rows:,} incident_daily rows), "
          f"memory limit {args.memory_limit}, {args.repeat} run(s) each, interleaved; "
          f"load average {load0:.1f} -> {load1:.1f}\n")
    print(f"| {'refill':<28} | {'p50 s':>7} | {'p95 s':>7} | {'max spill MB':>12} |")
    print(f"|{'-' * 30}|{'-' * 9}|{'-' * 9}|{'-' * 14}|")
    base = statistics.median(s for s, _ in got["one statement"])
    for name, runs in got.items():
        secs = sorted(s for s, _ in runs)
        p95 = secs[min(len(secs) - 1, round(0.95 * (len(secs) - 1)))]
        print(f"| {name:<28} | {statistics.median(secs):>7.1f} | {p95:>7.1f} | "
              f"{max(b for _, b in runs) / 2**20:>12,.0f} |")
    print(f"\none statement p50 {base:.1f} s; rows differing between the forms: {diff}")


if __name__ == "__main__":
    main()
