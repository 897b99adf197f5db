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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def intake_rows(con, n: int, tag: str, rng: random.Random) -> list[dict]:
    now = store_now(con)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=15, help="batches per shape and mode")
    ap.add_argument("--cases", type=int, default=20, help="cases per intake/closing batch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
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
