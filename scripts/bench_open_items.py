"""Benchmark the open-items maintenance per import batch: full refill vs in-place update.

The store is copied to a scratch folder (the store itself is only read). On the copy, a
sequence of real batches runs through the loader (``load_records``, what the intake writer
runs for a JSON batch), in three shapes:

- ``intake``: ``--cases`` new cases reported in the last hour (the additive refresh);
- ``closing``: ``--cases`` open cases closed, or moved on to 处置中 (the key-wise refresh);
- ``hazards``: two hazards changed (one raised to 重大, one rectified; key-wise, no cases).

Each shape runs ``--repeat`` batches per mode, the modes alternating batch by batch so both
see the same machine load and the same growing store: ``incremental`` is this code
(``open_items.update``), ``refill`` makes every update a full refill (``open_items.refresh``,
what every batch ran before). Prints, per shape and mode, the open-items step's wall time
(p50 / p95, ms) and the whole batch's (load, every summary, the open items), and checks at
the end that the table equals a full refill (EXCEPT ALL both ways). Asserts nothing else.

    nice python scripts/bench_open_items.py --store /tmp/demo-1m.duckdb --repeat 15

``--before-code DIR`` measures instead the whole batch and the summaries' steps of this
checkout against the code at DIR (e.g. ``/work/main``), side by side in one run. Each code
runs in a worker process of its own (``dashboard`` imported from its checkout) on its own
copy of the store; the same batches, made up front from the store, go to the two workers
in turn (before, after, before, …), so both see the same machine load and equal stores.
Shapes: ``intake`` (new cases of the last hour: the additive refresh), ``late`` (new cases
reported ``--late-days`` back: the additive refresh from that day on) and ``closing`` (the
key-wise refresh). A step is a query file the summaries run (``dashboard.kpi.summaries``'
``script`` calls, named by file and slot words) or one of its functions (``name()``,
which includes the query files it runs); the table prints p50 / p95 in ms per shape and
code, and at the end whether the two stores' summary tables are equal (row counts and
hashes, doubles rounded).

    nice python scripts/bench_open_items.py --store /tmp/demo-1m.duckdb --repeat 10 \
        --before-code /work/main
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb
from bench_timing import timed

ROOT = Path(__file__).resolve().parents[1]
# a worker of --before-code imports the dashboard of the checkout it is given (--code)
CODE = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv else ROOT
sys.path.insert(0, str(CODE))

from dashboard import open_items  # noqa: E402
from dashboard.clock import store_now  # noqa: E402
from dashboard.ingest.load import load_records  # noqa: E402

UPDATE, REFILL = open_items.update, open_items.refresh
STEP: list[float] = []  # the open-items step's seconds of the batch that just ran


def timed_update(con, cases, others=True):
    t0 = time.perf_counter()
    try:
        return UPDATE(con, cases, others=others)
    finally:
        STEP.append(time.perf_counter() - t0)


def refill_instead(con, cases, others=True):
    """What every batch ran before: the full refill (open_items.refresh)."""
    t0 = time.perf_counter()
    try:
        return REFILL(con)
    finally:
        STEP.append(time.perf_counter() - t0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def intake_rows(con, n: int, tag: str, rng: random.Random,
                ago: timedelta = timedelta(0)) -> list[dict]:
    """``n`` new cases at points of recent ones, reported in the hour before now - ``ago``."""
    now = store_now(con) - ago
    pts = con.execute("SELECT lon, lat, category_code, source FROM incidents "
                      "WHERE id > (SELECT max(id) FROM incidents) - 20000 "
                      "ORDER BY hash(id + $salt) LIMIT $n",
                      {"n": n, "salt": rng.randint(0, 10**9)}).fetchall()
    out = []
    for i, (lon, lat, cat, src) in enumerate(pts):
        at = now - timedelta(minutes=rng.randint(5, 60))
        out.append({"case_no": f"BENCH{tag}{i:05d}", "source": src, "category_code": cat,
                    "lon": lon, "lat": lat, "reported_at": str(at.replace(microsecond=0)),
                    "registered_at": str((at + timedelta(minutes=2)).replace(microsecond=0))})
    return out


def closing_rows(con, n: int, rng: random.Random) -> list[dict]:
    now = store_now(con)
    cols = ("case_no", "source", "category_code", "lon", "lat", "reported_at",
            "registered_at", "dispatched_at", "handled_at", "closed_at", "deadline_at",
            "status", "is_void", "tier", "dept_code")
    rows = con.execute(f"SELECT {', '.join(cols)} FROM incidents WHERE closed_at IS NULL "
                       "AND NOT is_void AND registered_at IS NOT NULL "
                       "AND deadline_at IS NOT NULL AND registered_at < $cap "
                       "ORDER BY hash(id + $salt) LIMIT $n",
                       {"n": n, "cap": now - timedelta(hours=2),
                        "salt": rng.randint(0, 10**9)}).fetchall()
    out = []
    for i, row in enumerate(rows):
        rec = {c: (str(v) if hasattr(v, "isoformat") else v) for c, v in zip(cols, row,
                                                                            strict=True)}
        reg = row[cols.index("registered_at")]
        if i % 2:
            rec.update(closed_at=str(now - timedelta(minutes=rng.randint(1, 30))),
                       status="已结案")
            rec["handled_at"] = rec["handled_at"] or rec["closed_at"]
        else:
            rec.update(dispatched_at=str(reg + timedelta(minutes=30)), status="处置中")
        out.append({k: v for k, v in rec.items() if v is not None})
    return out


def hazard_rows(con, rng: random.Random) -> list[dict]:
    now = store_now(con)
    cols = ("hazard_no", "type", "risk_level", "grid_code", "source", "found_at",
            "deadline_at", "rectified_at")
    pick = (f"SELECT {', '.join(cols)} FROM hazards WHERE rectified_at IS NULL "
            "AND (risk_level = '重大') = $major ORDER BY hash(id + $salt) LIMIT 1")
    raise_ = con.execute(pick, {"major": False, "salt": rng.randint(0, 10**9)}).fetchall()
    fix = con.execute(pick, {"major": True, "salt": rng.randint(0, 10**9)}).fetchall()
    out = []
    for row, change in [(r, {"risk_level": "重大"}) for r in raise_] + \
            [(r, {"rectified_at": str(now - timedelta(minutes=3))}) for r in fix]:
        rec = {c: (str(v) if hasattr(v, "isoformat") else v) for c, v in zip(cols, row,
                                                                            strict=True)}
        rec.update(change)
        out.append({k: v for k, v in rec.items() if v is not None})
    return out


def equal_to_refill(con) -> tuple[int, int]:
    con.execute("CREATE OR REPLACE TEMP TABLE kept AS SELECT * FROM open_items")
    con.execute("BEGIN TRANSACTION")
    try:
        REFILL(con)
        return con.execute(
            "SELECT (SELECT count(*) FROM (SELECT * FROM kept EXCEPT ALL "
            "SELECT * FROM open_items)), (SELECT count(*) FROM (SELECT * FROM open_items "
            "EXCEPT ALL SELECT * FROM kept))").fetchone()
    finally:
        con.execute("ROLLBACK")


# --- --before-code: the whole batch and the summaries' steps, two checkouts side by side ---

def worker(store: Path, threads: int) -> None:
    """Serve batches (JSON lines on stdin) on ``store`` with the checkout's code; answer
    each with its wall time and the summaries' steps (JSON lines on stdout)."""
    import json

    from dashboard.kpi import summaries

    con = duckdb.connect(str(store))
    con.execute(f"SET threads = {threads}")
    con.execute("SET enable_progress_bar = false")
    steps: dict[str, float] = {}
    plain = summaries.script

    def script(con, name, *, slots=None, **params):
        key = " ".join([name, *(slots or {}).values()])
        t0 = time.perf_counter()
        try:
            return plain(con, name, slots=slots, **params)
        finally:
            steps[key] = steps.get(key, 0.0) + time.perf_counter() - t0

    summaries.script = script
    for fn in ("refresh_analysis_additive", "refresh_analysis_incremental",
               "refresh_period_additive", "refresh_period_incremental",
               "refresh_case_tables", "refresh_overview_tables", "_span_moved"):
        if hasattr(summaries, fn):
            setattr(summaries, fn, timed(getattr(summaries, fn), f"{fn}()", steps))
    for line in sys.stdin:
        ask = json.loads(line)
        if ask.get("checksums"):
            out = {}
            for table in ask["checksums"]:
                cols = con.execute("SELECT column_name, data_type FROM "
                                   "information_schema.columns WHERE table_name = $t "
                                   "ORDER BY ordinal_position", {"t": table}).fetchall()
                exprs = [f"round({c}, 3)" if d == "DOUBLE" else c for c, d in cols]
                out[table] = list(con.execute(
                    f"SELECT count(*), coalesce(sum(hash(({', '.join(exprs)}))), 0) "
                    f"FROM {table}").fetchone())
            print(json.dumps(out), flush=True)
            continue
        steps.clear()
        t0 = time.perf_counter()
        summary = load_records(con, ask["kind"], ask["rows"], source="bench")
        wall = time.perf_counter() - t0
        assert summary.loaded == len(ask["rows"]), summary.report()
        print(json.dumps({"wall": wall, "mode": summary.summaries,
                          "summaries": summary.phases.get("summaries", 0.0),
                          "steps": steps}), flush=True)
    con.close()


def compare(args) -> None:
    """The --before-code run: see the module docstring."""
    import json
    import os
    import subprocess

    from dashboard.kpi.summaries import SUMMARY_TABLES

    rng = random.Random(args.seed)
    with duckdb.connect(str(args.store), read_only=True) as con:
        size = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        batches = []
        for i in range(args.repeat):
            batches.append(("intake", "incidents", intake_rows(con, args.cases, f"I{i:04d}",
                                                              rng)))
            batches.append(("late", "incidents", intake_rows(
                con, args.cases, f"L{i:04d}", rng, ago=timedelta(days=args.late_days))))
            batches.append(("closing", "incidents", closing_rows(con, args.cases, rng)))
    codes = {"before": args.before_code.resolve(), "after": ROOT}
    print(f"store: {size:,} incidents; {args.cases} cases a batch, {args.repeat} batches per "
          f"shape and code (late: reported {args.late_days} days back), threads "
          f"{args.threads}; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        workers = {}
        for name, code in codes.items():
            path = Path(tmp) / f"{name}.duckdb"
            shutil.copy(args.store, path)
            workers[name] = subprocess.Popen(
                [sys.executable, __file__, "--code", str(code), "--worker", str(path),
                 "--threads", str(args.threads)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                env={**os.environ, "PYTHONPATH": str(code)})

        def ask(name: str, message: dict) -> dict:
            proc = workers[name]
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the {name} worker stopped (exit {proc.wait()})")
            return json.loads(line)

        got: dict[tuple[str, str], list[dict]] = {}
        for n, (shape, kind, rows) in enumerate(batches):
            order = list(codes) if n % 2 == 0 else list(codes)[::-1]
            for name in order:  # alternating who goes first: the same load for both
                got.setdefault((shape, name), []).append(
                    ask(name, {"kind": kind, "rows": rows}))
        sums = {name: ask(name, {"checksums": list(SUMMARY_TABLES)}) for name in codes}
        for proc in workers.values():
            proc.stdin.close()
            proc.wait()
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| batch | step | before p50 | p95 | after p50 | p95 | before/after p50 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for shape in ("intake", "late", "closing"):
        runs = {name: got[(shape, name)] for name in codes}
        modes = {name: sorted({r["mode"] for r in rs}) for name, rs in runs.items()}
        keys = ["whole batch", "summaries"]
        for name in codes:
            for r in runs[name]:
                keys += [k for k in r["steps"] if k not in keys]
        for key in keys:
            cells, mids = [], []
            for name in codes:
                values = [r["wall"] if key == "whole batch" else
                          r["summaries"] if key == "summaries" else r["steps"].get(key, 0.0)
                          for r in runs[name]]
                cells += [f"{pct(values, .5):.1f}", f"{pct(values, .95):.1f}"]
                mids.append(pct(values, .5))
            if max(mids) < args.min_ms:
                continue
            ratio = f"{mids[0] / mids[1]:.1f}x" if mids[1] > 0 else "–"
            label = f"**{key}** ({', '.join(modes['after'])})" if key == "whole batch" \
                else key
            print(f"| {shape} | {label} | {' | '.join(cells)} | {ratio} |")
    same = [t for t in sums["before"] if sums["before"][t] == sums["after"][t]]
    print(f"\nafter {len(batches)} batches per code: summary tables equal between the two "
          f"stores: {len(same)} of {len(sums['before'])}"
          + ("" if len(same) == len(sums["before"]) else
             f" (differ: {sorted(set(sums['before']) - set(same))})"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, help="a demo store (only read: copied)")
    ap.add_argument("--repeat", type=int, default=15, help="batches per shape and mode")
    ap.add_argument("--cases", type=int, default=20, help="cases per intake/closing batch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--before-code", type=Path,
                    help="a checkout of the code before (e.g. /work/main): compare the whole "
                         "batch and the summaries' steps side by side")
    ap.add_argument("--late-days", type=int, default=40,
                    help="with --before-code: the late batches' cases are this many days old")
    ap.add_argument("--min-ms", type=float, default=5.0,
                    help="with --before-code: leave out steps under this p50 in both codes")
    ap.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.threads)
        return
    if args.store is None:
        ap.error("--store is required")
    if args.before_code:
        compare(args)
        return
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="bench-open-items-") as tmp:
        path = Path(tmp) / "store.duckdb"
        shutil.copy(args.store, path)
        con = duckdb.connect(str(path))
        con.execute(f"SET threads = {args.threads}")
        con.execute("SET enable_progress_bar = false")
        size = con.execute("SELECT (SELECT count(*) FROM incidents), "
                           "(SELECT count(*) FROM open_items)").fetchone()
        print(f"store: {size[0]:,} incidents, open_items {size[1]:,} rows; "
              f"{args.cases} cases a batch, {args.repeat} batches per shape and mode, "
              f"threads {args.threads}")
        shapes = {
            "intake": lambda i: ("incidents", intake_rows(con, args.cases, f"{i:04d}", rng)),
            "closing": lambda i: ("incidents", closing_rows(con, args.cases, rng)),
            "hazards": lambda i: ("hazards", hazard_rows(con, rng)),
        }
        results: dict[tuple[str, str], dict[str, list[float]]] = {}
        modes = {"incremental": timed_update, "refill": refill_instead}
        n = 0
        for shape, make in shapes.items():
            for _ in range(args.repeat):
                for mode, fn in modes.items():  # alternating: same load, same store
                    kind, rows = make(n)
                    n += 1
                    open_items.update = fn
                    STEP.clear()
                    t0 = time.perf_counter()
                    summary = load_records(con, kind, rows, source="bench")
                    wall = time.perf_counter() - t0
                    assert summary.loaded == len(rows), summary.report()
                    assert len(STEP) == 1, (shape, summary.summaries)
                    got = results.setdefault((shape, mode), {"step": [], "batch": []})
                    got["step"].append(STEP[0])
                    got["batch"].append(wall)
        open_items.update = UPDATE
        print()
        print("| batch | mode | open_items p50 | p95 | whole batch p50 | p95 | "
              "open_items share |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for (shape, mode), got in results.items():
            share = statistics.median(got["step"]) / statistics.median(got["batch"])
            print(f"| {shape} | {mode} | {pct(got['step'], .5):.1f} | "
                  f"{pct(got['step'], .95):.1f} | {pct(got['batch'], .5):.0f} | "
                  f"{pct(got['batch'], .95):.0f} | {share:.0%} |")
        print()
        for shape in shapes:
            inc, full = results[(shape, "incremental")], results[(shape, "refill")]
            print(f"{shape}: open_items step refill/incremental "
                  f"{pct(full['step'], .5) / pct(inc['step'], .5):.1f}x at p50, whole batch "
                  f"{pct(full['batch'], .5) / pct(inc['batch'], .5):.2f}x")
        extra, missing = equal_to_refill(con)
        print(f"after {n} batches: open_items equals a full refill: "
              f"{extra == missing == 0} (extra {extra}, missing {missing})")
        con.close()


if __name__ == "__main__":
    main()
