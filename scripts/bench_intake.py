"""Benchmark: how soon a batch sent to live intake is visible in the workers of
``gridcmd serve --workers N`` (issue 16: a committed batch visible in every worker ≤ 5 s).

The store is copied first (intake writes into it), the server started with an intake token,
and ``--batches`` batches of ``--rows`` new cases each are sent one after another, ``--pause``
seconds apart, to ``/api/intake/incidents``. Batch k is read back from worker k mod N, with
the other workers stopped (SIGSTOP) from its answer until it is seen, so each *visible*
number is one worker's own:

- *answer*: from sending the batch to its answer (the writer's load, summaries and publish;
  a batch is answered once a published copy holds it);
- *visible*: from the answer until that worker's case export of the day lists every case of
  the batch (the worker looks at the published copies at most once a second, then opens the
  new one, replaying its WAL);
- *how*: whether the copy that published it shipped the WAL beside the last whole copy or
  copied the whole store (docs/deploy.md, publishing).

With ``--before-code DIR`` (a checkout of older code) the same run is made with that code
first, on a fresh copy of the same store, and both tables print side by side.

``--before-schema N`` makes the before code's copy say schema version N, for a store
built by this code when the migrations between only refill derived rows (021: the feed
ranks kept per list), so both codes run on the same data.

Usage: python scripts/bench_intake.py --store /work/bench/s28/10m.duckdb [--workers 2]
       [--batches 12] [--rows 10] [--pause 3] [--before-code DIR] [--before-schema N]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_open_items import intake_rows  # noqa: E402
from bench_serve import free_port, login, start, stop, wait_up  # noqa: E402

from dashboard import serving  # noqa: E402
from dashboard.auth.demo import seed_demo_users  # noqa: E402
from dashboard.auth.store import AuthStore  # noqa: E402

TOKEN = "bench-intake-" + "t" * 32
POLL_LIMIT = 120.0  # seconds a worker may take to show a batch before the run gives up


def http_workers(proc: subprocess.Popen, port: int) -> list[int]:
    """The arbiter's children but gunicorn's dirty arbiter (the writer's parent)."""
    pidfile = Path(tempfile.gettempdir()) / f"gunicorn-dirty-gridcmd-127.0.0.1-{port}.pid"
    dirty = int(pidfile.read_text().strip()) if pidfile.exists() else None
    kids = {int(k) for task in Path(f"/proc/{proc.pid}/task").glob("*")
            for k in (task / "children").read_text().split()}
    return sorted(kids - {dirty})


def case_numbers(session: requests.Session, base: str, day: str) -> set[str]:
    resp = session.get(f"{base}/export/cases.csv?period=custom&from={day}&to={day}",
                       timeout=120, headers={"Connection": "close"})
    resp.raise_for_status()
    text = resp.content.decode("utf-8-sig")
    return {row[0] for row in csv.reader(io.StringIO(text)) if row}


def run(code: Path, source: Path, workers: int, batches: int, rows: int, pause: float,
        tmp: Path, schema: int | None = None) -> list[dict]:
    store = tmp / "store.duckdb"
    subprocess.run(["cp", "--reflink=auto", str(source), str(store)], check=True)
    if schema is not None:  # --before-schema: the older code opens the same rows
        with duckdb.connect(str(store)) as con:
            con.execute("UPDATE meta SET value = $v WHERE key = 'schema_version'",
                        {"v": str(schema)})
    auth = tmp / "auth.sqlite"
    seed_demo_users(AuthStore(auth))
    rng = random.Random(7)
    with duckdb.connect(str(store), read_only=True) as con:
        sent = [intake_rows(con, rows, f"V{k:03d}", rng) for k in range(batches)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = start("gunicorn", workers, store, auth, port,
                 {"GRIDCMD_INTAKE_TOKEN": TOKEN,
                  "GRIDCMD_LOGIN_RATE_LIMIT": "100000/minute",
                  "GRIDCMD_CALLBACK_RATE_LIMIT": "1000000/minute"}, code=code,
                 log=tmp.parent / f"bench-intake-server-{tmp.name}.log")
    out = []
    try:
        wait_up(base, proc)
        print(f"  server up in {time.perf_counter() - t0:.1f} s (first publish included)",
              flush=True)
        pids = http_workers(proc, port)
        session = login(base)
        # drop the login's keep-alive connection: it belongs to one worker, which may be
        # stopped while another is read back (every later request says Connection: close)
        session.close()
        folder = serving.snapshots_dir(store)
        for k, batch in enumerate(sent):
            time.sleep(pause)
            pinned = pids[k % len(pids)]
            others = [p for p in pids if p != pinned]
            day = batch[0]["reported_at"][:10]
            wanted = {r["case_no"] for r in batch if r["reported_at"][:10] == day}
            started = time.perf_counter()
            # the batch goes to any worker (the writer answers it); the others are stopped
            # only while the pinned worker is read back: a worker stopped for longer than
            # gunicorn's timeout (60 s, a slow answer at 10M) would be killed
            resp = requests.post(f"{base}/api/intake/incidents", json=batch, timeout=600,
                                 headers={"Authorization": f"Bearer {TOKEN}",
                                          "Connection": "close"})
            answered = time.perf_counter()
            for p in others:
                os.kill(p, signal.SIGSTOP)
            try:
                if resp.status_code != 200:
                    raise SystemExit(f"batch {k}: HTTP {resp.status_code} {resp.text[:500]} "
                                     f"(server log: {tmp.parent}/bench-intake-server-*.log)")
                name = (folder / serving.CURRENT).read_text().split("\n")[0]
                shipped = (folder / (name + ".wal")).exists()
                wal = serving.wal_size(store) / 2**20
                while not wanted <= case_numbers(session, base, day):
                    if time.perf_counter() - answered > POLL_LIMIT:
                        raise SystemExit(f"batch {k} not visible within {POLL_LIMIT} s")
                    time.sleep(0.05)
                seen = time.perf_counter()
            finally:
                for p in others:
                    os.kill(p, signal.SIGCONT)
            out.append({"batch": k, "worker": pids.index(pinned),
                        "how": "shipped" if shipped else "whole", "wal_mb": wal,
                        "answer": answered - started, "visible": seen - answered,
                        "total": seen - started})
            r = out[-1]
            print(f"  batch {k:3d} worker {r['worker']} {r['how']:>7} WAL {wal:6.1f} MB  "
                  f"answer {r['answer'] * 1000:7.0f} ms  visible {r['visible'] * 1000:6.0f} ms"
                  f"  total {r['total'] * 1000:7.0f} ms", flush=True)
    finally:
        stop(proc)
    return out


def summary(label: str, results: list[dict]) -> None:
    for how in ("shipped", "whole", "all"):
        part = [r for r in results if how in ("all", r["how"])]
        if not part:
            continue
        cells = []
        for key in ("answer", "visible", "total"):
            values = np.array([r[key] for r in part]) * 1000
            cells += [np.percentile(values, 50), np.percentile(values, 95), values.max()]
        print(f"{label:>7} {how:>8} {len(part):4d} " + " ".join(f"{c:7.0f}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--pause", type=float, default=3.0,
                        help="seconds between one batch's visibility and the next batch")
    parser.add_argument("--before-code", type=Path, default=None)
    parser.add_argument("--before-schema", type=int, default=None,
                        help="the schema version the before code's copy of the store says "
                             "it has (only when the versions between change no table's "
                             "columns, e.g. a migration that only refills derived rows)")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="folder for the store's copies (needs 2–4× the store's size)")
    args = parser.parse_args()
    codes = ([("before", args.before_code.resolve())] if args.before_code else []) + [
        ("this", ROOT)]
    load0 = os.getloadavg()[0]
    results = {}
    for label, code in codes:
        print(f"{label} code ({code}):", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-intake-", dir=args.tmp) as tmp:
            results[label] = run(code, args.store, args.workers, args.batches, args.rows,
                                 args.pause, Path(tmp),
                                 args.before_schema if label == "before" else None)
    size = args.store.stat().st_size / 2**30
    print(f"\nstore {args.store} ({size:.1f} GiB), {args.workers} workers, {args.batches} "
          f"batches of {args.rows} cases, {args.pause} s apart; load average before "
          f"{load0:.1f}, after {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print(f"{'code':>7} {'copy':>8} {'n':>4} " + " ".join(
        f"{k + ' ' + q:>7}" for k in ("ans", "vis", "tot") for q in ("p50", "p95", "max"))
        + "   (ms)")
    for label, _ in codes:
        summary(label, results[label])


if __name__ == "__main__":
    main()
