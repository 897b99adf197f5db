"""Benchmark ``gridcmd import records``: clean incident files of 1M and 5M rows, CSV and
Parquet, loaded end to end (staging, validation, CRS, point-in-polygon over the store's
~10k grids, upsert, incremental summaries, import log) into a copy of a small demo store.

Usage: python scripts/bench_ingest.py [--rows 1M,5M] [--formats csv,parquet] [--dir DIR]
       [--add 100K]

``--add N`` also loads N new cases (Parquet, spread over the whole city like the others)
into a store that already holds 1M of them: the everyday load of a grown store, whose
summaries are brought up to date by adding the new cases (``refresh_additive``) rather
than by a full refresh.
Prints one table row per (rows, format): seconds, rows/s and the peak RSS of a fresh
process that did only that load, and the seconds per phase (read, type, crs+pip,
validate, upsert, summaries, quarantine+log+commit). The "floor" columns time DuckDB alone
on the same file and store in another fresh process: one ``INSERT INTO incidents SELECT …
FROM read_csv/read_parquet`` of the rows as they are (no validation, no point-in-polygon,
no summaries), committed: what the engine needs to read and store those rows here, a
bound no pipeline on this store can beat.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def make_table(store: Path, n: int, seed: int = 1) -> pa.Table:
    """``n`` clean incidents at random points inside the store's grids (only lon/lat: the
    grid is found by point-in-polygon)."""
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        g = con.execute("SELECT lon, lat FROM grids").fetchnumpy()
        cats = [r[0] for r in con.execute("SELECT code FROM categories").fetchall()]
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(g["lon"]), n)
    lon = g["lon"][k] + rng.normal(0, 0.002, n)
    lat = g["lat"][k] + rng.normal(0, 0.002, n)
    t0 = np.datetime64("2026-08-10T00:00:00")
    rep = t0 + rng.integers(0, 100 * 86400, n).astype("timedelta64[s]")
    reg = rep + rng.integers(60, 7200, n).astype("timedelta64[s]")
    closed = reg + rng.integers(3600, 5 * 86400, n).astype("timedelta64[s]")
    closed = np.where(rng.random(n) < 0.8, closed, np.datetime64("NaT"))
    closed = np.minimum(closed, np.datetime64("2026-11-20T00:00:00"))
    return pa.table({
        "case_no": pa.array(np.char.add("B", np.arange(n).astype("U10"))),
        "source": pa.array(np.array(["12345热线", "网格员巡查", "群众随手拍"])[k % 3]),
        "category_code": pa.array(np.array(cats)[k % len(cats)]),
        "lon": lon, "lat": lat,
        "reported_at": pa.array(rep.astype("datetime64[s]")),
        "registered_at": pa.array(reg.astype("datetime64[s]")),
        "closed_at": pa.array(closed.astype("datetime64[s]"), mask=np.isnat(closed)),
    })


def one(store: Path, path: Path, batch_rows: int) -> dict:
    """Load one file in this process (called in a fresh subprocess) and report."""
    import resource

    import duckdb

    from dashboard.ingest.load import load_files
    from dashboard.ingest.mapping import Mapping

    con = duckdb.connect(str(store))
    con.execute("SET enable_progress_bar = false")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [path],
                   batch_rows=batch_rows)
    con.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**s.as_dict(), "peak_rss_mb": round(rss)}


FLOOR_SQL = """
INSERT INTO incidents (id, case_no, source, category_code, grid_code, lon, lat, reported_at,
    registered_at, closed_at, deadline_at, status, is_void, rework_count, extended_hours,
    tier, escalations, handled_online)
SELECT 1000000000 + row_number() OVER (), case_no, source, category_code, '', lon, lat,
       reported_at, registered_at, closed_at, registered_at + INTERVAL 3 DAY,
       CASE WHEN closed_at IS NULL THEN '已立案' ELSE '已结案' END, false, 0, 0, 'village', 0,
       false
FROM {reader}($path)
"""


def floor(store: Path, path: Path) -> float:
    """Seconds DuckDB alone takes to read ``path`` and store its rows in ``incidents``."""
    import time

    import duckdb

    con = duckdb.connect(str(store))
    con.execute("SET enable_progress_bar = false")
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    t0 = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute(FLOOR_SQL.format(reader=reader), {"path": str(path)})
    con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def _fresh(*argv: str) -> dict:
    """Run this script with ``argv`` in a fresh process; its last line as JSON."""
    out = subprocess.run([sys.executable, __file__, *argv], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def add_to_grown(work: Path, base: Path, n: int) -> None:
    """Load ``n`` new cases into a store already holding 1M; print one line."""
    import pyarrow.compute as pc

    grown = work / "grown.duckdb"
    if not grown.is_file():
        first = work / "grown_1M.parquet"
        pq.write_table(make_table(base, 1_000_000), first)
        shutil.copyfile(base, work / "grown.tmp")
        _fresh("--one", str(work / "grown.tmp"), str(first))
        (work / "grown.tmp").rename(grown)
        first.unlink()
    table = make_table(base, n, seed=2)
    table = table.set_column(0, "case_no", pc.binary_join_element_wise(
        pa.scalar("N"), table.column("case_no"), ""))
    path = work / f"add_{n}.parquet"
    pq.write_table(table, path)
    store = work / "bench.duckdb"
    shutil.copyfile(grown, store)
    r = _fresh("--one", str(store), str(path))
    phases = " ".join(f"{k}={v:.1f}" for k, v in r["phase_seconds"].items())
    print(f"\nadding {n:,} new cases (parquet) to a store of 1,003,000: {r['seconds']:.2f} s, "
          f"{r['rows_per_second']:,} rows/s, summaries {r['summaries']}, peak RSS "
          f"{r['peak_rss_mb']:,} MB\n  phases (s): {phases}", flush=True)
    path.unlink()
    store.unlink()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="1M,5M")
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--batch-rows", type=_size, default=1_000_000)
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--floor", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--add", type=_size, default=0)
    args = ap.parse_args()
    if args.floor:
        print(json.dumps({"floor_seconds": floor(Path(args.floor[0]), Path(args.floor[1]))}))
        return 0
    if args.one:
        print(json.dumps(one(Path(args.one[0]), Path(args.one[1]), args.batch_rows)))
        return 0
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base.duckdb"
    if not base.is_file():
        from dashboard.demo import DemoSpec, build_demo

        build_demo(base, DemoSpec(incidents=3000, seed=5, years=0.3,
                                  key_person_share=0.0003), progress=False)
    # warm the grid raster cache once, as a deployment has it after its first load
    import duckdb

    from dashboard.ingest.load import store_area
    with duckdb.connect(str(base), read_only=True) as con:
        store_area(con)
    print(f"{'rows':>10} {'format':>8} {'seconds':>8} {'rows/s':>11} {'peak RSS MB':>12} "
          f"{'loaded':>10} {'quarantined':>11} {'floor s':>8} {'floor rows/s':>12}  phases (s)",
          flush=True)
    for n in (_size(x) for x in args.rows.split(",")):
        table = make_table(base, n)
        for fmt in args.formats.split(","):
            path = work / f"incidents_{n}.{fmt}"
            if fmt == "csv":
                pacsv.write_csv(table, path)
            else:
                pq.write_table(table, path)
            store = work / "bench.duckdb"
            shutil.copyfile(base, store)
            r = _fresh("--batch-rows", str(args.batch_rows), "--one", str(store), str(path))
            shutil.copyfile(base, store)
            fs = _fresh("--floor", str(store), str(path))["floor_seconds"]
            phases = " ".join(f"{k}={v:.1f}" for k, v in r["phase_seconds"].items())
            print(f"{n:>10,} {fmt:>8} {r['seconds']:>8.2f} {r['rows_per_second']:>11,} "
                  f"{r['peak_rss_mb']:>12,} {r['loaded']:>10,} {r['quarantined']:>11,} "
                  f"{fs:>8.2f} {round(n / fs):>12,}  "
                  f"{phases}", flush=True)
            path.unlink()
            store.unlink()
    if args.add:
        add_to_grown(work, base, args.add)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
