"""Benchmark: surge detection (异常预警) as it runs after every import or intake batch.

On a copy of a store (opened read-write, as the single writer holds it) it times, per
repeat:

* ``surge update``: ``dashboard.foresight.surge.update`` with the active factors (what
  every batch runs: the counts of the last 59 days from ``incident_daily``, the test of
  every region × 大类 cell, BH, replacing the stored alerts in one transaction);
* ``surge refit``: the same with a refit (weekly: the weekday, month and hour factors);
* ``risk update`` (baseline, side by side): the at-risk rescoring every batch already runs
  (``dashboard.foresight.run.update`` with the active model).

It prints p50/p95 in seconds and the store's size (incidents, cells tested).

Usage: python scripts/bench_surge.py --store STORE [--repeat 7]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.foresight import run as R  # noqa: E402
from dashboard.foresight import surge as S  # noqa: E402
from dashboard.store import Store  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_surge_"))
    copy = tmp / "store.duckdb"
    shutil.copyfile(args.store, copy)
    times = {"surge update": [], "surge refit": [], "risk update (baseline)": []}
    try:
        with Store.open(copy, read_only=False) as con:
            n = con.execute("SELECT count(*) FROM incidents").fetchall()[0][0]
            asof = R.scoring_moment(con)
            out = S.update(con, asof=asof, refit=True)
            R.update(con, asof=asof)
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = S.update(con, asof=asof)
                times["surge update"].append(time.perf_counter() - t)
                t = time.perf_counter()
                S.update(con, asof=asof, refit=True)
                times["surge refit"].append(time.perf_counter() - t)
                t = time.perf_counter()
                R.update(con, asof=asof)
                times["risk update (baseline)"].append(time.perf_counter() - t)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"store {args.store}: {n:,} incidents; {out['cells']:,} region × 大类 cells tested, "
          f"{out['alerts']} alerts as of {out['asof']:%Y-%m-%d %H:%M}; {args.repeat} repeats\n")
    print(f"{'run':<24}{'p50 s':>8}{'p95 s':>8}")
    for name, ts in times.items():
        print(f"{name:<24}{np.percentile(ts, 50):>8.3f}{np.percentile(ts, 95):>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
