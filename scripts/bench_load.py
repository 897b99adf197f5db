"""Benchmark: a realistic load mix with locust against ``gridcmd serve --workers N``.

Screens on kiosk refresh, leaders drilling city → grid, analysts filtering analysis pages
and exporting (the users are described in ``scripts/locustfile.py``). For each worker
count the server is started on loopback with the store and a fresh copy of the demo
accounts, locust runs headless for ``--seconds`` with ``--users`` simulated users, and one
table prints per request kind: count, failures, p50 and p95 (locust's own percentiles),
then the totals side by side per worker count, with the server's RSS at the end (all its
processes, and the largest one: a worker).

All users come from 127.0.0.1, so the per-address limits of a real deployment (login
attempts, callback POSTs per minute) are raised for the run; nothing else is changed.

Every request is also logged (start, kind, milliseconds) and the run is cut into windows:
the first minute, when 50 users log in and every cache is cold, against the rest. With
``--before-code DIR`` (a checkout of an older commit) each worker count runs that code
first, then this one, on the same store in the same session.

**Latency while an import runs** (``--import-rows N``, issue 16: p95 may rise by no more
than 2×). Each worker count then runs twice on fresh copies of the store with live intake
on (an intake token; with several workers a writer process publishes copies): *quiet*, the
mix alone, and *import*, the same mix with ``gridcmd import records`` of an N-case Parquet
file (``bench_ingest.make_table``: clean cases at points inside the store's grids) started
``--import-at`` seconds in. The CLI finds the store held by the server and uploads the
file to it; the writer loads it while the workers serve. The table compares the requests
begun while the import ran with those begun in the same seconds of the quiet run. With
``--writer-nice 0,10`` one import run is made per nice value of the writer process (the
setting ``writer_nice``), each against the same quiet run.

**Latency under steady intake** (``--intake-every S [--intake-rows 10]``): per worker count,
a quiet run and one in which a batch of new cases reaches live intake every S seconds
(one after another, as an adapter polling a source would send them). Every batch makes a
new store version, under which the workers compute every result again; the table
compares the two runs, whole and per request kind; ``--writer-nice 0,10`` makes one intake
run per nice value of the writer (labelled n0, n10).

Usage: python scripts/bench_load.py --store /tmp/serving300k.duckdb [--users 50]
       [--seconds 60] [--workers 1,2] [--refresh 30] [--before-code DIR] [--window 60]
       [--import-rows 1M --import-at 60 --writer-nice 0,10 --tmp DIR]
       [--intake-every 10 --intake-rows 10 --tmp DIR]
(needs ``pip install locust``; build the store first: python -m dashboard.cli demo
--store /tmp/serving300k.duckdb --incidents 300k)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_analysis import _last_day, _search  # noqa: E402
from bench_serve import free_port, start, stop, wait_up  # noqa: E402
from drill_chain import LEVELS, busiest_chain  # noqa: E402

from dashboard import create_app, ids, serving  # noqa: E402
from dashboard.auth.demo import demo_password, seed_demo_users  # noqa: E402
from dashboard.auth.store import AuthStore  # noqa: E402
from dashboard.settings import Settings  # noqa: E402

PAGES = ("cases", "timeliness", "satisfaction", "linkage", "hazards")
# the overview callbacks of one drill step (every one with the region store as an input,
# but playback's), by the component id of one of their outputs
OVERVIEW = {"map": ids.OVERVIEW_REGIONS_GEOJSON, "league": ids.OVERVIEW_LEAGUE_LIST,
            "panels": ids.OVERVIEW_CARDS_DIV, "risk": ids.OVERVIEW_RISK_DIV}
LIMITS = {"GRIDCMD_LOGIN_RATE_LIMIT": "100000/minute",
          "GRIDCMD_CALLBACK_RATE_LIMIT": "1000000/minute"}


def dash_body(app, output_id: str, values: dict) -> dict:
    """The body the renderer POSTs for the callback with an output ``output_id``: every
    input and state from the app's callback map, valued from ``values`` (by id) or None."""
    key = next(k for k in app.callback_map
               if any(p.rsplit(".", 1)[0] == output_id for p in k.strip(".").split("...")))
    spec = app.callback_map[key]
    outputs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(cid) if cid.startswith("{") else cid,
                        "property": prop})
    if not key.startswith(".."):
        outputs = outputs[0]

    def items(kind):
        return [{"id": d["id"], "property": d["property"],
                 "value": values.get(d["id"], 0 if d["property"] == "n_intervals" else None)}
                for d in spec[kind]]

    return {"output": key, "outputs": outputs, "inputs": items("inputs"),
            "state": items("state"), "changedPropIds": []}


def plan(store: Path, auth: Path, token: str, refresh: float) -> dict:
    app = create_app(Settings.load(store=store, demo_on_start=False, auth_db=str(auth)))
    chain = busiest_chain(store)
    last = _last_day(store)
    county = chain[1]
    own = ["?period=30d", _search("3y", last), "?period=month"]
    # the city analyst also narrows to the busiest county; the county analyst's own
    # jurisdiction narrows every page already
    searches = {"city_analyst": [*own, f"?period=30d&region={county}"],
                "county_analyst": own}
    analysis = {}
    for account, wanted in searches.items():
        for page in PAGES:
            for search in wanted:
                body = dash_body(app, ids.page_id(page, "total", "text"),
                                 {ids.FILTER_URL: search})
                body["changedPropIds"] = [f"{ids.FILTER_URL}.search"]
                analysis.setdefault(account, []).append((page, search, body))
    return {
        "levels": list(LEVELS),
        "overview": [{name: dash_body(app, out, {ids.OVERVIEW_REGION_STORE: code})
                      for name, out in OVERVIEW.items()} for code in chain],
        "analysis": analysis,
        "exports": {"city_analyst": ["?period=30d", f"?period=30d&region={county}"],
                    "county_analyst": ["?period=30d"]},
        "kiosk_token": token,
        "password": demo_password("city_leader"),
        "leader": "city_leader",
        "analysts": sorted(searches),
        "screen_refresh_seconds": refresh,
    }


def rss_mb(pid: int) -> tuple[float, float]:
    """VmRSS of ``pid`` and every process below it, in MB: the total and the largest one
    process (a worker)."""
    total, largest, todo, seen = 0, 0, [pid], set()
    while todo:
        p = todo.pop()
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    largest = max(largest, int(line.split()[1]))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(k) for k in (task / "children").read_text().split()
                         if int(k) not in seen]
        except OSError:
            continue
    return total / 1024, largest / 1024


def run_locust(base: str, plan_file: Path, users: int, seconds: int, out: Path
               ) -> tuple[list, np.ndarray]:
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "scripts" / "locustfile.py"),
           "--headless", "-u", str(users), "-r", str(max(1, users // 10)),
           "-t", f"{seconds}s", "--host", base, "--csv", str(out), "--only-summary",
           "--exit-code-on-error", "0", "--stop-timeout", "30"]
    log = Path(f"{out}_requests.tsv")
    subprocess.run(cmd, env={**os.environ, "LOAD_PLAN": str(plan_file), "LOAD_LOG": str(log)},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=seconds + 300)
    with open(f"{out}_stats.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    requests = np.loadtxt(log, delimiter="\t", usecols=(0, 2, 3), ndmin=2)
    origin = float(requests[:, 0].min()) if len(requests) else 0.0
    if len(requests):
        requests[:, 0] -= origin
    return rows, requests, origin


def windows(requests: np.ndarray, width: float) -> list[tuple[str, int, int, float, float]]:
    """(label, requests, failures, p50 ms, p95 ms) per ``width``-second window of the run
    by start time, then for everything after the first window."""
    out = []
    if not len(requests):
        return out
    end = requests[:, 0].max()
    spans = [(f"{a:.0f}–{a + width:.0f} s", a, a + width)
             for a in np.arange(0, end + 1e-9, width)]
    spans.append((f"after {width:.0f} s", width, np.inf))
    for label, a, b in spans:
        part = requests[(requests[:, 0] >= a) & (requests[:, 0] < b)]
        if len(part):
            p50, p95 = np.percentile(part[:, 1], [50, 95])
            out.append((label, len(part), int(part[:, 2].sum()), p50, p95))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/serving300k.duckdb"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", default="1,2", help="comma list of worker counts")
    parser.add_argument("--refresh", type=float, default=30.0,
                        help="a screen's refresh interval, seconds")
    parser.add_argument("--before-code", type=Path, default=None,
                        help="a checkout of older code, run first for each worker count")
    parser.add_argument("--before-store", type=Path, default=None,
                        help="the store the older code reads (a copy at its schema "
                             "version; default --store)")
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds per window of the per-window table")
    parser.add_argument("--import-rows", default=None,
                        help="also measure the mix while an import of this many cases runs "
                             "(1M, 300k ...): a quiet and an import run per worker count")
    parser.add_argument("--import-at", type=float, default=60.0,
                        help="seconds into the run at which the import starts")
    parser.add_argument("--writer-nice", default="",
                        help="with --import-rows or --intake-every: comma list of the "
                             "writer's nice values, one import or intake run each "
                             "(GRIDCMD_WRITER_NICE; default: the setting's)")
    parser.add_argument("--intake-every", type=float, default=0.0,
                        help="also measure the mix while live intake brings a batch of "
                             "--intake-rows new cases every this many seconds: a quiet and "
                             "an intake run per worker count")
    parser.add_argument("--intake-rows", type=int, default=10)
    parser.add_argument("--after-first", action="store_true",
                        help="with --intake-every and --before-code: this checkout's intake "
                             "run before the older code's (the later of two runs was the "
                             "slower in three runs of 2026-12-06 whichever code it ran)")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="folder for the store's copies of --import-rows (default: the "
                             "system's temporary folder)")
    args = parser.parse_args()
    if not args.store.is_file():
        raise SystemExit(f"no store {args.store}: build it with python -m dashboard.cli demo "
                         f"--store {args.store} --incidents 300k")
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    auth = tmp / "auth.sqlite"
    accounts = AuthStore(auth)
    seed_demo_users(accounts)
    token = accounts.create_token("screen")
    plan_file = tmp / "plan.json"
    plan_file.write_text(json.dumps(plan(args.store, auth, token, args.refresh)))
    if args.import_rows:
        import_runs(args, plan_file, auth, tmp)
        return
    if args.intake_every:
        intake_runs(args, plan_file, auth, tmp)
        return
    load0 = os.getloadavg()[0]
    results = []
    codes = [("before", args.before_code.resolve(), args.before_store or args.store)
             ] if args.before_code else []
    codes.append(("after" if codes else "this", ROOT, args.store))
    for n in [int(w) for w in args.workers.split(",")]:
        for label, code, store in codes:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = start("gunicorn", n, store, auth, port, LIMITS, code=code)
            try:
                wait_up(base, proc)
                rows, requests, _ = run_locust(base, plan_file, args.users, args.seconds,
                                               tmp / f"{label}-w{n}")
                results.append((label, n, rows, requests, rss_mb(proc.pid)))
            finally:
                stop(proc)
    print(f"store {args.store}, {args.users} users (screens 1 : leaders 2 : analysts 4), "
          f"{args.seconds} s per run, loopback HTTP, locust {_locust_version()}")
    print(f"load average before: {load0:.1f}, after: {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} cores)\n")
    for label, n, rows, requests, _ in results:
        print(f"{label} code, gunicorn, {n} worker(s)")
        head = f"{'request':34} {'n':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6}"
        print(head)
        print("-" * len(head))
        for r in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
            print(f"{r['Name'][:34]:34} {int(r['Request Count']):6d} "
                  f"{int(r['Failure Count']):5d} {_ms(r['50%']):>7} {_ms(r['95%']):>7} "
                  f"{float(r['Requests/s']):6.2f}")
        print()
        head = f"{'window (request start)':>24} {'n':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7}"
        print(head)
        print("-" * len(head))
        for w, count, fails, p50, p95 in windows(requests, args.window):
            print(f"{w:>24} {count:6d} {fails:5d} {p50:7.0f} {p95:7.0f}")
        print()
    head = (f"{'code':>6} {'workers':>7} {'requests':>8} {'failures':>8} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'p95 after ' + format(args.window, '.0f') + ' s':>16} "
            f"{'req/s':>6} {'vs 1st':>7} {'RSS MB':>7} {'largest':>8}")
    print(head)
    print("-" * len(head))
    first = {}
    for label, n, rows, requests, rss in results:
        total = next(r for r in rows if r["Name"] == "Aggregated")
        rps = float(total["Requests/s"])
        first.setdefault(label, rps)
        late = windows(requests, args.window)
        late = f"{late[-1][4]:.0f}" if late and late[-1][0].startswith("after") else "–"
        print(f"{label:>6} {n:7d} {int(total['Request Count']):8d} "
              f"{int(total['Failure Count']):8d} {_ms(total['50%']):>7} "
              f"{_ms(total['95%']):>7} {late:>16} {rps:6.2f} "
              f"{rps / first[label]:6.2f}× {rss[0]:7.0f} {rss[1]:8.0f}")


INTAKE_TOKEN = "bench-load-intake-" + "t" * 32


def _cases(text: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _variants(args, kind: str) -> list[tuple[int, str, int | None]]:
    """(workers, label, writer nice or None) of every run of an import or intake
    benchmark: per worker count a quiet run, then one ``kind`` run per ``--writer-nice``
    value (or one at the setting's)."""
    nices = [int(v) for v in args.writer_nice.split(",")] if args.writer_nice else [None]
    return [(n, label, nice) for n in [int(w) for w in args.workers.split(",")]
            for label, nice in [("quiet", None)] + [(kind, v) for v in nices]]


def _served_copy(args, work: Path, n: int, auth: Path, env: dict, nice: int | None,
                 code: Path = ROOT):
    """A fresh copy of the store in ``work`` and ``gridcmd serve --workers n`` of ``code``
    on it with live intake on (the writer at ``nice`` when given): (store, port, process)."""
    store = work / "store.duckdb"
    subprocess.run(["cp", "--reflink=auto", str(args.store), str(store)], check=True)
    port = free_port()
    proc = start("gunicorn", n, store, auth, port,
                 env if nice is None else {**env, "GRIDCMD_WRITER_NICE": str(nice)}, code=code)
    return store, port, proc


def _count_copies(store: Path, stop_watch, seen: list) -> None:
    """Append every new ``CURRENT`` of ``store``'s published copies until ``stop_watch``
    is set (looked at every 0.1 s): the store versions the workers had to open."""
    last = None
    while not stop_watch.wait(0.1):
        now = serving.current(store)  # the pointer is replaced atomically
        if now is not None and now != last:
            seen.append(now)
            last = now


def import_runs(args, plan_file: Path, auth: Path, tmp: Path) -> None:
    """The mix quiet and while an import runs, per worker count (``--import-rows``)."""
    import threading
    import time

    import pyarrow.parquet as pq
    from bench_ingest import make_table

    n_cases = _cases(args.import_rows)
    work = Path(tempfile.mkdtemp(prefix="bench-load-import-", dir=args.tmp))
    upload = work / f"import_{n_cases}.parquet"
    pq.write_table(make_table(args.store, n_cases), upload)
    env = {**LIMITS, "GRIDCMD_INTAKE_TOKEN": INTAKE_TOKEN}
    load0 = os.getloadavg()[0]
    results = []
    for n, label, nice in _variants(args, "import"):
        store, port, proc = _served_copy(args, work, n, auth, env, nice)
        base = f"http://127.0.0.1:{port}"
        span, outcome = {}, {}

        def load_file(port=port, store=store, span=span, outcome=outcome):
            time.sleep(args.import_at)
            span["start"] = time.time()
            done = subprocess.run(
                [sys.executable, "-m", "dashboard.cli", "import", "records", "--kind",
                 "incidents", "--store", str(store), str(upload)],
                capture_output=True, text=True, cwd=ROOT,
                env={**os.environ, "GRIDCMD_INTAKE_TOKEN": INTAKE_TOKEN,
                     "GRIDCMD_HOST": "127.0.0.1", "GRIDCMD_PORT": str(port)})
            span["end"] = time.time()
            outcome["code"] = done.returncode
            outcome["last"] = (done.stdout.strip().splitlines() or [""])[-1][:120] \
                if done.returncode == 0 else done.stderr.strip()[-300:]

        try:
            wait_up(base, proc)
            loader = threading.Thread(target=load_file) if label == "import" else None
            if loader:
                loader.start()
            rows, requests, origin = run_locust(base, plan_file, args.users, args.seconds,
                                                tmp / f"{label}-w{n}-n{nice}")
            if loader:
                loader.join()
            results.append((label, n, rows, requests, origin, dict(span), dict(outcome),
                            rss_mb(proc.pid), nice))
        finally:
            stop(proc)
            for f in work.glob("store.duckdb*"):
                shutil.rmtree(f) if f.is_dir() else f.unlink()
    upload.unlink()
    print(f"store {args.store}, {args.users} users, {args.seconds} s per run, live intake on; "
          f"import of {n_cases:,} cases (Parquet) through the server started "
          f"{args.import_at:.0f} s in; locust {_locust_version()}")
    print(f"load average before: {load0:.1f}, after: {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} cores)\n")
    head = (f"{'workers':>7} {'nice':>5} {'import s':>9} {'quiet n':>8} {'p50':>6} {'p95':>6} "
            f"{'import n':>9} {'p50':>6} {'p95':>6} {'p95 ×':>6} {'fail':>5}  import outcome")
    print(head + "\n" + "-" * len(head))
    after = []  # (workers, nice, the after-import cells, whole-run p95 quiet and import)
    for n, loud in [(r[1], r) for r in results if r[0] == "import"]:
        quiet = next(r for r in results if r[0] == "quiet" and r[1] == n)
        span, outcome = loud[5], loud[6]
        nice = "set" if loud[8] is None else str(loud[8])  # the writer's nice value
        if "end" not in span:
            print(f"{n:7d} {nice:>5} the import did not run: {outcome}")
            continue
        # the import's span in each run's own seconds (locust's users start alike)
        a = span["start"] - loud[4]
        b = min(span["end"] - loud[4], float(args.seconds))
        during = loud[3][(loud[3][:, 0] >= a) & (loud[3][:, 0] < b)]
        same = quiet[3][(quiet[3][:, 0] >= a) & (quiet[3][:, 0] < b)]
        cells = [_p50_p95(same), _p50_p95(during)]
        ratio = cells[1][2] / cells[0][2] if cells[0][2] else np.nan
        # what follows the answer: every worker on the new copy with every cache cold, and
        # the background rescoring of the store's open cases
        after.append((n, nice, [_p50_p95(r[3][r[3][:, 0] >= b]) for r in (quiet, loud)],
                      [np.percentile(r[3][:, 1], 95) for r in (quiet, loud)]))
        cut = "" if span["end"] - loud[4] <= args.seconds else " (import outlived the run)"
        print(f"{n:7d} {nice:>5} {span['end'] - span['start']:9.1f} {cells[0][0]:8d} "
              f"{cells[0][1]:6.0f} "
              f"{cells[0][2]:6.0f} {cells[1][0]:9d} {cells[1][1]:6.0f} {cells[1][2]:6.0f} "
              f"{ratio:5.2f}× {int(during[:, 2].sum()) if len(during) else 0:5d}  "
              f"exit {outcome['code']}: {outcome['last']}{cut}")
    print("\np50/p95 in ms of the requests begun while the import ran (import) and in the "
          "same seconds of the quiet run; p95 × = import p95 / quiet p95 (target ≤ 2); nice: "
          "the intake writer's (GRIDCMD_WRITER_NICE, 'set': the setting's).\n")
    head = (f"{'workers':>7} {'nice':>5} {'quiet n':>8} {'p50':>6} {'p95':>6} {'import n':>9} "
            f"{'p50':>6} {'p95':>6} {'p95 ×':>6}   {'whole run p95: quiet':>20} {'import':>7}")
    print(head + "\n" + "-" * len(head))
    for n, nice, (q, i), (whole_q, whole_i) in after:
        ratio = i[2] / q[2] if q[2] else np.nan
        print(f"{n:7d} {nice:>5} {q[0]:8d} {q[1]:6.0f} {q[2]:6.0f} {i[0]:9d} {i[1]:6.0f} "
              f"{i[2]:6.0f} {ratio:5.2f}×   {whole_q:20.0f} {whole_i:7.0f}")
    print("\nafter the import: the requests begun from the import's answer to the end of the "
          "run, and in the same seconds of the quiet run (the new copy opened by every "
          "worker, every cache cold, the rescoring of the open cases); whole run: every "
          "request of each run.")


def _p50_p95(part: np.ndarray) -> tuple[int, float, float]:
    """(requests, p50 ms, p95 ms) of a request log's rows."""
    p50, p95 = np.percentile(part[:, 1], [50, 95]) if len(part) else (np.nan,) * 2
    return len(part), p50, p95


def intake_runs(args, plan_file: Path, auth: Path, tmp: Path) -> None:
    """The mix quiet and while live intake brings a batch every ``--intake-every`` seconds,
    per worker count (``--intake-every``): every batch makes a new store version, under
    which every cached result and page value is computed again."""
    import random
    import threading
    import time

    import duckdb
    import requests as http
    from bench_open_items import intake_rows

    work = Path(tempfile.mkdtemp(prefix="bench-load-intake-", dir=args.tmp))
    env = {**LIMITS, "GRIDCMD_INTAKE_TOKEN": INTAKE_TOKEN}
    load0 = os.getloadavg()[0]
    results = []
    runs = []
    for n, label, nice in _variants(args, "intake"):
        if nice is not None:
            label = f"n{nice}"  # an intake run with the writer at this nice value
        if label != "quiet" and args.before_code:  # each intake run of both codes
            pair = [(n, "b-" + label, nice, args.before_code.resolve()),
                    (n, "a-" + label, nice, ROOT)]
            runs.extend(pair[::-1] if args.after_first else pair)
            continue
        runs.append((n, label, nice, ROOT))
    for n, label, nice, code in runs:
        rng = random.Random(11)
        with duckdb.connect(str(args.store), read_only=True) as con:
            batches = [intake_rows(con, args.intake_rows, f"L{n}{k:04d}", rng)
                       for k in range(int(args.seconds // args.intake_every) + 1)]
        store, port, proc = _served_copy(args, work, n, auth, env, nice, code)
        base = f"http://127.0.0.1:{port}"
        answers, stop_feed, copies = [], threading.Event(), []

        def feed(base=base, batches=batches, answers=answers, stop_feed=stop_feed):
            for batch in batches:
                if stop_feed.wait(args.intake_every):
                    return
                began = time.perf_counter()
                resp = http.post(f"{base}/api/intake/incidents", json=batch, timeout=600,
                                 headers={"Authorization": f"Bearer {INTAKE_TOKEN}"})
                answers.append(((time.perf_counter() - began) * 1000,
                                resp.status_code))

        try:
            wait_up(base, proc)
            feeder = threading.Thread(target=feed) if label != "quiet" else None
            watch = threading.Thread(target=_count_copies, args=(store, stop_feed, copies))
            watch.start()
            if feeder:
                feeder.start()
            rows, requests, origin = run_locust(base, plan_file, args.users, args.seconds,
                                                tmp / f"{label}-w{n}")
            stop_feed.set()
            watch.join()
            if feeder:
                feeder.join()
            kinds = np.loadtxt(f"{tmp / f'{label}-w{n}'}_requests.tsv", delimiter="\t",
                               usecols=(1,), dtype=str, ndmin=1)
            results.append((label, n, rows, requests, kinds, list(answers),
                            len(copies) - 1))
        finally:
            stop(proc)
            for f in work.glob("store.duckdb*"):
                shutil.rmtree(f) if f.is_dir() else f.unlink()
    print(f"store {args.store}, {args.users} users, {args.seconds} s per run, live intake on; "
          f"intake run: a batch of {args.intake_rows} new cases every {args.intake_every:g} s "
          f"(POST /api/intake/incidents, one after another); locust {_locust_version()}")
    print(f"load average before: {load0:.1f}, after: {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} cores)")
    if args.before_code:
        print(f"b-: code {args.before_code.resolve()}; a-: code {ROOT}; quiet: code {ROOT}")
    print()
    head = (f"{'workers':>7} {'run':>6} {'requests':>8} {'fail':>5} {'p50':>6} {'p95':>6} "
            f"{'p95 <' + format(args.window, '.0f') + ' s':>9} "
            f"{'p95 >' + format(args.window, '.0f') + ' s':>9} {'batches':>7} "
            f"{'answer p50':>10} {'p95':>6} {'copies':>6}")
    print(head + "\n" + "-" * len(head))
    for label, n, _, requests, _, answers, published in results:
        ms, early = requests[:, 1], requests[:, 0] < args.window
        cells = [np.percentile(part, 95) if len(part) else np.nan
                 for part in (ms[early], ms[~early])]
        took = np.array([a for a, status in answers if status == 200])
        sent = f"{len(took)}/{len(answers)}" if answers else "–"
        p = (f"{np.percentile(took, 50):10.0f} {np.percentile(took, 95):6.0f}"
             if len(took) else f"{'–':>10} {'–':>6}")
        print(f"{n:7d} {label:>6} {len(requests):8d} {int(requests[:, 2].sum()):5d} "
              f"{np.percentile(ms, 50):6.0f} {np.percentile(ms, 95):6.0f} {cells[0]:9.0f} "
              f"{cells[1]:9.0f} {sent:>7} {p} {published:6d}")
    print(f"\nms; p95 <{args.window:.0f} s / >{args.window:.0f} s: requests begun in the first "
          f"{args.window:.0f} s of the run / after; batches: answered 200 / sent; answer: "
          "from sending a batch to its answer (written and published); copies: store "
          "versions published during the mix (each one opened by every worker).\n")
    # per request kind, after the first window: which requests the new versions slow
    names = sorted({k for r in results for k in r[4]})
    head = f"{'request (after ' + format(args.window, '.0f') + ' s)':34}" + "".join(
        f" {r[0] + ' w' + str(r[1]):>14}" for r in results)
    print(head + "\n" + "-" * len(head))
    for name in names:
        cells = []
        for r in results:
            part = r[3][(r[4] == name) & (r[3][:, 0] >= args.window), 1]
            cells.append(f"{len(part):4d} {np.percentile(part, 95):6.0f} ms" if len(part)
                         else f"{'–':>14}")
        print(f"{name[:34]:34}" + "".join(f" {c:>14}" for c in cells))
    print("\nper kind: requests and p95 after the first window.")


def _ms(value: str) -> str:
    return "–" if value in ("N/A", "") else f"{float(value):.0f}"


def _locust_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("locust")


if __name__ == "__main__":
    main()
