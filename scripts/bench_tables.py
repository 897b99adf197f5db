"""Benchmark the purpose-built read tables (issue 18): before / after / naive, one table.

Two copies of the same store: ``--before`` at schema version 7 (grid-level summaries in
day order, alerts and feed over raw incidents) and ``--after`` migrated to version 8
(``gridcmd migrate``: grid-level summaries in (grid_code, day) order, case_window,
open_cases, recent_cases). Each step runs R times after 2 warm-ups on a read-only
connection per store, in alternation, so both sides see the same machine load; the
"before" alerts and feed run the version-7 query texts (from git, ``--before-rev``).
Beside them the naive way: pandas over raw incident columns read once outside the timing.
Honest numbers, no assertions.

    python scripts/bench_tables.py --before /work/bench/demo10m.duckdb \\
        --after /work/bench/tables-10m.duckdb --runs 20
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from queries import names as Q

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import queries  # noqa: E402
from dashboard.kpi.engine import kpis  # noqa: E402
from dashboard.kpi.scope import Scope  # noqa: E402
from dashboard.overview_data import case_tables_cover  # noqa: E402
from dashboard.periods import window  # noqa: E402

WARMUPS = 2


def old_text(rev: str, name: str) -> str:
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:queries/{name}.sql"],
                          check=True, capture_output=True, text=True).stdout
    return queries._INCLUDE.sub(lambda m: queries._text(m.group(1)), text)


def timed(fn, runs: int) -> list[float]:
    for _ in range(WARMUPS):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(xs) -> tuple[float, float]:
    return float(np.percentile(xs, 50)), float(np.percentile(xs, 95))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, type=Path)
    ap.add_argument("--after", required=True, type=Path)
    ap.add_argument("--before-rev", default="main")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--naive", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args(argv)

    old = duckdb.connect(str(args.before), read_only=True)
    new = duckdb.connect(str(args.after), read_only=True)
    for con in (old, new):
        con.execute("SET enable_progress_bar = false")
    now = pd.Timestamp(new.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
                       ).to_pydatetime() + timedelta(minutes=1)
    since = pd.Timestamp(new.execute("SELECT since FROM case_window").fetchone()[0]
                         ).to_pydatetime()
    village = new.execute("SELECT substr(grid_code, 1, 12) FROM open_cases "
                          "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    grid = new.execute("SELECT min(grid_code) FROM open_cases WHERE starts_with(grid_code, $v)",
                       {"v": village}).fetchone()[0]
    d0, d1 = window(now.date(), "30d")
    old_alerts, old_feed = old_text(args.before_rev, "overview_alerts"), \
        old_text(args.before_rev, "overview_feed")
    old_critical = old_text(args.before_rev, "overview_critical")
    inside = since + timedelta(days=10, hours=12)
    before_window = since - timedelta(days=60)

    def q(con, text, **p):
        return lambda: con.execute(text, p).fetchall()

    naive = {}
    if args.naive:
        raw = new.execute("SELECT id, grid_code, reported_at, registered_at, deadline_at, "
                          "closed_at, is_void FROM incidents").df()

        def naive_alerts(prefix, moment):
            def fn():
                inc = raw[raw["grid_code"].str.startswith(prefix)]
                open_ = (~inc["is_void"] & inc["deadline_at"].notna()
                         & (inc["registered_at"] <= moment)
                         & (inc["closed_at"].isna() | (inc["closed_at"] > moment)))
                over = open_ & (inc["deadline_at"] < moment)
                return int(over.sum()), inc[over].nsmallest(6, "deadline_at")
            return fn

        def naive_feed(prefix, moment):
            def fn():
                inc = raw[(raw["reported_at"] >= moment - timedelta(days=7))
                          & (raw["reported_at"] <= moment)]
                inc = inc[inc["grid_code"].str.startswith(prefix)]
                return inc.nlargest(8, "reported_at")
            return fn

        naive = {"alerts city (live)": naive_alerts("3206", now),
                 "alerts village (live)": naive_alerts(village, now),
                 f"alerts city (as of {inside:%m-%d}, in window)": naive_alerts("3206", inside),
                 "feed city (live)": naive_feed("3206", now),
                 "feed village (live)": naive_feed(village, now)}

    sql = queries.sql
    cases = [
        ("village map: grid measures (30d)",
         lambda con: lambda: kpis(con, Scope(village, "leader"), d0, d1, level="grid"), None),
        ("grid scope measures (30d, by day)",
         lambda con: lambda: kpis(con, Scope(grid, "leader"), d0, d1, by="day"), None),
        ("alerts city (live)", None, dict(prefix="3206", now=now, n=6)),
        ("alerts village (live)", None, dict(prefix=village, now=now, n=6)),
        (f"alerts city (as of {inside:%m-%d}, in window)", None,
         dict(prefix="3206", now=inside, n=6)),
        (f"alerts city (as of {before_window:%m-%d}, raw fallback)", None,
         dict(prefix="3206", now=before_window, n=6)),
        ("feed city (live)", None, dict(prefix="3206", since=now - timedelta(days=7),
                                        now=now, n=8)),
        ("feed village (live)", None, dict(prefix=village, since=now - timedelta(days=7),
                                           now=now, n=8)),
        ("critical city (live)", None, dict(prefix="3206", now=now)),
    ]
    print(f"stores: before {args.before} (v7), after {args.after} (v8); "
          f"now {now:%Y-%m-%d %H:%M}; window since {since:%Y-%m-%d}; "
          f"village {village}, grid {grid}; {args.runs} runs")
    head = (f"{'step':<44} {'before p50':>10} {'p95':>8} {'after p50':>10} {'p95':>8} "
            f"{'x':>6} {'naive p50':>10} {'x naive':>8}")
    print(head)
    print("-" * len(head))
    for label, make, params in cases:
        if make is not None:
            f_old, f_new = make(old), make(new)
        else:
            name = (Q.OVERVIEW_ALERTS if label.startswith("alerts") else
                    Q.OVERVIEW_FEED if label.startswith("feed") else Q.OVERVIEW_CRITICAL)
            before = {"overview_alerts": old_alerts, "overview_feed": old_feed,
                      "overview_critical": old_critical}[name]
            extra = {}
            # the new texts take the branch as $tables (critical too since migration 010)
            cover = case_tables_cover(new, params.get("since", params.get("now")))
            extra["tables"] = cover["feed" if name == Q.OVERVIEW_FEED else "alerts"]
            f_old, f_new = q(old, before, **params), q(new, sql(name), **params, **extra)
            assert sorted(map(str, f_old())) == sorted(map(str, f_new())), label
        a, b = [], []
        for _ in range(2):  # alternate halves so both see the same load
            a += timed(f_old, args.runs // 2)
            b += timed(f_new, args.runs // 2)
        (a50, a95), (b50, b95) = pct(a), pct(b)
        line = f"{label:<44} {a50:>10.1f} {a95:>8.1f} {b50:>10.1f} {b95:>8.1f} {a50 / b50:>6.1f}"
        if label in naive:
            n50, _ = pct(timed(naive[label], max(3, args.runs // 4)))
            line += f" {n50:>10.1f} {n50 / b50:>8.1f}"
        print(line)
    print("times in ms; x = before p50 / after p50; x naive = naive p50 / after p50 "
          "(pandas over raw incident columns already in memory)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
