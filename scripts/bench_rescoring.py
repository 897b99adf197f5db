"""Benchmark: the at-risk rescoring of every open case, the larger part of the round that
follows each intake batch of incidents (``foresight.run.Rescorer``, docs/foresight.md).

For each code (``--before-code DIR``, a checkout of older code, then this one), a fresh
process opens the store read-only and, at one fixed moment (``--asof``, default the
store's scoring moment), times ``--repeat`` runs of:

- ``queues``: reading the dispatched cases of the last ``AHEAD_DAYS`` and building the
  lines' queues from them (``foresight/queue_spans.sql``, ``model.Queues.build``);
- ``score``: the whole scoring of the open cases with the active model (``run.score``:
  the cases, the queues, the features, the model), nothing stored.

It prints p50/p95 per step and code side by side, and whether both codes scored every
case the same (the frames compared with ``pandas.testing.assert_frame_equal``).

Usage: python scripts/bench_rescoring.py --store STORE [--repeat 7] [--before-code DIR]
       [--asof 2026-12-06T07:00]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
from datetime import datetime, timedelta
sys.path.insert(0, sys.argv[1])
import duckdb
from dashboard.foresight import run as R
from dashboard.foresight import scoring_moment
from dashboard.foresight.model import AHEAD_DAYS, Queues
from queries import names as Q
from queries import run
con = duckdb.connect(sys.argv[2], read_only=True)
con.execute("SET threads = 2")
asof = datetime.fromisoformat(sys.argv[3]) if sys.argv[3] else scoring_moment(con)
model = R.load_active(con)
times = {"queues": [], "score": []}
for _ in range(int(sys.argv[4])):
    t = time.perf_counter()
    spans = run(con, Q.FORESIGHT_QUEUE_SPANS, since=asof - timedelta(days=AHEAD_DAYS),
                until=asof)
    Queues.build(spans)
    times["queues"].append(time.perf_counter() - t)
    t = time.perf_counter()
    rows = R.score(con, model, asof)
    times["score"].append(time.perf_counter() - t)
rows.to_pickle(sys.argv[5])
print(json.dumps({"times": times, "rows": len(rows), "spans": len(spans),
                  "asof": str(asof)}))
"""


def measure(code: Path, store: Path, asof: str, repeat: int, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(code), str(store), asof,
                           str(repeat), str(out)], capture_output=True, text=True,
                          check=False, cwd=code)
    if done.returncode:
        raise SystemExit(f"{code}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--before-code", type=Path, default=None)
    ap.add_argument("--asof", default="", help="the moment (ISO); default the scoring one")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_rescoring_"))
    codes = ([("before", args.before_code)] if args.before_code else []) + [("this", ROOT)]
    results = {}
    asof = args.asof
    for label, code in codes:
        results[label] = measure(code, args.store, asof, args.repeat, tmp / f"{label}.pkl")
        asof = asof or results[label]["asof"].replace(" ", "T")  # both at one moment
    first = results[codes[0][0]]
    print(f"store {args.store}: {first['rows']:,} open cases scored, {first['spans']:,} "
          f"dispatched cases in the queues, as of {first['asof']}, {args.repeat} repeats")
    print(f"{'step':<8} {'code':<7} {'p50 s':>7} {'p95 s':>7}")
    for step in ("queues", "score"):
        for label, _ in codes:
            t = np.array(results[label]["times"][step])
            print(f"{step:<8} {label:<7} {np.percentile(t, 50):7.3f} "
                  f"{np.percentile(t, 95):7.3f}")
    if args.before_code:
        a, b = (pd.read_pickle(tmp / f"{label}.pkl") for label in ("before", "this"))
        try:
            pd.testing.assert_frame_equal(a, b)
            print(f"scores: identical ({len(a):,} rows)")
        except AssertionError as exc:
            print(f"scores: DIFFER: {str(exc)[:300]}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
