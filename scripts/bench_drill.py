"""Benchmark: server time of one overview drill step, cold and warm cache, against pandas.

For each step of the busiest chain (city → county → town → village → grid, as
``scripts/bench_overview.py`` drills it) it POSTs the overview's three server callbacks
(``map_view``, ``league``, ``panels``) the way the Dash renderer does: through the Flask test
client, to ``/_dash-update-component``, with a logged-in session (the demo city leader). The
time of a step is the wall time of all three, one after the other, in this process (Flask,
Dash, the data layer and DuckDB; no network, no browser).

* **cold**: the result cache of ``queries.run`` and the page-data memo are cleared before
  the step (DuckDB's own buffer pool stays warm: it is not ours to clear);
* **warm**: the same step again at once;
* **naive**: what a page without summaries would do per request: read the scope's incidents
  of the period (the 30 days up to the newest case) into pandas and group them by the child
  unit the map draws (cases, closed, overdue, mean handling hours, mean rework).

It prints p50/p95 per level and the ratio naive / ours (above 1: ours is faster), and the
process's RSS. Runs against any checkout: ``PYTHONPATH=/work/main python
scripts/bench_drill.py`` measures main's code (caches it lacks are simply not cleared).

Targets (issue 18), 10M store: cold p95 ≤ 150 ms and warm p95 ≤ 15 ms at every level.

Usage: python scripts/bench_drill.py [--store /work/bench/demo10m.duckdb] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import create_app, ids  # noqa: E402
from dashboard.auth.demo import demo_password, seed_demo_users  # noqa: E402
from dashboard.auth.store import AuthStore  # noqa: E402
from dashboard.settings import Settings  # noqa: E402

LEVELS = ("city", "county", "town", "village", "grid")
ORIGIN = "http://localhost"


def drill_path(store: Path) -> list[str]:
    """Region codes of the busiest chain: '' (the city), county, town, village, grid."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        village = con.execute(
            "SELECT left(grid_code, 12) FROM incidents "
            "WHERE reported_at >= (SELECT max(reported_at) FROM incidents) - INTERVAL 30 DAY "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
        grid = con.execute("SELECT min(code) FROM grids WHERE village_code = ?",
                           [village]).fetchone()[0]
        return ["", village[:6] + "000000", village[:9] + "000", village, grid]
    finally:
        con.close()


def _body(app, output_id: str, inputs: list[dict]) -> dict:
    key = next(k for k in app.callback_map if output_id in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    return {"output": key, "outputs": outputs, "inputs": inputs, "changedPropIds": [],
            "state": []}


def step_bodies(app, region: str) -> dict[str, dict]:
    """The three callback bodies a drill to ``region`` makes the renderer send."""
    common = [{"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
              {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
              {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0}]
    reg = {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region}
    ind = {"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value", "value": "incidents"}
    return {
        "map": _body(app, ids.OVERVIEW_CRUMBS_NAV, [reg, ind, *common]),
        "league": _body(app, ids.OVERVIEW_LEAGUE_LIST, [reg, *common]),
        "panels": _body(app, ids.OVERVIEW_CARDS_DIV, [reg, *common]),
    }


def clear_caches(server) -> None:
    """Empty our caches (those this checkout has)."""
    import queries

    for name in ("clear_cache",):
        fn = getattr(queries, name, None)
        if fn:
            fn()
    try:
        from dashboard import pagememo
    except ImportError:
        return
    pagememo.clear(server)


def run_step(client, bodies: dict[str, dict]) -> dict[str, float]:
    """Milliseconds per callback and in total (one after the other)."""
    out = {}
    for name, body in bodies.items():
        t0 = time.perf_counter()
        response = client.post("/_dash-update-component", json=body,
                               headers={"Origin": ORIGIN})
        out[name] = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code} "
                             f"{response.get_data(as_text=True)[:300]}")
    out["total"] = sum(out.values())
    return out


def naive(con, region: str) -> float:
    """Milliseconds of the pandas baseline for one step: the period's raw incidents of the
    scope, grouped by the child unit."""
    t0 = time.perf_counter()
    if not region:
        prefix = con.execute("SELECT left(min(code), 4) FROM regions").fetchone()[0]
    elif len(region) == 15:
        prefix = region
    else:  # a 12-digit region code: its short code drops the unused slots' zeros
        prefix = next(region[:n] for n in (4, 6, 9, 12) if not region[n:].strip("0"))
    child = {4: 6, 6: 9, 9: 12, 12: 15, 15: 15}[len(prefix)]
    frame = con.execute(
        "SELECT grid_code, reported_at, closed_at, deadline_at, rework_count "
        "FROM incidents WHERE starts_with(grid_code, $p) AND reported_at >= "
        "(SELECT max(reported_at) FROM incidents) - INTERVAL 30 DAY",
        {"p": prefix}).df()
    frame["unit"] = frame["grid_code"].str[:child]
    frame["closed"] = frame["closed_at"].notna()
    frame["overdue"] = frame["deadline_at"].notna() & (
        frame["closed_at"].isna() | (frame["closed_at"] > frame["deadline_at"]))
    frame["hours"] = (frame["closed_at"] - frame["reported_at"]).dt.total_seconds() / 3600
    frame.groupby("unit").agg(cases=("grid_code", "size"), closed=("closed", "sum"),
                              overdue=("overdue", "sum"), hours=("hours", "mean"),
                              rework=("rework_count", "mean"))
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/work/bench/demo10m.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120,
                        help="query_timeout_seconds of the app (a loaded machine is slow)")
    args = parser.parse_args()
    os.environ["GRIDCMD_QUERY_TIMEOUT_SECONDS"] = str(args.timeout)  # ignored by older code
    auth = Path(tempfile.mkdtemp(prefix="bench-drill-")) / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    settings = Settings.load(store=args.store, demo_on_start=False, auth_db=str(auth))
    app = create_app(settings)
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    login = client.post("/login", data={"username": "city_leader",
                                        "password": demo_password("city_leader"),
                                        "csrf_token": token, "next": "/"},
                        headers={"Origin": ORIGIN})
    if login.status_code != 303:
        raise SystemExit(f"login failed: {login.status_code}")
    codes = drill_path(args.store)
    bodies = {level: step_bodies(app, code) for level, code in zip(LEVELS, codes, strict=True)}
    run_step(client, bodies["city"])  # open the store, first imports
    cold: dict[str, list[dict]] = {lv: [] for lv in LEVELS}
    warm: dict[str, list[dict]] = {lv: [] for lv in LEVELS}
    for _ in range(args.repeat):
        for level in LEVELS:
            clear_caches(app.server)
            cold[level].append(run_step(client, bodies[level]))
            warm[level].append(run_step(client, bodies[level]))
    rss_app = rss_mb()
    con = duckdb.connect(str(args.store), read_only=True)
    plain: dict[str, list[float]] = {lv: [] for lv in LEVELS}
    try:
        for _ in range(args.repeat):
            for level, code in zip(LEVELS, codes, strict=True):
                plain[level].append(naive(con, code))
    finally:
        con.close()

    print(f"store {args.store}, {args.repeat} repeats, code "
          f"{Path(sys.modules['dashboard'].__file__).parent.parent}")
    print("server time of all three overview callbacks of one drill step (ms)\n")
    head = (f"{'level':8} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9} "
            f"{'naive p50':>10} {'naive p95':>10} {'naive/cold':>11} {'naive/warm':>11}")
    print(head)
    print("-" * len(head))
    for level in LEVELS:
        c = [r["total"] for r in cold[level]]
        w = [r["total"] for r in warm[level]]
        n = plain[level]
        print(f"{level:8} {pct(c, 50):9.0f} {pct(c, 95):9.0f} {pct(w, 50):9.1f} "
              f"{pct(w, 95):9.1f} {pct(n, 50):10.0f} {pct(n, 95):10.0f} "
              f"{pct(n, 50) / pct(c, 50):10.2f}× {pct(n, 50) / pct(w, 50):10.2f}×")
    print("\ncold p50 per callback (ms)")
    print(f"{'level':8} {'map':>7} {'league':>7} {'panels':>7}")
    for level in LEVELS:
        print(f"{level:8} " + " ".join(
            f"{statistics.median(r[k] for r in cold[level]):7.0f}"
            for k in ("map", "league", "panels")))
    print(f"\nRSS after the drills: {rss_app:.0f} MB (VmRSS of this process)")


if __name__ == "__main__":
    main()
