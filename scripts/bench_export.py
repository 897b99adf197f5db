"""Benchmark: the case list export (``/export/cases.csv``) at a large store, against
another checkout's code.

Each measurement is one fresh process (``--child``): it builds the app on ``--store``, logs
the demo city analyst in through the login form and GETs the export for every query of
``QUERIES`` once, through the Flask test client (Flask, the data layer, DuckDB, the CSV
writer; no network). It reports the seconds to the last byte, the rows and bytes, and the
process's peak RSS (``ru_maxrss``, so per process: the export of the largest query sets
it), and the bytes of the export's audit row's id list in the accounts database (JSON text
before, compressed beyond ``AUDIT_TEXT_IDS`` ids since). ``--before-code PATH`` runs the
same child with ``PYTHONPATH=PATH`` (another checkout, e.g. ``git worktree add
/tmp/before <ref>``), on ``--before-store`` when given (a store at the schema that code
reads; default ``--store``), alternated with this checkout's ``--repeat`` times, and prints
both side by side with p50 / p95 per query. A table, not a timed test: the numbers depend on
the machine and its load.

Usage: python scripts/bench_export.py --store PATH [--before-code PATH]
       [--before-store PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
QUERIES = (("city, 30 days", "?period=30d"), ("city, this month", "?period=month"),
           ("busiest county, 30 days", "?period=30d&region={county}"))


def child(store: Path) -> dict:
    sys.path.insert(0, str(HERE.parent))
    from bench_drill import login
    from drill_chain import busiest_chain

    from dashboard import create_app
    from dashboard.auth.demo import seed_demo_users
    from dashboard.auth.store import AuthStore
    from dashboard.settings import Settings

    auth = Path(tempfile.mkdtemp(prefix="bench-export-")) / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    app = create_app(Settings.load(store=store, demo_on_start=False, auth_db=str(auth)))
    client = app.server.test_client()
    login(client, "city_analyst")
    county = busiest_chain(store)[1]
    out = {}
    for label, query in QUERIES:
        t0 = time.perf_counter()
        response = client.get("/export/cases.csv" + query.format(county=county))
        size = sum(len(piece) for piece in response.response)  # to the last byte
        seconds = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"{label}: HTTP {response.status_code}")
        with sqlite3.connect(auth) as db:  # the id list of the export's audit row
            kept = db.execute("SELECT length(CAST(ids AS BLOB)) FROM audit "
                              "WHERE action = 'export' ORDER BY id DESC LIMIT 1").fetchone()[0]
        out[label] = {"s": seconds, "rows": int(response.headers["X-Row-Count"]),
                      "mb": size / 1e6, "audit_kb": kept / 1e3}
    out["_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _run(code: str | None, store: Path) -> dict:
    env = dict(os.environ)
    root = code or str(HERE.parent.parent)
    env["PYTHONPATH"] = root
    got = subprocess.run([sys.executable, str(HERE), "--store", str(store), "--child"],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(got.stdout.strip().splitlines()[-1])


def _pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--before-code")
    ap.add_argument("--before-store", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.store)))
        return
    codes = {"after": None}
    stores = {"after": a.store, "before": a.before_store or a.store}
    if a.before_code:
        codes = {"before": a.before_code, **codes}
    runs: dict[str, list[dict]] = {k: [] for k in codes}
    load0 = os.getloadavg()[0]
    for _ in range(a.repeat):
        for name, code in codes.items():
            runs[name].append(_run(code, stores[name]))
    load1 = os.getloadavg()[0]
    print(f"store {a.store} (before: {stores['before']}), {a.repeat} repeats per code, "
          f"each a fresh process; load average {load0:.1f} before, {load1:.1f} after "
          "(2 cores)")
    for name, code in codes.items():
        print(f"{name}: code {code or HERE.parent.parent}")
    print()
    print("| query | code | rows | MB | p50 s | p95 s | audit ids kB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, _ in QUERIES:
        for name in codes:
            s = [r[label]["s"] for r in runs[name]]
            last = runs[name][-1][label]
            print(f"| {label} | {name} | {last['rows']:,} | {last['mb']:.1f} | "
                  f"{_pct(s, 50):.2f} | {_pct(s, 95):.2f} | {last['audit_kb']:,.1f} |")
    print()
    for name in codes:
        rss = [r["_rss"] for r in runs[name]]
        print(f"peak RSS of a process, {name}: {min(rss):.0f}–{max(rss):.0f} MB")


if __name__ == "__main__":
    main()
