"""Benchmark the demo build: build stores of several sizes, print a table and per-step times.

Each build runs in its own process, so peak memory (max RSS) is measured per build. With
``--before-code DIR`` every size is built twice in the same run, first by the code at DIR
(a checkout such as /work/main, put first on PYTHONPATH) and then by this checkout, and the
table shows both with the ratio; the per-step table splits the summary refresh
(``refresh_summaries``) into its tables' refills (``kpi.summaries._refill``) and the
analysis, overview and period tables, the rest of the build being generation and insert.

    python scripts/bench_demo.py                               # 300k and 1M
    python scripts/bench_demo.py 300k 1M --before-code /work/main
    python scripts/bench_demo.py 100M --keep /work/bench/s31   # keep the store it built
    python scripts/bench_demo.py 100M --memory-limit 12GB      # spill less
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
import dashboard.demo as D
import dashboard.kpi.summaries as S
from dashboard.demo import DemoSpec, build_demo

steps = {}


def timed(name, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            key = name(*args, **kwargs) if callable(name) else name
            steps[key] = steps.get(key, 0.0) + time.perf_counter() - t0
            print(f"  {time.strftime('%H:%M:%S')} {key} {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr, flush=True)  # how far a build got, if it fails
    return wrapper


S._refill = timed(lambda con, table: table, S._refill)
for f in ("refresh_analysis_tables", "refresh_overview_tables", "refresh_period_tables"):
    setattr(S, f, timed(f, getattr(S, f)))
D.refresh_summaries = timed("refresh_summaries", D.refresh_summaries)
D.update_foresight = timed("update_foresight", D.update_foresight)
D.update_surge = timed("update_surge", D.update_surge)
t = time.perf_counter()
counts = build_demo(sys.argv[1], DemoSpec(incidents=int(sys.argv[2]), seed=20231),
                    progress=False, **({"memory_limit": sys.argv[4]} if sys.argv[4:] else {}))
secs = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with open(sys.argv[3], "w") as fh:  # not stdout, where DuckDB may draw progress bars
    json.dump({"secs": secs, "rss_mb": rss, "steps": steps, "rows": sum(
        v for v in counts.values() if isinstance(v, int))}, fh)
"""


def parse(size: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(size[-1].lower(), 1)
    return int(float(size[:-1] if scale > 1 else size) * scale)


def build(code: Path, path: Path, n: int, keep: Path | None = None,
          memory_limit: str | None = None) -> dict:
    """Build one demo store with the code at ``code`` in a fresh process.

    The store is removed afterwards unless ``keep`` names a folder to move it into."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    result = path.with_name(path.name + ".result.json")
    # the build's steps and errors (and anything it prints) go to this script's standard
    # error as they come; its result to a file
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(n), str(result)]
                         + ([memory_limit] if memory_limit else []),
                         cwd=code, env=env, stdout=sys.stderr)
    if out.returncode:
        raise SystemExit(f"the build of {n:,} incidents failed (exit {out.returncode}; its "
                         "error is above)")
    store_mb = path.stat().st_size / 2**20
    if keep is None:
        path.unlink()
    else:  # kept first: a store of hours is never lost to this script's own error
        keep.mkdir(parents=True, exist_ok=True)
        for f in path.parent.glob(path.name + "*"):  # the store and its id file
            if f != result:
                f.replace(keep / f.name)
    r = json.loads(result.read_text())
    result.unlink()
    r["store_mb"] = store_mb
    return r


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", default=["300k", "1M"])
    ap.add_argument("--before-code", type=Path, help="a checkout to build with first")
    ap.add_argument("--keep", type=Path,
                    help="keep the stores built (by this checkout) in this folder; it should "
                         "be on the same filesystem as the temporary folder (--tmp)")
    ap.add_argument("--tmp", type=Path, help="build in this folder (default: the system's)")
    ap.add_argument("--memory-limit", help="DuckDB's memory limit while building (default: "
                    "the build's own, 3GB); both checkouts must accept it")
    args = ap.parse_args(argv)
    codes = ([("before", args.before_code.resolve())] if args.before_code else []) + [
        ("this", ROOT)]
    results = {}
    print(f"{'incidents':>12} {'code':>6} {'seconds':>8} {'incidents/s':>12} "
          f"{'all rows':>12} {'peak RSS MB':>12} {'store MB':>9} {'refresh s':>9}")
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in (parse(s) for s in args.sizes):
            for label, code in codes:
                r = build(code, Path(tmp) / f"bench{n}.duckdb", n,
                          args.keep if label == "this" else None, args.memory_limit)
                results[n, label] = r
                print(f"{n:>12,} {label:>6} {r['secs']:>8.1f} {n / r['secs']:>12,.0f} "
                      f"{r['rows']:>12,} {r['rss_mb']:>12,.0f} {r['store_mb']:>9,.0f} "
                      f"{r['steps']['refresh_summaries']:>9.1f}", flush=True)
            if len(codes) == 2:
                b, a = results[n, "before"], results[n, "this"]
                print(f"{'':>12} {'ratio':>6} {b['secs'] / a['secs']:>7.2f}x  (refresh "
                      f"{b['steps']['refresh_summaries'] / a['steps']['refresh_summaries']:.2f}x"
                      " faster)", flush=True)
    for n in (parse(s) for s in args.sizes):
        print(f"\nsteps at {n:,} incidents (seconds)")
        head = "".join(f"{label:>9}" for label, _ in codes)
        print(f"{'step':<26}{head}")
        keys = []
        for label, _ in codes:
            keys += [k for k in results[n, label]["steps"] if k not in keys]
        rows = [("generate + insert", [results[n, label]["secs"]
                                       - results[n, label]["steps"]["refresh_summaries"]
                                       for label, _ in codes])]
        rows += [(k, [results[n, label]["steps"].get(k, 0.0) for label, _ in codes])
                 for k in keys]
        rows.append(("total", [results[n, label]["secs"] for label, _ in codes]))
        for k, vals in rows:
            print(f"{k:<26}" + "".join(f"{v:>9.1f}" for v in vals))


if __name__ == "__main__":
    main(sys.argv[1:])
