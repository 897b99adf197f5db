"""Benchmark: the overview's time playback (态势回放) on a large store.

Server: for each level of the busiest drill chain (``scripts/drill_chain.py``) and each
period, the playback callback (every frame of the period at once) is POSTed through the
Flask test client with a logged-in session (the demo city leader), the way the renderer
sends it after a click on play: cold (our caches cleared) and warm (at once again). Beside
it, the design the issue rules out, **one request per frame**: for every day of the period
the engine calls that frame alone needs (the map units' indicator over the frame's window,
and the region's cards on that day), summed over all frames. Printed: p50/p95 of each,
the ratio, and the bytes the browser receives.

Browser (``--browser``): Chromium opens the overview at each level, plays, pauses, and
steps ``--frames`` frames through the player (``gridcmd.playback.show``, what the play
timer and the slider call); a frame's time is from the call to the second animation frame
after it (the map's layers restyled, labels, day, cards and cursor written, one paint).
p50/p95 per level.

``72h`` among the periods is the hourly replay (按时, the last 72 hours); its per-frame
baseline asks each hour's map window and cards alone.

Usage: python scripts/bench_playback.py --store /work/bench/main13-10m.duckdb
       [--periods 30d,90d,year,72h] [--repeat 5] [--browser] [--frames 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_drill import ORIGIN, _body, clear_caches, login, pct, rss_mb  # noqa: E402
from drill_chain import LEVELS, busiest_chain  # noqa: E402

from dashboard import create_app, ids  # noqa: E402
from dashboard import overview_data as od  # noqa: E402
from dashboard import playback as pb  # noqa: E402
from dashboard.auth.demo import demo_password, seed_demo_users  # noqa: E402
from dashboard.auth.store import AuthStore  # noqa: E402
from dashboard.kpi.engine import kpis  # noqa: E402
from dashboard.kpi.registry import get  # noqa: E402
from dashboard.kpi.scope import Scope  # noqa: E402
from dashboard.settings import Settings  # noqa: E402

PLAY_LEVELS = LEVELS[:4]  # a grid's map is its village's: the same frames as the village


def play_body(app, region: str, period: str, indicator: str = "incidents",
              step: str = "day") -> dict:
    body = _body(app, ids.PLAYBACK_FRAMES_STORE, [
        {"id": ids.PLAYBACK_PLAY_BUTTON, "property": "n_clicks", "value": 1},
        {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region},
        {"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value", "value": indicator},
        {"id": ids.PLAYBACK_STEP_RADIO, "property": "value", "value": step}])
    body["state"] = [
        {"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
        {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": period},
        {"id": ids.PLAYBACK_STATE_STORE, "property": "data", "value": {"active": False}}]
    body["changedPropIds"] = [f"{ids.PLAYBACK_PLAY_BUTTON}.n_clicks"]
    return body


def post(client, body) -> tuple[float, int]:
    t0 = time.perf_counter()
    got = client.post("/_dash-update-component", json=body, headers={"Origin": ORIGIN})
    ms = (time.perf_counter() - t0) * 1000
    if got.status_code != 200:
        raise SystemExit(f"HTTP {got.status_code}: {got.get_data(as_text=True)[:300]}")
    return ms, len(got.get_data())


def per_frame(con, region: str, now, period: str, indicator: str = "incidents") -> float:
    """Milliseconds of the per-frame design: each day's window asked of the engine alone."""
    v = od.view(con, Scope("3206", "leader"), region)
    kids = od.units(con, v)
    key = od.INDICATORS[indicator].kpi
    window = 1 if get(key).kind == "stock" else pb.WINDOW_DAYS
    d0, d1 = od.period_days(now, period)
    t0 = time.perf_counter()
    day = d0
    while day <= d1:
        frame = kpis(con, v.map_scope, day - timedelta(days=window - 1), day, keys=[key],
                     level=v.child_level)
        frame.set_index("region").reindex(kids["short_code"])
        kpis(con, v.scope, day, day, keys=list(pb.CARD_KEYS))
        day += timedelta(days=1)
    return (time.perf_counter() - t0) * 1000


def per_hour(con, region: str, now) -> float:
    """Milliseconds of the per-frame design by hour: each hour's map window (24 hours) and
    cards (the hour) asked alone, 72 times."""
    from queries import names as Q
    from queries import run

    v = od.view(con, Scope("3206", "leader"), region)
    start, end = pb.hour_span(now)
    length = len(str(od.units(con, v)["short_code"].iloc[0]))
    t0 = time.perf_counter()
    for i in range(pb.HOURS):
        e = start + timedelta(hours=i + 1)
        run(con, Q.OVERVIEW_PLAYBACK_HOUR_UNITS, prefix=v.map_scope.prefix, len=length,
            start=e - timedelta(hours=pb.HOUR_WINDOW), end=e)
        run(con, Q.OVERVIEW_PLAYBACK_HOUR_CARDS, prefix=v.scope.prefix,
            start=e - timedelta(hours=1), end=e)
    return (time.perf_counter() - t0) * 1000


def server(store: Path, periods: list[str], repeat: int, baseline_repeat: int) -> None:
    from dashboard.clock import store_now

    auth = Path(tempfile.mkdtemp(prefix="bench-playback-")) / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    app = create_app(Settings.load(store=store, demo_on_start=False, auth_db=str(auth)))
    client = app.server.test_client()
    login(client)
    codes = dict(zip(LEVELS, busiest_chain(store), strict=True))
    con = app.server.extensions["gridcmd_store"].cursor()
    now = store_now(con)
    post(client, play_body(app, "", "30d"))  # open the store, first imports
    print(f"store {store}, {repeat} repeats (one request per frame: {baseline_repeat})\n")
    head = (f"{'level':8} {'period':6} {'frames':>6} {'cold p50':>9} {'cold p95':>9} "
            f"{'warm p50':>9} {'warm p95':>9} {'KB':>7} {'per-frame p50':>14} "
            f"{'per-frame/cold':>15}")
    print(head)
    print("-" * len(head))
    for level in PLAY_LEVELS:
        for period in periods:
            hourly = period == "72h"  # the hourly replay: the last 72 hours
            body = play_body(app, codes[level], "30d" if hourly else period,
                             step="hour" if hourly else "day")
            cold, warm, size = [], [], 0
            for _ in range(repeat):
                clear_caches(app.server)
                ms, size = post(client, body)
                cold.append(ms)
                warm.append(post(client, body)[0])
            if hourly:
                naive = [per_hour(con, codes[level], now) for _ in range(baseline_repeat)]
                n = pb.HOURS
            else:
                naive = [per_frame(con, codes[level], now, period)
                         for _ in range(baseline_repeat)]
                d0, d1 = od.period_days(now, period)
                n = (d1 - d0).days + 1
            print(f"{level:8} {period:6} {n:>6} {pct(cold, 50):>9.0f} {pct(cold, 95):>9.0f} "
                  f"{pct(warm, 50):>9.1f} {pct(warm, 95):>9.1f} {size / 1024:>7.1f} "
                  f"{pct(naive, 50):>14.0f} {pct(naive, 50) / pct(cold, 50):>14.1f}×",
                  flush=True)
    print(f"\nRSS after the runs: {rss_mb():.0f} MB")


STEP_JS = """
const done = arguments[arguments.length - 1];
const n = arguments[0];
const player = window.gridcmd.playback;
const times = [];
let i = 0;
function step() {
  if (i >= n) { done(times); return; }
  const t0 = performance.now();
  player.show(i + 1);
  requestAnimationFrame(() => requestAnimationFrame(() => {
    times.push(performance.now() - t0); i += 1; setTimeout(step, 30); }));
}
step();
"""


def browser(store: Path, period: str, frames: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import logging

    from auth_helpers import login_browser
    from browser_support import chromium, serving
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    auth = Path(tempfile.mkdtemp(prefix="bench-playback-")) / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    app = create_app(Settings.load(store=store, demo_on_start=False, auth_db=str(auth)))
    codes = dict(zip(LEVELS, busiest_chain(store), strict=True))
    print(f"\nChromium, period {period}, {frames} frames stepped per level (ms per frame)\n")
    head = f"{'level':8} {'units':>6} {'p50':>7} {'p95':>7} {'max':>7} {'first frames s':>15}"
    print(head)
    print("-" * len(head))
    with serving(app) as url, chromium() as drv:
        login_browser(drv, url, "city_leader", demo_password("city_leader"))
        drv.set_script_timeout(300)
        for level in PLAY_LEVELS:
            drv.get(f"{url}/?region={codes[level]}&period={period}")
            WebDriverWait(drv, 120).until(lambda d: d.execute_script(
                "return document.querySelectorAll('path.leaflet-interactive').length") > 0)
            t0 = time.perf_counter()
            drv.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON).click()
            WebDriverWait(drv, 120).until(
                lambda d: d.find_element(By.ID, ids.PLAYBACK_BODY_DIV).is_displayed())
            first = time.perf_counter() - t0
            drv.find_element(By.ID, ids.PLAYBACK_PLAY_BUTTON).click()  # pause
            drv.execute_script("window.gridcmd.playback.show(0)")
            time.sleep(0.5)
            times = drv.execute_async_script(STEP_JS, frames)
            if not times:
                drv.save_screenshot(f"/tmp/bench-playback-{level}.png")
            units = drv.execute_script(
                "return document.querySelectorAll('path.leaflet-interactive').length")
            if not times:
                print(f"{level:8} {units:>6} (no frame stepped)")
                continue
            print(f"{level:8} {units:>6} {pct(times, 50):>7.1f} {pct(times, 95):>7.1f} "
                  f"{max(times):>7.1f} {first:>15.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--periods", default="30d,90d,year")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline-repeat", type=int, default=1)
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--no-server", action="store_true")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    if not args.no_server:
        server(args.store, args.periods.split(","), args.repeat, args.baseline_repeat)
    if args.browser:
        browser(args.store, args.periods.split(",")[0], args.frames)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
