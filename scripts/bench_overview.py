"""Benchmark: overview drill-down in headless Chromium on the default demo store.

Serves the app on the configured store (the default demo, built first if missing), opens
the overview at 1920×1080 and drills city → county → town → village → grid by clicking the
map, several times. For each step it prints how long the next level took to render (from
the click until every polygon label of the new level is on screen) and the size of every
response the step caused, as the browser received it (``transferSize``: compressed bytes
plus headers), then climbs back to the city by the breadcrumb.

A second table splits the map's time on the page's own clock (a wrapper of ``fetch``
records every callback request and URL load): the wait until the map callback leaves the
browser, its round trip (server), and the browser's work after its answer (geometry from
the cache or the network, parse, Leaflet drawing the layer and labels).

Goals (issue 4): a drill-down renders in ≤ 1 s; every response to a map interaction is
≤ 100 KB gzipped; issue 18: p95 ≤ 1 s at every level on a 10M store. A table, not a timed
test: numbers depend on the machine.

It logs in as the demo city leader (``--user``/``--password`` for another account).

Usage: python scripts/bench_overview.py [--repeat 5] [--store PATH] [--user NAME]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import duckdb
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drill_chain import busiest_chain  # noqa: E402

from dashboard import create_app  # noqa: E402
from dashboard.settings import Settings  # noqa: E402

LEVELS = ("county", "town", "village", "grid")


def drill_path(store: Path) -> list[tuple[str, str, set[str]]]:
    """(code, name, names of the next level's units) along the busiest chain of the city
    (``scripts/drill_chain.py``, the chain ``bench_drill.py`` measures too)."""
    codes = busiest_chain(store)[1:]
    village = codes[2]
    con = duckdb.connect(str(store), read_only=True)
    try:
        out = []
        for code in codes:
            table = "grids" if len(code) == 15 else "regions"
            name = con.execute(f"SELECT name FROM {table} WHERE code = ?", [code]).fetchone()[0]
            parent = code if len(code) < 15 else village
            names = {r[0] for r in con.execute(
                "SELECT name FROM regions WHERE parent_code = ? UNION ALL "
                "SELECT name FROM grids WHERE village_code = ?", [parent, parent]).fetchall()}
            out.append((code, name, names))
        city = {r[0] for r in con.execute(
            "SELECT name FROM regions WHERE level = 'county'").fetchall()}
        return [("", "city", city), *out]
    finally:
        con.close()


def labels(drv) -> set[str]:
    return set(drv.execute_script(
        "return [...document.querySelectorAll('.gc-region-label .gc-label-name')]"
        ".map(e => e.textContent);"))


def title(drv) -> str:
    return drv.find_element(By.ID, "overview-title-text").text


TRACE = """
// Record every fetch of the page (Dash callbacks, geometry, points) on the page's own
// clock: which callback a POST was (its first output), when it left and when its body was
// read, so a drill's time splits into server round trips and the browser's own work.
window.__gcFetches = [];
const realFetch = window.fetch;
window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input.url;
    let what = url.replace(/^https?:\\/\\/[^/]+/, "").split("?")[0];
    if (init && typeof init.body === "string" && url.indexOf("_dash-update-component") >= 0) {
        try { what = "cb:" + JSON.parse(init.body).output.replace(/^\\.\\./, "").split(".")[0]; }
        catch (e) { /* keep the path */ }
    }
    const rec = {what: what, start: performance.now(), end: null};
    window.__gcFetches.push(rec);
    return realFetch.apply(this, arguments).then(r => {
        const done = () => { rec.end = performance.now(); };
        r.clone().arrayBuffer().then(done, done);
        return r;
    });
};
"""

WATCH = """
// Time a drill in the page itself: from the click event to the first animation frame in
// which every label of the next level is drawn and the title names the new region.
window.__gcBench = {click: null, done: null};
document.addEventListener("click", e => {
    if (window.__gcBench.click === null) { window.__gcBench.click = e.timeStamp; }
}, true);
const names = new Set(arguments[0]);
const title = arguments[1];
function check() {
    const got = [...document.querySelectorAll('.gc-region-label .gc-label-name')]
        .map(e => e.textContent);
    const head = document.getElementById('overview-title-text').textContent;
    if (got.length === names.size && got.every(n => names.has(n)) && head.startsWith(title)) {
        window.__gcBench.done = performance.now();
    } else {
        requestAnimationFrame(check);
    }
}
requestAnimationFrame(check);
"""


def in_page_ms(drv, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        got = drv.execute_script("return window.__gcBench;")
        if got and got["done"] is not None and got["click"] is not None:
            return got["done"] - got["click"]
        time.sleep(0.02)
    raise TimeoutError("drill did not finish")


def wait_for(drv, names: set[str], name: str, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if labels(drv) == names and (name == "city" or title(drv).startswith(name)):
            return time.perf_counter() - start
        time.sleep(0.01)
    raise TimeoutError(f"level {name} did not render in {timeout} s")


def wait_cards(drv, region: str, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        got = drv.execute_script(
            "return [...document.querySelectorAll('.gc-kpi')].map(e => e.dataset.region);")
        if got and all(r == region for r in got):
            return time.perf_counter() - start
        time.sleep(0.01)
    raise TimeoutError(f"cards of {region} did not arrive in {timeout} s")


def short(code: str) -> str:
    if len(code) == 15:
        return code
    for n in (4, 6, 9):
        if code[n:] == "0" * (12 - n):
            return code[:n]
    return code


def breakdown(drv) -> dict[str, float]:
    """The last drill split on the page's clock (ms): ``wait`` click → the map callback's
    request leaves (clientside navigation, renderer), ``server`` its round trip (the
    server's time plus transfer; the panels and league calls run beside it), ``draw`` its
    answer → every label drawn (geometry fetch or cache, parse, Leaflet), and the round
    trips of the panels and league callbacks."""
    bench, fetches = drv.execute_script("return [window.__gcBench, window.__gcFetches];")
    click, done = bench["click"], bench["done"]
    mine = [f for f in fetches if f["start"] >= click - 1 and f["end"] is not None]

    def first(prefix):
        return next((f for f in mine if f["what"].startswith(prefix)), None)

    out = {}
    view = first("cb:overview-regions-geojson")
    if view:
        out.update(wait=view["start"] - click, server=view["end"] - view["start"],
                   draw=done - view["end"])
    geo = first("/geo/")  # the next layer's outlines (the click's prefetch or the layer's)
    if geo and view:  # ready this long after the map's answer (< 0: before it)
        out["geo"] = geo["end"] - view["end"]
    for key, prefix in (("panels", "cb:overview-cards-div"),
                        ("league", "cb:overview-league-title")):
        call = first(prefix)
        if call:
            out[key] = call["end"] - call["start"]
    return out


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def entries(drv, since: int) -> list[dict]:
    return drv.execute_script(
        "return performance.getEntriesByType('resource').slice(arguments[0])"
        ".map(e => ({name: e.name, size: e.transferSize, body: e.decodedBodySize}));", since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--user", default="city_leader")
    parser.add_argument("--password", help="default: the demo password")
    args = parser.parse_args()
    settings = Settings.load(store=args.store)
    app = create_app(settings)  # builds the default demo on first use
    steps = drill_path(settings.store)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    drv.execute_cdp_cmd("Performance.enable", {})
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TRACE})
    drv.execute_script("performance.setResourceTimingBufferSize(100000);")
    times: dict[str, list[float]] = {level: [] for level in LEVELS}
    sizes: dict[str, list[int]] = {level: [] for level in LEVELS}
    counts: dict[str, list[int]] = {level: [] for level in LEVELS}
    panels: dict[str, list[float]] = {level: [] for level in LEVELS}
    parts: dict[str, list[dict]] = {level: [] for level in LEVELS}
    try:
        drv.get(url + "login")
        drv.find_element(By.ID, "username").send_keys(args.user)
        drv.find_element(By.ID, "password").send_keys(args.password or "Nantong@2023")
        drv.find_element(By.ID, "login-submit").click()
        time.sleep(1.0)
        if "/login" in drv.current_url:
            raise SystemExit(f"login as {args.user} failed")
        drv.get(url)
        drv.execute_script("performance.setResourceTimingBufferSize(100000);")
        wait_for(drv, steps[0][2], "city", timeout=120)
        time.sleep(1.0)
        for _ in range(args.repeat):
            for level, (code, name, names) in zip(LEVELS, steps[1:], strict=True):
                before = len(entries(drv, 0))
                label = drv.find_element(
                    By.XPATH, "//div[contains(@class,'gc-region-label')]"
                              f"[.//div[@class='gc-label-name' and text()='{name}']]")
                drv.execute_script(WATCH, sorted(names), name)
                ActionChains(drv).move_to_element(label).click().perform()
                clicked = time.perf_counter()
                wait_for(drv, names, name)
                times[level].append(in_page_ms(drv) / 1000)
                parts[level].append(breakdown(drv))
                wait_cards(drv, short(code))
                panels[level].append(time.perf_counter() - clicked)
                time.sleep(0.8)  # let late responses (panels, points) land before counting
                new = entries(drv, before)
                sizes[level].append(max((e["size"] for e in new), default=0))
                counts[level].append(len(new))
            drv.find_elements(By.CSS_SELECTOR, ".gc-crumb")[0].click()
            wait_for(drv, steps[0][2], "city")
            time.sleep(0.5)
    finally:
        drv.quit()
        server.shutdown()

    print(f"store: {settings.store}  repeats: {args.repeat}  screen: 1920×1080")
    print("map ms: click event → first frame with every label of the next level drawn "
          "(measured in the page); cards ms: click → KPI cards of the new region (from the "
          "test driver, includes its polling)")
    print(f"{'drill to':<10}{'units':>7}{'map p50':>9}{'map p95':>9}"
          f"{'cards p50':>11}{'requests':>10}{'largest KB':>12}")
    for level, (_code, _name, names) in zip(LEVELS, steps[1:], strict=True):
        ms = [1000 * t for t in times[level]]
        cards = [1000 * t for t in panels[level]]
        print(f"{level:<10}{len(names):>7}{statistics.median(ms):>9.0f}{pct(ms, 0.95):>9.0f}"
              f"{statistics.median(cards):>11.0f}"
              f"{statistics.median(counts[level]):>10.0f}{max(sizes[level]) / 1024:>12.1f}")
    print()
    print("the map's time split (p50 ms, page clock): wait = click → map callback sent, "
          "server = its round trip, draw = its answer → labels drawn; geo = outlines loaded, "
          "relative to that answer (negative: before it); panels and league = "
          "their round trips, which run beside it and compete for the server")
    keys = ("wait", "server", "draw", "geo", "panels", "league")
    print(f"{'drill to':<10}" + "".join(f"{k:>9}" for k in keys))
    for level in LEVELS:
        row = f"{level:<10}"
        for key in keys:
            got = [p[key] for p in parts[level] if key in p]
            row += f"{statistics.median(got):>9.0f}" if got else f"{'–':>9}"
        print(row)


if __name__ == "__main__":
    main()
