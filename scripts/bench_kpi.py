"""Benchmark the KPI engine against the naive way (pandas over raw rows); print a table.

Issue 3, item 9: on 10M incidents, region KPI and by-region queries p95 <= 15 ms and
last-30-days queries <= 5 ms. Each case runs ``kpis`` (all registry KPIs, from the summary
tables) R times after 2 warm-ups on a read-only connection. Beside it, the naive way: the
raw columns it needs are read once (outside the timing; survey rows get their case's grid
code in that read), then the pandas computation of 上报数, 结案数, 结案率, 按期结案率, 满意率
and 平均处置时长 for the same scope and period is timed the same way. Honest numbers, no
assertions.

    python scripts/bench_kpi.py                      # builds 1M incidents in a temp dir
    python scripts/bench_kpi.py --incidents 10M      # the issue's target size (~150 s, 4 GB)
    python scripts/bench_kpi.py --incidents 500k --runs 50
    python scripts/bench_kpi.py --store data/gridcmd.duckdb
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.kpi.engine import kpis  # noqa: E402
from dashboard.kpi.scope import Scope  # noqa: E402
from dashboard.store import Store  # noqa: E402

WARMUPS = 2
TARGET_REGION_MS = 15.0
TARGET_RECENT_MS = 5.0
BUILD = """
import sys
from dashboard.demo import DemoSpec, build_demo
build_demo(sys.argv[1], DemoSpec(incidents=int(sys.argv[2]), seed=20231), progress=False)
"""
LEVEL_LEN = {"county": 6, "town": 9}
SIX = ["reported", "closed", "close_rate", "ontime_rate", "satisfaction_rate",
       "avg_handle_hours"]  # 上报数 结案数 结案率 按期结案率 满意率 平均处置时长


def parse_size(size: str) -> int:
    """'10M', '500k', '1_000_000' -> int."""
    text = size.strip().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    try:
        n = int(float(text[:-1] if scale > 1 else text) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {size!r} (e.g. 500k, 1M, 10M)") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {size!r}")
    return n


@dataclass(frozen=True)
class Case:
    name: str
    region: str
    d0: date
    d1: date
    level: str | None
    target_ms: float


def timed(fn, runs: int) -> np.ndarray:
    """Milliseconds of ``runs`` calls of fn, after WARMUPS untimed calls."""
    for _ in range(WARMUPS):
        fn()
    out = np.empty(runs)
    for i in range(runs):
        t = time.perf_counter()
        fn()
        out[i] = (time.perf_counter() - t) * 1000
    return out


def load_raw(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw columns the naive computation needs (read once, not timed)."""
    inc = con.execute(
        "SELECT grid_code, is_void, reported_at, registered_at, handled_at, closed_at, "
        "deadline_at FROM incidents").df()
    sv = con.execute(
        "SELECT i.grid_code, s.surveyed_at, s.rating FROM surveys s "
        "JOIN incidents i ON i.id = s.incident_id").df()
    return inc, sv


def naive(inc: pd.DataFrame, sv: pd.DataFrame, prefix: str, d0: date, d1: date,
          level: str | None) -> pd.DataFrame:
    """Six KPIs straight from raw rows with pandas, per sub-region when ``level`` is set."""
    s, e = pd.Timestamp(d0), pd.Timestamp(d1) + pd.Timedelta(days=1)
    i = inc[inc["grid_code"].str.startswith(prefix)]
    live = ~i["is_void"]
    closed = live & (i["closed_at"] >= s) & (i["closed_at"] < e)
    timed_ = closed & i["handled_at"].notna() & i["registered_at"].notna()
    handle_sec = (i["handled_at"] - i["registered_at"]).dt.total_seconds()
    flags = pd.DataFrame({
        "reported": (i["reported_at"] >= s) & (i["reported_at"] < e),
        "closed": closed,
        "ontime": closed & (i["closed_at"] <= i["deadline_at"]),
        "overdue": live & (i["deadline_at"] < e) & ~(i["closed_at"] < e),
        "timed": timed_,
        "handle_sec": handle_sec.where(timed_, 0.0),
    })
    v = sv[sv["grid_code"].str.startswith(prefix)
           & (sv["surveyed_at"] >= s) & (sv["surveyed_at"] < e)]
    rated = v["rating"].notna()
    sflags = pd.DataFrame({"rated": rated, "satisfied": v["rating"].isin(["满意", "基本满意"])})
    if level is None:
        a = flags.sum().to_frame().T
        b = sflags.sum().to_frame().T
    else:
        n = LEVEL_LEN[level]
        a = flags.groupby(i["grid_code"].str[:n]).sum()
        b = sflags.groupby(v["grid_code"].str[:n]).sum()
    m = a.join(b, how="outer").fillna(0.0)
    return pd.DataFrame({
        "上报数": m["reported"],
        "结案数": m["closed"],
        "结案率": m["closed"] / (m["closed"] + m["overdue"]).where(lambda x: x != 0),
        "按期结案率": m["ontime"] / m["closed"].where(m["closed"] != 0),
        "满意率": m["satisfied"] / m["rated"].where(m["rated"] != 0),
        "平均处置时长": m["handle_sec"] / 3600 / m["timed"].where(m["timed"] != 0),
    })


def cases_for(con, meta: dict[str, str]) -> list[Case]:
    city = meta.get("city") or con.execute(
        "SELECT substr(min(grid_code), 1, 4) FROM incident_daily").fetchone()[0]
    end = date.fromisoformat(meta["history_end"][:10])
    month_end = end.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    county = con.execute(
        "SELECT substr(grid_code, 1, 6) AS c FROM incident_daily "
        "WHERE starts_with(grid_code, $p) GROUP BY c ORDER BY sum(reported) DESC, c LIMIT 1",
        {"p": city}).fetchone()[0]
    month = f"{month_start:%Y-%m}"
    return [
        Case(f"region: city {city}, {month}", city, month_start, month_end, None,
             TARGET_REGION_MS),
        Case(f"region: county {county}, {month}", county, month_start, month_end, None,
             TARGET_REGION_MS),
        Case(f"by-region: city by county, {month}", city, month_start, month_end, "county",
             TARGET_REGION_MS),
        Case(f"by-region: county by town, {month}", county, month_start, month_end, "town",
             TARGET_REGION_MS),
        Case(f"last 30 days: city, ..{end}", city, end - timedelta(days=29), end, None,
             TARGET_RECENT_MS),
    ]


def bench(store: Path, runs: int, naive_runs: int) -> None:
    con = Store.open(store)  # read-only, version checked
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    n_inc = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"store {store} ({store.stat().st_size / 2**20:,.0f} MB, {n_inc:,} incidents, "
          f"history to {meta.get('history_end')}); {os.cpu_count()} cores, duckdb "
          f"{duckdb.__version__} threads={threads}, pandas {pd.__version__}; "
          f"{runs} runs (naive {naive_runs}) after {WARMUPS} warm-ups", flush=True)
    sizes = ", ".join(
        f"{t} {con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]:,}"  # names: literal list
        for t in ("incident_daily", "village_daily", "town_daily", "county_daily", "city_daily"))
    print(f"summary rows: {sizes}", flush=True)
    cases = cases_for(con, meta)
    t = time.perf_counter()
    inc, sv = load_raw(con)
    print(f"naive: raw columns read once in {time.perf_counter() - t:.1f} s "
          f"({len(inc):,} incidents, {len(sv):,} surveys; not timed below)", flush=True)

    rows = []
    for c in cases:
        scope = Scope(c.region, "leader")
        eng = timed(lambda c=c, scope=scope: kpis(con, scope, c.d0, c.d1, level=c.level),
                    runs)
        six = timed(lambda c=c, scope=scope: kpis(con, scope, c.d0, c.d1, keys=SIX,
                                                  level=c.level), runs)
        nav = timed(lambda c=c: naive(inc, sv, c.region, c.d0, c.d1, c.level), naive_runs)
        p50, p95, mx = np.percentile(eng, 50), np.percentile(eng, 95), eng.max()
        rows.append((c.name, p50, p95, mx, np.percentile(six, 50), np.percentile(nav, 50),
                     np.percentile(nav, 95), c.target_ms, "yes" if p95 <= c.target_ms else "no"))
    con.close()

    w = max(len(r[0]) for r in rows)
    print()
    print(f"{'case':<{w}}  {'engine p50':>10} {'p95':>7} {'max':>7}  {'engine6 p50':>11}  "
          f"{'naive p50':>9} {'p95':>7}  {'target p95':>10}  met")
    for name, p50, p95, mx, s50, n50, n95, target, met in rows:
        print(f"{name:<{w}}  {p50:>10.1f} {p95:>7.1f} {mx:>7.1f}  {s50:>11.1f}  {n50:>9.1f} "
              f"{n95:>7.1f}  {target:>10.0f}  {met}")
    print("(ms; engine = all registry KPIs from the summary tables, 'met' judges its p95; "
          "engine6 = the engine asked for the naive six only; naive = the six in pandas over "
          "raw rows already in memory)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--store", type=Path, help="an existing store (opened read-only)")
    src.add_argument("--incidents", type=parse_size, default=1_000_000,
                     help="build a demo store of this size in a temp dir: 500k, 1M, 10M "
                          "(default 1M; the issue's target is 10M)")
    ap.add_argument("--runs", type=int, default=30, help="timed runs per case (default 30)")
    ap.add_argument("--naive-runs", type=int, help="timed naive runs per case (default: --runs)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    naive_runs = args.naive_runs or args.runs
    if args.store:
        if not args.store.is_file():
            ap.error(f"store not found: {args.store}")
        bench(args.store, args.runs, naive_runs)
        return
    with tempfile.TemporaryDirectory(prefix="bench_kpi") as tmp:
        path = Path(tmp) / f"bench{args.incidents}.duckdb"
        print(f"building a demo store of {args.incidents:,} incidents ...", flush=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", BUILD, str(path), str(args.incidents)],
                       check=True, cwd=Path(__file__).resolve().parents[1])
        print(f"built in {time.perf_counter() - t:.0f} s", flush=True)
        bench(path, args.runs, naive_runs)


if __name__ == "__main__":
    main()
