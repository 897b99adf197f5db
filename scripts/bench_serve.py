"""Benchmark: requests/s and latency of the overview panels callback over real HTTP, by
server: today's single process (Werkzeug, threads) against gunicorn with 1 and 2 workers.

Each configuration is started as its own server on loopback with the same store and
accounts, warmed with a few requests, then driven for ``--seconds`` by ``--users`` threads
(each a logged-in city leader, no think time) POSTing the overview's panels callback
(``/_dash-update-component``, as the renderer does) for the towns and villages of the store
in a shuffled cycle, so most requests compute (the page memo and the result cache key on
the region) rather than hit a cache. It prints one table, the baseline first, and stops
every server it started.

Usage: python scripts/bench_serve.py [--store /tmp/serving300k.duckdb] [--users 1,4]
       [--seconds 20]
(build the store first: python -m dashboard.cli demo --store /tmp/serving300k.duckdb
--incidents 300k)
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import requests

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))

from dashboard import create_app, ids  # noqa: E402
from dashboard.auth.demo import demo_password, seed_demo_users  # noqa: E402
from dashboard.auth.store import AuthStore  # noqa: E402
from dashboard.settings import Settings  # noqa: E402

BASELINE = """
from dashboard.factory import create_app
from dashboard.cli import _quiet_handler
app = create_app()
s = app.server.config["GRIDCMD_SETTINGS"]
print("ready", flush=True)
app.run(host=s.host, port=s.port, threaded=True, request_handler=_quiet_handler())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind: str, workers: int, store: Path, auth: Path, port: int,
          extra: dict, code: Path = ROOT, log: Path | None = None) -> subprocess.Popen:
    """Start a server on ``store`` (``code``: the checkout it runs, this one by default;
    its output goes to ``log`` if given)."""
    env = {**os.environ, **extra, "PYTHONPATH": str(code), "GRIDCMD_STORE": str(store),
           "GRIDCMD_AUTH_DB": str(auth), "GRIDCMD_PORT": str(port),
           "GRIDCMD_HOST": "127.0.0.1", "GRIDCMD_DEMO_ON_START": "false",
           "GRIDCMD_COOKIE_SECURE": "false", "GRIDCMD_QUERY_TIMEOUT_SECONDS": "120"}
    if kind == "werkzeug":
        cmd = [sys.executable, "-c", BASELINE]
    else:
        cmd = [sys.executable, "-m", "dashboard.cli", "serve", "--workers", str(workers)]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (the child's)
    return subprocess.Popen(cmd, env=env, cwd=code, stdout=out, stderr=subprocess.STDOUT)


def wait_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not start within 180 s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server :func:`start` started (SIGTERM, then SIGKILL after 30 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def login(base: str) -> requests.Session:
    s = requests.Session()
    form = s.get(base + "/login", timeout=30).text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = s.post(base + "/login", data={"username": "city_leader",
                                      "password": demo_password("city_leader"),
                                      "csrf_token": token, "next": "/"},
               headers={"Origin": base}, allow_redirects=False, timeout=30)
    if r.status_code != 303:
        raise SystemExit(f"login failed: {r.status_code}")
    return s


def panels_body(app, region: str) -> dict:
    key = next(k for k in app.callback_map if ids.OVERVIEW_CARDS_DIV in k)
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in key.strip(".").split("...")]
    inputs = [{"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
              {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
              {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
              {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0}]
    return {"output": key, "outputs": outputs, "inputs": inputs, "changedPropIds": [],
            "state": []}


def drive(base: str, bodies: list[dict], users: int, seconds: float) -> dict:
    sessions = [login(base) for _ in range(users)]
    times, errors, lock = [], [0], threading.Lock()
    cycle = iter(range(10**9))
    stop = time.monotonic() + seconds

    def user(s: requests.Session):
        while time.monotonic() < stop:
            with lock:
                body = bodies[next(cycle) % len(bodies)]
            t0 = time.perf_counter()
            try:
                r = s.post(base + "/_dash-update-component", json=body,
                           headers={"Origin": base}, timeout=120)
                ok = r.status_code == 200
            except requests.RequestException:
                ok = False
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                if ok:
                    times.append(dt)
                else:
                    errors[0] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=user, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    times.sort()

    def pct(q):
        return times[min(len(times) - 1, int(q / 100 * len(times)))] if times else float("nan")

    return {"rps": len(times) / wall, "p50": pct(50), "p95": pct(95), "n": len(times),
            "errors": errors[0], "mean": statistics.fmean(times) if times else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/serving300k.duckdb"))
    parser.add_argument("--users", default="1,4", help="comma list of concurrent users")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not args.store.is_file():
        raise SystemExit(f"no store {args.store}: build it with python -m dashboard.cli demo "
                         f"--store {args.store} --incidents 300k")
    users = [int(u) for u in args.users.split(",")]
    load0 = f"{os.getloadavg()[0]:.1f}"
    auth = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    app = create_app(Settings.load(store=args.store, demo_on_start=False, auth_db=str(auth)))
    with duckdb.connect(str(args.store), read_only=True) as con:
        regions = [r[0] for r in con.execute(
            "SELECT code FROM regions WHERE level IN ('town', 'village') ORDER BY code")
            .fetchall()]
    random.Random(1).shuffle(regions)
    bodies = [panels_body(app, r) for r in regions]
    configs = [("werkzeug, 1 process (today)", "werkzeug", 1, {}),
               ("gunicorn, 1 worker", "gunicorn", 1, {}),
               ("gunicorn, 2 workers", "gunicorn", 2, {}),
               ("gunicorn, 2 workers, duckdb 1 thr", "gunicorn", 2,
                {"GRIDCMD_DUCKDB_THREADS": "1"})]
    rows = []
    for label, kind, workers, extra in configs:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start(kind, workers, args.store, auth, port, extra)
        try:
            wait_up(base, proc)
            drive(base, bodies[:4], 1, 3.0)  # open the store, import the pages
            for n in users:
                got = drive(base, bodies, n, args.seconds)
                rows.append((label, n, got))
                print(f"  {label}, {n} users: {got['rps']:.2f} req/s", file=sys.stderr)
        finally:
            stop(proc)
    print(f"store {args.store} ({len(regions)} towns and villages in a cycle), "
          f"{args.seconds:.0f} s per row, overview panels callback over loopback HTTP\n")
    print(f"load average before the run: {load0}, after: {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} cores)\n")
    head = (f"{'server':34} {'users':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'n':>6} {'errors':>6} {'vs today':>9}")
    print(head)
    print("-" * len(head))
    base_rps = {n: got["rps"] for label, n, got in rows if label.startswith("werkzeug")}
    for label, n, got in rows:
        print(f"{label:34} {n:5d} {got['rps']:7.2f} {got['p50']:8.0f} {got['p95']:8.0f} "
              f"{got['n']:6d} {got['errors']:6d} {got['rps'] / base_rps[n]:8.2f}×")


if __name__ == "__main__":
    main()
