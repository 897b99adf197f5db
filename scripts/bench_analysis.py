"""Benchmark: the analysis pages' main callbacks, before and after, with a naive baseline.

For each page (四级联动 ``linkage``, 满意度 ``satisfaction``, 时效 ``timeliness``, 事件
``cases`` …) and each period (the 30-day default and three years up to the store's last
day) it POSTs the page's main callback (the one that fills every panel from the URL, as
the browser does after a filter change) as the demo city leader over HTTP, ``--repeat``
times after one warm-up call, and prints p50 / p95 for

* **before**: the code of git ref ``--before-ref`` (default ``main``, extracted with
  ``git archive`` into a temporary folder and run in a subprocess) on ``--before-store``
  (default: the same store; give the unmigrated original when this code's migrations made
  the store too new for the old code);
* **after**: this checkout on ``--store``;
* **naive**: pandas over raw rows per request (read the period's raw rows and every case
  they refer to into pandas, then merge and group: what the page would cost without the
  summaries), with the ratio naive / after.

A table, not a timed test: numbers depend on the machine and its load.

**First call** (``--cold``): each measured call is the first call for its data in a fresh
process (as the first visitor after a restart or an import batch): the process first calls
the page once on the as-of day alone (``?period=today``: Python's one-time costs, imports
and figure templates, paid on a day's data), then empties the result cache and the page
memo, then times one call; the DuckDB buffer pool holds only that one day's blocks, the
OS file cache stays as it is. ``--repeat`` processes per page, period and code, so p50 /
p95 are over first calls; the naive column as above.

**RSS** (``--rss``): a fresh process opens the store as the server does (``create_app``
with the settings' ``duckdb_memory_limit`` and ``duckdb_threads``, or ``--memory-limit``),
calls the main callback of every analysis page (:data:`RSS_PAGES`) once for each period
and prints its VmRSS after each call and its peak (VmHWM); for the before code too unless
``--no-before``.

Usage: python scripts/bench_analysis.py --store PATH [--before-store PATH] [--before-ref main]
       [--repeat 5] [--pages linkage,satisfaction,timeliness,cases] [--periods 30d,3y]
       [--rss] [--rss-only] [--memory-limit 1GB] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("linkage", "satisfaction", "timeliness", "cases")
PERIODS = ("30d", "3y")
# every analysis page with a main callback: the RSS run visits all of them
RSS_PAGES = ("cases", "hazards", "persons", "timeliness", "satisfaction", "linkage", "iot")


def _search(period: str, last: date) -> str:
    if period == "30d":
        return "?period=30d"
    first = last.replace(year=last.year - 3) + timedelta(days=1)
    return f"?period=custom&from={first}&to={last}"


def _last_day(store: Path) -> date:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute("SELECT CAST(max(reported_at) AS DATE) FROM incidents").fetchone()[0]


def _pct(times: list[float], q: float) -> float:
    s = sorted(times)
    return 1000 * s[min(len(s) - 1, round(q * (len(s) - 1)))]


# --- one code tree's callbacks (run in a subprocess for the "before" tree) ---------------


def worker(code: Path, store: Path, pages, searches: dict, repeat: int,
           partial: Path | None = None, rss: bool = False,
           memory_limit: str | None = None, cold: bool = False) -> dict:
    """Time each page's main callback with the code at ``code`` on ``store`` (with
    ``rss``: call each once and record VmRSS after it instead)."""
    sys.path.insert(0, str(code))
    sys.path.insert(0, str(code / "tests"))
    from auth_helpers import CITY_LEADER, callback_request, login_client, post_callback

    from dashboard import create_app, ids
    from dashboard.settings import Settings

    auth = store.with_name(f"{store.stem}-auth.sqlite")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "auth.sqlite"
        if auth.exists():
            shutil.copyfile(auth, copy)
        settings = Settings.load(store=store, auth_db=str(copy),
                                 duckdb_memory_limit=memory_limit)
        app = create_app(settings)
        if rss:
            return _rss(app, pages, searches, login_client, CITY_LEADER, callback_request,
                        post_callback, ids, partial, settings.duckdb_memory_limit)
        return _timed(app, pages, searches, repeat, login_client, CITY_LEADER,
                      callback_request, post_callback, ids, partial, cold)


def _status(field: str) -> float:
    """A field of /proc/self/status in MB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss(app, pages, searches, login_client, leader, callback_request, post_callback, ids,
         partial, limit) -> dict:
    client = app.server.test_client()
    login_client(client, *leader)
    out = {"start": [_status("VmRSS"), _status("VmHWM")], "limit": limit}
    for period, search in searches.items():
        for page in pages:
            body = callback_request(
                app, f"{page}-total-text.children",
                [{"id": ids.FILTER_URL, "property": "search", "value": search}],
                changed=[f"{ids.FILTER_URL}.search"])
            t0 = time.perf_counter()
            status = post_callback(client, body).status_code
            out[f"{page} {period}"] = [_status("VmRSS"), _status("VmHWM"),
                                       time.perf_counter() - t0, status]
            if partial:
                partial.write_text(json.dumps(out))
    return out


def _timed(app, pages, searches, repeat, login_client, leader, callback_request,
           post_callback, ids, partial, cold: bool = False) -> dict:
    client = app.server.test_client()
    login_client(client, *leader)
    out = {}
    if cold:  # Python's first-call costs (imports, figure templates) paid on one day's
        # data of every page, then every cache emptied: the measured call reads the store
        from dashboard import pagememo

        for page in pages:
            post_callback(client, callback_request(
                app, f"{page}-total-text.children",
                [{"id": ids.FILTER_URL, "property": "search", "value": "?period=today"}],
                changed=[f"{ids.FILTER_URL}.search"]))
        pagememo.clear(app.server)
    for period, search in searches.items():  # every page's short period first
        for page in pages:
            body = callback_request(
                app, f"{page}-total-text.children",
                [{"id": ids.FILTER_URL, "property": "search", "value": search}],
                changed=[f"{ids.FILTER_URL}.search"])
            times = []
            for _ in range(repeat + 1):
                t0 = time.perf_counter()
                response = post_callback(client, body)
                times.append(time.perf_counter() - t0)
                if response.status_code != 200:  # a 503 (time limit, memory) is a result
                    print(f"{page} {search}: HTTP {response.status_code}", file=sys.stderr)
                    out.setdefault("_failed", {})[f"{page} {period}"] = response.status_code
                    break
            out[f"{page} {period}"] = times[1:] or times  # the first call warms caches
            if partial:  # what is done so far, should the caller stop waiting
                partial.write_text(json.dumps(out))
    return out


# --- naive: pandas over raw rows, per request --------------------------------------------


def naive(con, page: str, start, end) -> None:
    """The page's main figures from raw rows read into pandas (city scope, no filters)."""
    p = {"s": start, "e": end}
    if page == "linkage":
        esc = con.execute("SELECT * FROM escalations WHERE escalated_at >= $s AND "
                          "escalated_at < $e", p).df()
        cases = con.execute("SELECT id, tier, is_void, registered_at, closed_at, reported_at "
                            "FROM incidents WHERE reported_at < $e", {"e": end}).df()
        m = esc.merge(cases, left_on="incident_id", right_on="id")
        m[m["kind"] == "上报上级"].groupby(["from_tier", "to_tier"]).size()
        m[m["kind"] == "转派"].groupby(["from_dept", "to_dept"]).size()
        live = cases[~cases["is_void"] & cases["registered_at"].notna()]
        closed = live[(live["closed_at"] >= start) & (live["closed_at"] < end)]
        closed.groupby("tier").size()
        live[live["closed_at"].isna()].groupby("tier").size()
        up = esc[esc["kind"] == "上报上级"].merge(closed[["id", "closed_at"]],
                                                 left_on="incident_id", right_on="id")
        up.groupby("to_tier").size()
    elif page == "satisfaction":
        s = con.execute("SELECT * FROM surveys WHERE surveyed_at >= $s AND surveyed_at < $e",
                        p).df()
        cases = con.execute("SELECT i.id, i.grid_code, i.dept_code, c.major_code, "
                            "i.registered_at, i.handled_at FROM incidents AS i JOIN "
                            "categories AS c ON c.code = i.category_code "
                            "WHERE i.reported_at < $e", {"e": end}).df()
        m = s.merge(cases, left_on="incident_id", right_on="id")
        m["hours"] = (m["handled_at"] - m["registered_at"]).dt.total_seconds() / 3600
        m["ok"] = m["rating"].isin(["满意", "基本满意"])
        for key in ("major_code", "dept_code", "rating"):
            m.groupby(key).agg(n=("ok", "size"), ok=("ok", "sum"), hours=("hours", "mean"))
    else:  # timeliness, cases: the cases reported in the period
        f = con.execute("SELECT i.*, c.major_code FROM incidents AS i JOIN categories AS c "
                        "ON c.code = i.category_code WHERE i.reported_at >= $s AND "
                        "i.reported_at < $e", p).df()
        if page == "timeliness":
            f["hours"] = (f["handled_at"] - f["registered_at"]).dt.total_seconds() / 3600
            for key in ("tier", "dept_code", "major_code"):
                f.groupby(key)["hours"].quantile([0.1, 0.25, 0.5, 0.75, 0.9])
        else:
            for key in ("category_code", "source", "status", "grid_code"):
                f.groupby(key).size()


def naive_times(store: Path, pages, searches: dict, repeat: int, last: date) -> dict:
    import duckdb

    out = {}
    with duckdb.connect(str(store), read_only=True) as con:
        for page in pages:
            for period in searches:
                if period == "30d":
                    d0 = last - timedelta(days=29)
                else:
                    d0 = last.replace(year=last.year - 3) + timedelta(days=1)
                start = f"{d0} 00:00:00"
                end = f"{last + timedelta(days=1)} 00:00:00"
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    naive(con, page, start, end)
                    times.append(time.perf_counter() - t0)
                out[f"{page} {period}"] = times
    return out


def _before_tree(ref: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--before-store", type=Path, default=None)
    parser.add_argument("--before-ref", default="main")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--periods", default=",".join(PERIODS))
    parser.add_argument("--no-before", action="store_true")
    parser.add_argument("--before-timeout", type=float, default=None,
                        help="seconds to wait for the before run (its rows so far are kept)")
    parser.add_argument("--rss", action="store_true",
                        help="also measure server RSS after every page (fresh processes)")
    parser.add_argument("--rss-only", action="store_true", help="only the RSS measurement")
    parser.add_argument("--memory-limit", default=None,
                        help="duckdb_memory_limit of the RSS run (default: the settings')")
    parser.add_argument("--naive-repeat", type=int, default=None,
                        help="calls of the naive baseline (default: --repeat; 0: none)")
    parser.add_argument("--cold", action="store_true",
                        help="time first calls: every measured call in a fresh process")
    parser.add_argument("--rss-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # JSON out
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    pages = args.pages.split(",")
    last = _last_day(args.store)
    searches = {p: _search(p, last) for p in args.periods.split(",")}
    if args.worker:
        worker(args.code, args.store, pages, searches, args.repeat, partial=args.worker,
               rss=args.rss_worker, memory_limit=args.memory_limit, cold=args.cold_worker)
        return
    if args.rss or args.rss_only:
        rss_table(args, searches)
        if args.rss_only:
            return
    if args.cold:
        cold_table(args, pages, searches, last)
        return
    before = {}
    if not args.no_before:
        with tempfile.TemporaryDirectory() as tmp:
            code = _before_tree(args.before_ref, Path(tmp) / "code")
            out = Path(tmp) / "before.json"
            env = {**os.environ, "PYTHONPATH": str(code)}
            try:
                subprocess.run([sys.executable, __file__, "--store",
                                str(args.before_store or args.store), "--worker", str(out),
                                "--code", str(code), "--pages", args.pages, "--periods",
                                args.periods, "--repeat", str(args.repeat)],
                               check=False, env=env, cwd=code, timeout=args.before_timeout)
            except subprocess.TimeoutExpired:
                print(f"before: stopped after {args.before_timeout} s; rows not reached "
                      "read —", flush=True)
            before = json.loads(out.read_text()) if out.exists() else {}
    after = worker(ROOT, args.store, pages, searches, args.repeat)
    base = {} if args.naive_repeat == 0 else \
        naive_times(args.store, pages, searches, args.naive_repeat or args.repeat, last)
    print(f"store: {args.store} (before: {args.before_ref} on "
          f"{args.before_store or args.store}); {args.repeat} calls each after a warm-up")
    print("| page | period | before p50 / p95 ms | after p50 / p95 ms | naive pandas p50 ms "
          "| naive / after |")
    print("|---|---|---:|---:|---:|---:|")
    failed = {**{f"before {k}": v for k, v in before.pop("_failed", {}).items()},
              **{f"after {k}": v for k, v in after.pop("_failed", {}).items()}}
    for key, times in after.items():
        page, period = key.split()
        b = before.get(key)
        b_text = f"{_pct(b, 0.5):,.0f} / {_pct(b, 0.95):,.0f}" if b else "—"
        if f"before {key}" in failed:
            b_text = f"HTTP {failed[f'before {key}']} after {1000 * b[-1]:,.0f}"
        a50 = _pct(times, 0.5)
        a_text = f"{a50:,.0f} / {_pct(times, 0.95):,.0f}"
        if f"after {key}" in failed:
            a_text = f"HTTP {failed[f'after {key}']} after {1000 * times[-1]:,.0f}"
        n50 = _pct(base[key], 0.5) if key in base else None
        naive = f"{n50:,.0f} | {n50 / a50:.1f}×" if n50 else "— | —"
        print(f"| {page} | {period} | {b_text} | {a_text} | {naive} |")


def _first_call(code: Path, store: Path, page: str, period: str, env=None) -> dict:
    """One fresh process calling one page once: its time (or its HTTP failure)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cold.json"
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--store", str(store),
                        "--worker", str(out), "--code", str(code), "--pages", page,
                        "--periods", period, "--repeat", "0", "--cold-worker"], check=False,
                       env=env,
                       cwd=code)
        return json.loads(out.read_text()) if out.exists() else {}


def cold_table(args, pages, searches: dict, last: date) -> None:
    """p50 / p95 of first calls (a fresh process each), before and after, with naive."""
    runs: dict[str, dict[str, list]] = {"before": {}, "after": {}}
    failed: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": (ROOT, args.store)}
        if not args.no_before:
            trees["before"] = (_before_tree(args.before_ref, Path(tmp) / "code"),
                               args.before_store or args.store)
        for period in searches:
            for page in pages:
                key = f"{page} {period}"
                for _ in range(args.repeat):
                    for name, (code, store) in trees.items():  # interleaved: same load
                        rec = _first_call(code, store, page, period,
                                          {**os.environ, "PYTHONPATH": str(code)})
                        if key in rec.get("_failed", {}):
                            failed[f"{name} {key}"] = rec["_failed"][key]
                        if key in rec:
                            runs[name].setdefault(key, []).extend(rec[key])
    base = {} if args.naive_repeat == 0 else \
        naive_times(args.store, pages, searches, args.naive_repeat or args.repeat, last)
    print(f"store: {args.store} (before: {args.before_ref} on "
          f"{args.before_store or args.store}); first calls: {args.repeat} fresh processes "
          "per page, period and code")
    print("| page | period | before first call p50 / p95 ms | after first call p50 / p95 ms "
          "| naive pandas p50 ms | naive / after |")
    print("|---|---|---:|---:|---:|---:|")
    for period in searches:
        for page in pages:
            key = f"{page} {period}"
            cells = []
            for name in ("before", "after"):
                t = runs[name].get(key)
                text = f"{_pct(t, 0.5):,.0f} / {_pct(t, 0.95):,.0f}" if t else "—"
                if f"{name} {key}" in failed:
                    text += f" (HTTP {failed[f'{name} {key}']})"
                cells.append(text)
            a = runs["after"].get(key)
            n50 = _pct(base[key], 0.5) if key in base else None
            ratio = f"{n50 / _pct(a, 0.5):.1f}×" if a and n50 else "—"
            naive = f"{n50:,.0f}" if n50 else "—"
            print(f"| {page} | {period} | {cells[0]} | {cells[1]} | {naive} | {ratio} |")


def _rss_process(code: Path, store: Path, searches: dict, memory_limit, env=None) -> dict:
    """One fresh process (as a server starts) visiting every page: its RSS record."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rss.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--store",
               str(store), "--worker", str(out), "--rss-worker", "--code", str(code),
               "--pages", ",".join(RSS_PAGES), "--periods", ",".join(searches),
               "--repeat", "1"]
        if memory_limit:
            cmd += ["--memory-limit", memory_limit]
        subprocess.run(cmd, check=False, env=env, cwd=code)
        return json.loads(out.read_text()) if out.exists() else {}


def rss_table(args, searches: dict) -> None:
    runs = {}
    if not (args.no_before or args.rss_only):
        with tempfile.TemporaryDirectory() as tmp:
            code = _before_tree(args.before_ref, Path(tmp) / "code")
            runs["before"] = _rss_process(code, args.before_store or args.store, searches,
                                          None, {**os.environ, "PYTHONPATH": str(code)})
    runs["after"] = _rss_process(ROOT, args.store, searches, args.memory_limit,
                                 {**os.environ, "PYTHONPATH": str(ROOT)})
    print("server RSS after each page's main callback (one fresh process per code, "
          "every page at each period in turn; MB)")
    print("| page | period | " + " | ".join(f"{k} VmRSS (s, HTTP)" for k in runs) + " |")
    print("|---|---|" + "---:|" * len(runs))
    keys = [f"{p} {per}" for per in searches for p in RSS_PAGES]
    for key in keys:
        page, period = key.split()
        cells = []
        for rec in runs.values():
            v = rec.get(key)
            cells.append(f"{v[0]:,.0f} ({v[2]:.1f} s, {v[3]})" if v else "—")
        print(f"| {page} | {period} | " + " | ".join(cells) + " |")
    for name, rec in runs.items():
        last = [rec[k] for k in keys if k in rec]
        if last:
            print(f"{name}: duckdb memory_limit {rec.get('limit')}, VmRSS at start "
                  f"{rec['start'][0]:,.0f} MB, after the last page {last[-1][0]:,.0f} MB, "
                  f"peak (VmHWM) {last[-1][1]:,.0f} MB")


if __name__ == "__main__":
    main()
