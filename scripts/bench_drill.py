"""Benchmark: server time of one overview drill step, cold and warm cache, against pandas.

For each step of the busiest chain (city → county → town → village → grid, as
``scripts/bench_overview.py`` drills it) it POSTs the overview's four server callbacks that
a drill fires (``map_view``, ``league``, ``panels``, ``risk``: every callback with the
region store as an input, but playback's, which runs only while playback is open) the way
the Dash renderer does: through the Flask test
client, to ``/_dash-update-component``, with a logged-in session (the demo city leader). The
time of a step is the wall time of all four, one after the other, in this process (Flask,
Dash, the data layer and DuckDB; no network, no browser).

* **cold**: the result cache of ``queries.run`` and the page-data memo are cleared before
  the step (DuckDB's own buffer pool stays warm: it is not ours to clear);
* **warm**: the same step again at once;
* **naive**: what a page without summaries would do per request: read the scope's incidents
  of the period (the 30 days up to the newest case) into pandas and group them by the child
  unit the map draws (cases, closed, overdue, mean handling hours, mean rework).

It prints p50/p95 per level and the ratio naive / ours (above 1: ours is faster), the cold
step's CPU time per callback (this process, every thread: on a shared machine far less
inflated by the load than wall time) and the process's RSS. Runs against any checkout:
``PYTHONPATH=/work/main python scripts/bench_drill.py`` measures main's code (caches it
lacks are simply not cleared).
``--before-code /work/main --before-store OLD`` measures that checkout on its store and
this one on ``--store`` side by side in one run (each in its own process, alternated in
halves so both see the machine's load alike) and prints both in one table. The drill
chain is ``scripts/drill_chain.py``'s, which ``bench_overview.py`` drills too.

Targets (issue 18), 10M store: cold p95 ≤ 150 ms and warm p95 ≤ 15 ms at every level.

Usage: python scripts/bench_drill.py [--store /work/bench/demo10m.duckdb] [--repeat 5]
       [--before-code /work/main --before-store /work/bench/new10m.duckdb]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drill_chain import LEVELS, busiest_chain  # noqa: E402

from dashboard import create_app, ids  # noqa: E402
from dashboard.auth.demo import demo_password, seed_demo_users  # noqa: E402
from dashboard.auth.store import AuthStore  # noqa: E402
from dashboard.settings import Settings  # noqa: E402

ORIGIN = "http://localhost"
CALLBACKS = ("map", "league", "panels", "risk")


def _body(app, output_id: str, inputs: list[dict]) -> dict:
    key = next(k for k in app.callback_map if output_id in k)
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in key.strip(".").split("...")]
    return {"output": key, "outputs": outputs, "inputs": inputs, "changedPropIds": [],
            "state": []}


def step_bodies(app, region: str) -> dict[str, dict]:
    """The callback bodies a drill to ``region`` makes the renderer send (``risk`` only
    where the code has that callback: an older checkout measured side by side may not)."""
    common = [{"id": ids.OVERVIEW_ASOF_PICKER, "property": "date", "value": None},
              {"id": ids.OVERVIEW_PERIOD_RADIO, "property": "value", "value": None},
              {"id": ids.OVERVIEW_REFRESH_INTERVAL, "property": "n_intervals", "value": 0}]
    reg = {"id": ids.OVERVIEW_REGION_STORE, "property": "data", "value": region}
    ind = {"id": ids.OVERVIEW_INDICATOR_RADIO, "property": "value", "value": "incidents"}
    out = {
        "map": _body(app, ids.OVERVIEW_CRUMBS_NAV, [reg, ind, *common]),
        "league": _body(app, ids.OVERVIEW_LEAGUE_LIST, [reg, *common]),
        "panels": _body(app, ids.OVERVIEW_CARDS_DIV, [reg, *common]),
    }
    risk = getattr(ids, "OVERVIEW_RISK_DIV", None)
    if risk and any(risk in key for key in app.callback_map):
        out["risk"] = _body(app, risk, [reg, *common])
    return out


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
    """Milliseconds per callback and in total (one after the other), wall time; and the
    CPU time of this process (every thread: the panels' pool, DuckDB's) per callback as
    ``cpu_<name>`` and ``cpu_total``, which a loaded machine inflates far less."""
    out, cpu = {}, {}
    for name, body in bodies.items():
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.post("/_dash-update-component", json=body,
                               headers={"Origin": ORIGIN})
        out[name] = (time.perf_counter() - t0) * 1000
        cpu[f"cpu_{name}"] = (time.process_time() - c0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code} "
                             f"{response.get_data(as_text=True)[:300]}")
    out["total"] = sum(out.values())
    out.update(cpu)
    out["cpu_total"] = sum(cpu.values())
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


def login(client, username: str = "city_leader") -> None:
    """Log the test client in as a demo account through the login form."""
    form = client.get("/login").get_data(as_text=True)
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    got = client.post("/login", data={"username": username,
                                      "password": demo_password(username),
                                      "csrf_token": token, "next": "/"},
                      headers={"Origin": ORIGIN})
    if got.status_code != 303:
        raise SystemExit(f"login failed: {got.status_code}")


def measure(store: Path, repeat: int, timeout: float) -> dict:
    """Cold and warm step times per level (ms per callback and in total), the naive
    baseline per level, and the RSS after the drills, with this process's code."""
    os.environ["GRIDCMD_QUERY_TIMEOUT_SECONDS"] = str(timeout)  # ignored by older code
    auth = Path(tempfile.mkdtemp(prefix="bench-drill-")) / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    settings = Settings.load(store=store, demo_on_start=False, auth_db=str(auth))
    app = create_app(settings)
    client = app.server.test_client()
    login(client)
    codes = busiest_chain(store)
    bodies = {level: step_bodies(app, code) for level, code in zip(LEVELS, codes, strict=True)}
    run_step(client, bodies["city"])  # open the store, first imports
    cold: dict[str, list[dict]] = {lv: [] for lv in LEVELS}
    warm: dict[str, list[dict]] = {lv: [] for lv in LEVELS}
    for _ in range(repeat):
        for level in LEVELS:
            clear_caches(app.server)
            cold[level].append(run_step(client, bodies[level]))
            warm[level].append(run_step(client, bodies[level]))
    rss_app = rss_mb()
    con = duckdb.connect(str(store), read_only=True)
    plain: dict[str, list[float]] = {lv: [] for lv in LEVELS}
    try:
        for _ in range(repeat):
            for level, code in zip(LEVELS, codes, strict=True):
                plain[level].append(naive(con, code))
    finally:
        con.close()
    return {"cold": cold, "warm": warm, "naive": plain, "rss": rss_app,
            "code": str(Path(sys.modules["dashboard"].__file__).parent.parent),
            "store": str(store)}


def print_one(res: dict, repeat: int) -> None:
    cold, warm, plain = res["cold"], res["warm"], res["naive"]
    print(f"store {res['store']}, {repeat} repeats, code {res['code']}")
    print("server time of all the overview callbacks of one drill step (ms)\n")
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
    print(f"{'level':8} " + " ".join(f"{k:>7}" for k in CALLBACKS))
    for level in LEVELS:
        print(f"{level:8} " + " ".join(
            f"{statistics.median(r.get(k, float('nan')) for r in cold[level]):7.0f}"
            for k in CALLBACKS))
    print("\ncold CPU p50 per callback (ms, this process's CPU time, all threads)")
    print(f"{'level':8} " + " ".join(f"{k:>7}" for k in (*CALLBACKS, "total")))
    for level in LEVELS:
        print(f"{level:8} " + " ".join(
            f"{statistics.median(r.get(f'cpu_{k}', float('nan')) for r in cold[level]):7.1f}"
            for k in (*CALLBACKS, "total")))
    print(f"\nRSS after the drills: {res['rss']:.0f} MB (VmRSS of this process)")


def print_side_by_side(before: dict, after: dict, repeat: int) -> None:
    print(f"before: code {before['code']}, store {before['store']}")
    print(f"after:  code {after['code']}, store {after['store']}")
    print(f"{repeat} repeats each, alternated in halves; the naive baseline is the after "
          "run's (same raw incidents)")
    print("server time of all the overview callbacks of one drill step (ms)\n")
    head = (f"{'level':8} {'cold p50 b/a':>14} {'cold p95 b/a':>14} {'warm p50 b/a':>14} "
            f"{'warm p95 b/a':>14} {'naive p50':>10} {'naive/cold':>11} {'naive/warm':>11}")
    print(head)
    print("-" * len(head))
    for level in LEVELS:
        cb, ca = ([r["total"] for r in x["cold"][level]] for x in (before, after))
        wb, wa = ([r["total"] for r in x["warm"][level]] for x in (before, after))
        n = after["naive"][level]
        print(f"{level:8} {pct(cb, 50):6.0f} /{pct(ca, 50):6.0f} {pct(cb, 95):6.0f} /"
              f"{pct(ca, 95):6.0f} {pct(wb, 50):6.1f} /{pct(wa, 50):6.1f} "
              f"{pct(wb, 95):6.1f} /{pct(wa, 95):6.1f} {pct(n, 50):10.0f} "
              f"{pct(n, 50) / pct(ca, 50):10.2f}× {pct(n, 50) / pct(wa, 50):10.2f}×")
    print("\ncold p50 per callback, before / after (ms)")
    print(f"{'level':8} " + " ".join(f"{k:>15}" for k in CALLBACKS))
    for level in LEVELS:
        print(f"{level:8} " + " ".join(
            f"{statistics.median(r.get(k, float('nan')) for r in before['cold'][level]):7.0f} /"
            f"{statistics.median(r.get(k, float('nan')) for r in after['cold'][level]):6.0f}"
            for k in CALLBACKS))
    print("\ncold CPU p50 per callback, before / after (ms, the process's CPU time, all "
          "threads: far less inflated by the machine's load than wall time)")
    print(f"{'level':8} " + " ".join(f"{k:>15}" for k in (*CALLBACKS, "total")))
    def cpu(res: dict, level: str, k: str) -> float:
        return statistics.median(r.get(f"cpu_{k}", float("nan")) for r in res["cold"][level])

    for level in LEVELS:
        print(f"{level:8} " + " ".join(
            f"{cpu(before, level, k):7.1f} /{cpu(after, level, k):6.1f}"
            for k in (*CALLBACKS, "total")))
    print(f"\nRSS after the drills: before {before['rss']:.0f} MB, after {after['rss']:.0f} MB")


def _sub(code: Path, store: Path, repeat: int, timeout: float) -> dict:
    """One measuring run with the code of checkout ``code`` in a fresh process."""
    out = Path(tempfile.mkdtemp(prefix="bench-drill-")) / "result.json"
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([sys.executable, __file__, "--store", str(store), "--repeat", str(repeat),
                    "--timeout", str(timeout), "--json", str(out)], env=env, check=True)
    return json.loads(out.read_text())


def _merge(parts: list[dict]) -> dict:
    out = dict(parts[0])
    for key in ("cold", "warm", "naive"):
        out[key] = {lv: [x for p in parts for x in p[key][lv]] for lv in LEVELS}
    out["rss"] = max(p["rss"] for p in parts)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/work/bench/demo10m.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120,
                        help="query_timeout_seconds of the app (a loaded machine is slow)")
    parser.add_argument("--before-code", type=Path,
                        help="a checkout to measure side by side (e.g. /work/main)")
    parser.add_argument("--before-store", type=Path,
                        help="its store (default --store; e.g. one without migration 010)")
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.before_code is None:
        res = measure(args.store, args.repeat, args.timeout)
        if args.json:
            args.json.write_text(json.dumps(res))
        else:
            print_one(res, args.repeat)
        return
    here = Path(__file__).resolve().parent.parent
    first = max(1, args.repeat // 2)
    halves = [first, args.repeat - first] if args.repeat > 1 else [1]
    before, after = [], []
    for n in halves:  # alternate, so both sides see the machine's load alike
        before.append(_sub(args.before_code, args.before_store or args.store, n,
                           args.timeout))
        after.append(_sub(here, args.store, n, args.timeout))
    print_side_by_side(_merge(before), _merge(after), args.repeat)


if __name__ == "__main__":
    main()
