"""Benchmark: the grid worker's first view on a weak connection (issue 17: ≤ 300 KB, ≤ 3 s).

Headless Chromium (selenium, chromium-driver) loads a page with Chrome's network emulation
(``Network.emulateNetworkConditions``: 1.5 Mbps down and up, 300 ms latency by default) and
the browser cache disabled, so every load is a first view. Per page and load it records:

* **bytes**: what went over the wire for the page: the document's and every resource's
  ``transferSize`` (Resource Timing: compressed body plus headers), callbacks included,
  up to the moment the page is ready;
* **ready**: milliseconds from navigation start until the page shows its content (我的网格:
  the document, its stylesheet and script loaded (the load event), the task counters are
  in the HTML; the Dash overview: its KPI cards carry values);
* **dash KB**: the part of the bytes that is Dash's and its components' JavaScript
  (``/_dash-component-suites/``), which any Dash page transfers before it shows anything.

Pages (each served by its own process on 127.0.0.1, logged in as the demo ``grid_worker``
before the throttling starts):

* ``mygrid``: ``/mygrid`` of this checkout (server-rendered HTML, docs/mygrid.md);
* ``overview``: ``/`` of this checkout (the Dash overview, scoped to the grid);
* ``overview@before``: ``/`` of ``--before-code`` (default ``/work/main``): what a grid
  worker landed on before this page existed, the baseline.

It prints p50/p95 per page, whether the goal is met, and the five largest transfers of the
last load of each page (what dominates the weight).

Usage: python scripts/bench_mygrid.py --store /tmp/demo.duckdb [--repeat 5]
       [--before-code /work/main] [--latency 300] [--mbps 1.5]
The store is opened read-only; the accounts are a temporary database with the demo users.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
GOAL_KB, GOAL_MS = 300, 3000
USER = "grid_worker"
READY = {  # JavaScript that is true once the page shows its content
    "mygrid": "return document.readyState === 'complete'"
              " && !!document.querySelector('#mg-cases summary b[data-count]')",
    "overview": "return [...document.querySelectorAll('.gc-kpi')]"
                ".some(e => (e.dataset.value || '') !== '')",
}


def _serve(store: str, auth_db: str, port: int) -> None:
    """The server process: this checkout's (or PYTHONPATH's) app on 127.0.0.1:port."""
    from werkzeug.serving import make_server

    from dashboard import create_app
    from dashboard.settings import Settings

    app = create_app(Settings.load(store=store, demo_on_start=False, auth_db=auth_db))
    make_server("127.0.0.1", port, app.server, threaded=True).serve_forever()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(code: Path, store: str, auth_db: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.Popen([sys.executable, __file__, "--serve", store, auth_db, str(port)],
                            env=env, cwd=str(code), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"the server of {code} exited ({proc.returncode})")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"the server of {code} did not come up")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=390,844"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    return drv


def login(drv, base: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    drv.execute_cdp_cmd("Network.emulateNetworkConditions",
                        {"offline": False, "latency": 0, "downloadThroughput": -1,
                         "uploadThroughput": -1})
    drv.delete_all_cookies()
    drv.get(base + "/login")
    drv.find_element(By.ID, "username").send_keys(USER)
    drv.find_element(By.ID, "password").send_keys(password)
    drv.find_element(By.ID, "login-submit").click()
    end = time.monotonic() + 30
    while "/login" in drv.current_url and time.monotonic() < end:
        time.sleep(0.1)


def load(drv, url: str, ready_js: str, latency: float, mbps: float,
         timeout: float = 90) -> tuple[int, float, list[tuple[int, str]]]:
    """One throttled cold load: (bytes, ready ms, [(bytes, url)] largest first)."""
    drv.get("about:blank")
    drv.execute_cdp_cmd("Network.enable", {})
    drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    rate = mbps * 1_000_000 / 8
    drv.execute_cdp_cmd("Network.emulateNetworkConditions",
                        {"offline": False, "latency": latency, "downloadThroughput": rate,
                         "uploadThroughput": rate})
    drv.get(url)
    end = time.monotonic() + timeout
    ready = None
    while time.monotonic() < end:
        if drv.execute_script(ready_js):
            ready = drv.execute_script("return performance.now()")
            break
        time.sleep(0.03)
    if ready is None:
        raise RuntimeError(f"{url} was not ready within {timeout} s")
    entries = drv.execute_script("""
        const nav = performance.getEntriesByType('navigation')[0];
        const cut = arguments[0];
        return [[nav.transferSize, nav.name]].concat(
            performance.getEntriesByType('resource')
              .filter(r => r.startTime <= cut)
              .map(r => [r.transferSize, r.name]));""", ready)
    total = sum(int(size) for size, _ in entries)
    return total, float(ready), sorted(((int(s), u) for s, u in entries), reverse=True)


def pct(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        _serve(*sys.argv[2:4], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, help="a demo store (opened read-only)")
    parser.add_argument("--repeat", type=int, default=5, help="loads per page")
    parser.add_argument("--before-code", type=Path, default=Path("/work/main"),
                        help="the checkout of the baseline ('' to skip)")
    parser.add_argument("--latency", type=float, default=300.0, help="ms each way")
    parser.add_argument("--mbps", type=float, default=1.5)
    args = parser.parse_args()
    if not HERE.joinpath("dashboard").is_dir():
        raise SystemExit("run from a checkout")
    sys.path.insert(0, str(HERE))
    from dashboard.auth.demo import demo_password, seed_demo_users
    from dashboard.auth.store import AuthStore

    tmp = Path(tempfile.mkdtemp(prefix="bench_mygrid-"))
    auth_db = str(tmp / "auth.sqlite")
    seed_demo_users(AuthStore(auth_db))
    pages = [("mygrid", HERE, "/mygrid", "mygrid"), ("overview", HERE, "/", "overview")]
    if str(args.before_code) not in ("", "."):
        pages.append(("overview@before", args.before_code, "/", "overview"))
    servers = {}
    results: dict[str, list[tuple[int, float]]] = {name: [] for name, *_ in pages}
    largest = {}
    drv = browser()
    try:
        for _name, code, _path, _kind in pages:
            if code not in servers:
                servers[code] = start(code, str(args.store), auth_db)
        # alternate the pages load by load, so all see the machine's load alike
        for _ in range(args.repeat):
            for name, code, path, kind in pages:
                _proc, base = servers[code]
                login(drv, base, demo_password(USER))
                total, ready, top = load(drv, base + path, READY[kind], args.latency,
                                         args.mbps)
                results[name].append((total, ready))
                largest[name] = top
    finally:
        drv.quit()
        for proc, _ in servers.values():
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nfirst view (cache disabled) at {args.mbps} Mbps / {args.latency:.0f} ms, "
          f"{args.repeat} loads each, phone 390×844; store {args.store}")
    print(f"{'page':<17}{'KB p50':>9}{'KB p95':>9}{'dash KB':>9}{'ready ms p50':>14}"
          f"{'p95':>8}{'goal ≤300KB ≤3s':>17}")
    for name, *_ in pages:
        kb = [b / 1024 for b, _ in results[name]]
        ms = [r for _, r in results[name]]
        dash = sum(size for size, url in largest[name] if "/_dash-component-suites/" in url)
        ok = pct(kb, 0.95) <= GOAL_KB and pct(ms, 0.95) <= GOAL_MS
        print(f"{name:<17}{pct(kb, .5):>9.1f}{pct(kb, .95):>9.1f}{dash / 1024:>9.1f}"
              f"{pct(ms, .5):>14.0f}{pct(ms, .95):>8.0f}{'yes' if ok else 'no':>17}")
    for name, *_ in pages:
        print(f"\nlargest transfers, {name} (last load):")
        for size, url in largest[name][:6]:
            print(f"  {size / 1024:>8.1f} KB  {url.split('?')[0][-90:]}")


if __name__ == "__main__":
    main()
