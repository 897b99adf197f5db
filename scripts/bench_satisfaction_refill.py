"""Benchmark: the refill of ``satisfaction_city`` (migration 017) after an import batch,
before and after it was bounded by the batch's earliest changed survey day.

Three small batches, each as an intake batch would bring them, loaded into a fresh copy of
``--store`` through ``load_files`` (the import path, one batch, key-wise or additive
refresh):

* ``surveys``: the newest ``--rows`` 回访 re-rated (key-wise);
* ``cases``: the cases of the newest 回访 (``--rows`` of them) moved to another 小类
  (key-wise: their surveys' rows change);
* ``new cases``: ``--rows`` new cases on the last day (additive: no survey yet).

For each batch and code, ``--repeat`` loads, each on its own copy of the store, timing
``refresh_satisfaction_city`` (the refill alone, every call of it in the batch),
``refresh_analysis_incremental`` / ``refresh_analysis_additive`` (the analysis read
tables and the three first-call tables, with the new code's comparison of the touched
grids' ``survey_case_daily`` rows) and the whole ``load_files``. Prints p50 / p95 ms per
batch, before (the code of ``--before-ref``, extracted with ``git archive`` and run in a
subprocess) and after (this checkout) side by side. A table, not a timed test: numbers
depend on the machine and its load.

Usage: python scripts/bench_satisfaction_refill.py --store PATH [--before-ref main]
       [--repeat 3] [--rows 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCHES = ("surveys", "cases", "new cases")


def _batch(con, which: str, rows: int, folder: Path):
    """Write the batch's file; return (kind, path)."""
    import numpy as np

    if which == "surveys":
        sv = con.execute("SELECT i.case_no, s.surveyed_at, s.channel, s.rating FROM surveys "
                         "AS s JOIN incidents AS i ON i.id = s.incident_id ORDER BY "
                         "s.surveyed_at DESC, s.incident_id LIMIT $n", {"n": rows}).df()
        sv["rating"] = np.where(sv["rating"] == "满意", "不满意", "满意")
        path = folder / "surveys.parquet"
        sv.to_parquet(path)
        return "surveys", path
    cols = ("i.case_no, i.source, i.category_code, i.lon, i.lat, i.reported_at, "
            "i.registered_at, i.closed_at")
    if which == "cases":
        df = con.execute(f"SELECT {cols} FROM incidents AS i JOIN surveys AS s ON "
                         f"s.incident_id = i.id GROUP BY ALL ORDER BY max(s.surveyed_at) "
                         f"DESC, i.case_no LIMIT $n", {"n": rows}).df()
        cats = con.execute("SELECT code FROM categories ORDER BY code LIMIT 2").df()["code"]
        df["category_code"] = np.where(df["category_code"] == cats[0], cats[1], cats[0])
    else:
        df = con.execute(f"SELECT {cols} FROM incidents AS i WHERE NOT i.is_void ORDER BY "
                         f"i.reported_at DESC LIMIT $n", {"n": rows}).df()
        df["case_no"] = [f"BENCH{k:07d}" for k in range(len(df))]
    path = folder / f"{which.replace(' ', '_')}.parquet"
    df.to_parquet(path)
    return "incidents", path


def worker(store: str, repeat: int, rows: int) -> dict:
    """Run in the code tree measured (cwd): time the batches on fresh copies."""
    sys.path.insert(0, str(Path.cwd()))
    import duckdb
    from bench_timing import timed

    from dashboard.ingest.load import load_files
    from dashboard.ingest.mapping import Mapping
    from dashboard.kpi import summaries

    spent: dict[str, float] = {}
    summaries.refresh_satisfaction_city = timed(summaries.refresh_satisfaction_city,
                                                "refill", spent)
    summaries.refresh_analysis_incremental = timed(summaries.refresh_analysis_incremental,
                                                   "analysis", spent)
    summaries.refresh_analysis_additive = timed(summaries.refresh_analysis_additive,
                                                "analysis", spent)
    out: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(repeat):
            for which in BATCHES:
                copy = folder / "store.duckdb"
                shutil.copyfile(store, copy)
                con = duckdb.connect(str(copy))
                con.execute("SET enable_progress_bar = false")
                kind, path = _batch(con, which, rows, folder)
                spent.clear()
                t0 = time.perf_counter()
                s = load_files(con, kind, Mapping.identity(kind), [path])
                total = time.perf_counter() - t0
                con.close()
                copy.unlink()
                out.setdefault(which, []).append(
                    {"refill": spent.get("refill", 0.0), "analysis": spent.get("analysis", 0.0),
                     "load": total, "summaries": s.summaries,
                     "changed": s.inserted + s.updated})
    return out


def _run(tree: Path, args) -> dict:
    cmd = [sys.executable, str(ROOT / "scripts" / "bench_satisfaction_refill.py"), "--worker",
           "--store", str(args.store), "--repeat", str(args.repeat), "--rows", str(args.rows)]
    res = subprocess.run(cmd, cwd=tree, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def _pq(xs: list[float]) -> str:
    ms = sorted(x * 1000 for x in xs)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"{statistics.median(ms):,.0f} / {p95:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--before-ref", default="main")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(str(args.store), args.repeat, args.rows)))
        return
    from bench_analysis import _before_tree

    with tempfile.TemporaryDirectory() as tmp:
        before = _run(_before_tree(args.before_ref, Path(tmp)), args)
    after = _run(ROOT, args)
    print(f"store {args.store}, {args.rows} rows per batch, {args.repeat} loads each; "
          f"ms p50 / p95")
    print("| batch | refresh | satisfaction_city refill before | after | analysis tables "
          "before | after | whole load before | after |")
    print("|---|---|---|---|---|---|---|---|")
    for which in BATCHES:
        b, a = before[which], after[which]
        print(f"| {which} | {a[0]['summaries']} | {_pq([r['refill'] for r in b])} | "
              f"{_pq([r['refill'] for r in a])} | {_pq([r['analysis'] for r in b])} | "
              f"{_pq([r['analysis'] for r in a])} | {_pq([r['load'] for r in b])} | "
              f"{_pq([r['load'] for r in a])} |")


if __name__ == "__main__":
    main()
