"""Benchmark ``gridcmd import records`` on a real-looking export, beside DuckDB's own insert.

Usage: python scripts/bench_ingest.py [--rows 100K,400K,2M] [--formats csv,csv.gz,xlsx]
       [--xlsx-rows 20K] [--batch-rows 1M] [--dir DIR] [--add 100K]
       [--before-code /work/main] [--repeat 3]

``--before-code DIR`` also runs the import with the ``dashboard`` of another checkout (the
code before a change), interleaved with this one's and DuckDB's insert, so both ratios are
measured under the same load; ``--repeat R`` runs each R times and shows the median.

The file is the Lakeport 311 export of ``tests/fixtures/realworld/lakeport_311`` (Chicago's
column names, 12-hour US times as text, value maps, ``add_unknown`` sources, wards through
``code_map``, a placeholder point, rows to quarantine), tiled to N rows with unique request
numbers, loaded with that folder's ``mappings/requests.toml`` into the store its README
builds (wards and precincts, the request types). Every import runs in a fresh process:
seconds, rows/s, peak RSS (``ru_maxrss``), loaded and quarantined rows, batches and the
seconds per phase. Beside it, in another fresh process on a fresh copy of the same store,
**DuckDB's own insert** of the same file: ``CREATE TABLE t AS FROM read_csv(f) LIMIT 0``,
then ``INSERT INTO t SELECT * FROM read_csv(f)`` and a commit (the same gzip file for
``csv.gz``; DuckDB reads no XLSX without its excel extension, so none for ``xlsx``), its
seconds, rows/s and peak RSS, and the ratio of our rows/s to DuckDB's (the issue's target:
>= 0.5; peak RSS <= 2 GB at any size).

``--add N`` also loads N new cases (Parquet, spread over a small demo city) into a store that
already holds 1M of them: the everyday load of a grown store, whose summaries are brought up
to date by adding the new cases (``refresh_additive``) rather than by a full refresh.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
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


LAKEPORT = ROOT / "tests" / "fixtures" / "realworld" / "lakeport_311"
LAKEPORT_MAPPING = LAKEPORT / "mappings" / "requests.toml"


def one(store: Path, path: Path, batch_rows: int, mapping: str = "") -> dict:
    """Load one file in this process (called in a fresh subprocess) and report."""
    import resource

    import duckdb

    from dashboard.ingest.load import load_files
    from dashboard.ingest.mapping import Mapping

    con = duckdb.connect(str(store))
    con.execute("SET enable_progress_bar = false")
    m = Mapping.load(Path(mapping), kind="incidents") if mapping \
        else Mapping.identity("incidents")
    if path.suffix == ".xlsx":  # the same export saved from a spreadsheet
        m = dataclasses.replace(m, format="xlsx")
    s = load_files(con, "incidents", m, [path], batch_rows=batch_rows)
    con.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**s.as_dict(), "peak_rss_mb": round(rss)}


def duckdb_insert(store: Path, path: Path) -> dict:
    """DuckDB's own insert of ``path`` into a fresh table of ``store``: seconds, peak RSS."""
    import resource
    import time

    import duckdb

    con = duckdb.connect(str(store))
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE bench_t AS FROM read_csv($p) LIMIT 0", {"p": str(path)})
    t0 = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO bench_t SELECT * FROM read_csv($p)", {"p": str(path)})
    con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM bench_t").fetchall()[0][0]
    con.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": int(n), "peak_rss_mb": round(rss)}


def lakeport_store(path: Path) -> None:
    """The store of the fixture README's "How to import" (boundaries, request types)."""
    cli = [sys.executable, "-m", "dashboard.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*cli, "import", "boundaries", "--out", str(path), "--timezone",
                    "America/Chicago", "--area-name", "Lakeport",
                    "wards.geojson:level=ward,code=ward,name=ward_name",
                    "precincts.geojson:level=precinct,code=PREC_ID,name=PREC_ID,"
                    "crs=EPSG:3435", "--quiet"], cwd=LAKEPORT, env=env, check=True,
                   capture_output=True)
    subprocess.run([*cli, "import", "taxonomy", "--store", str(path), "--field", "category",
                    "sr_types.csv", "--columns", "code=SR_SHORT_CODE,minor_name=SR_TYPE,"
                    "major_name=SR_GROUP,deadline_days=SLA_DAYS,dept_kind=OWNER_DEPARTMENT"],
                   cwd=LAKEPORT, env=env, check=True, capture_output=True)


def export_frame(n: int):
    """The Lakeport export tiled to ``n`` rows, request numbers made unique (all text)."""
    import pandas as pd

    t = pd.read_csv(LAKEPORT / "service_requests_2024H1.csv.gz", dtype=str,
                    keep_default_na=False)
    big = pd.concat([t] * -(-n // len(t)), ignore_index=True).iloc[:n].copy()
    big["SR_NUMBER"] = np.char.add("SR", np.char.zfill(np.arange(n).astype("U9"), 9))
    return big


def write_export(frame, path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("requests")
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
        wb.save(path)
    else:
        frame.to_csv(path, index=False, compression="gzip" if fmt == "csv.gz" else None)


def _fresh(*argv: str, code: Path = ROOT) -> dict:
    """Run this script with ``argv`` in a fresh process importing ``dashboard`` from
    ``code`` (this checkout, or ``--before-code``); its last line as JSON."""
    out = subprocess.run([sys.executable, __file__, "--code", str(code), *argv], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(code)})
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


def _median_run(runs: list[dict]) -> dict:
    """The run of median seconds (its phases and RSS as measured in that run)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100K,400K,2M")
    ap.add_argument("--formats", default="csv,csv.gz,xlsx")
    ap.add_argument("--xlsx-rows", type=_size, default=20_000,
                    help="largest XLSX (openpyxl writes and reads ~10k rows/s)")
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--batch-rows", type=_size, default=1_000_000)
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--mapping", default="", help=argparse.SUPPRESS)
    ap.add_argument("--duckdb", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--add", type=_size, default=0)
    ap.add_argument("--before-code", type=Path,
                    help="a checkout of the code before (e.g. /work/main), run side by side")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each code and of DuckDB's insert; the median is shown")
    ap.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.code:  # the checkout whose dashboard a fresh process imports
        sys.path.insert(0, str(args.code))
    if args.duckdb:
        print(json.dumps(duckdb_insert(Path(args.duckdb[0]), Path(args.duckdb[1]))))
        return 0
    if args.one:
        print(json.dumps(one(Path(args.one[0]), Path(args.one[1]), args.batch_rows,
                             args.mapping)))
        return 0
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "lakeport.duckdb"
    if not base.is_file():
        lakeport_store(base)
    store = work / "bench.duckdb"
    codes = [("after", ROOT)]
    if args.before_code:
        codes.insert(0, ("before", args.before_code.resolve()))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{args.repeat} run(s) of each, median seconds", flush=True)
    print(f"{'rows':>9} {'format':>7} {'code':>6} {'batches':>7} {'seconds':>8} "
          f"{'rows/s':>9} {'peak RSS MB':>11} {'loaded':>9} {'quarantined':>11} | "
          f"{'duckdb s':>8} {'rows/s':>9} {'RSS MB':>7} | {'ratio':>5}  phases (s)",
          flush=True)
    for n in (_size(x) for x in args.rows.split(",")):
        frame = export_frame(n)
        for fmt in args.formats.split(","):
            if fmt == "xlsx" and n > args.xlsx_rows:
                continue
            path = work / f"requests_{n}.{fmt}"
            write_export(frame, path, fmt)
            runs: dict[str, list[dict]] = {name: [] for name, _ in codes}
            own_runs: list[dict] = []
            # interleaved (before, after, DuckDB, before, …): a shared machine's load
            # drifts, and each code meets the same drift
            for _ in range(args.repeat):
                for name, code in codes:
                    shutil.copyfile(base, store)
                    runs[name].append(_fresh(
                        "--batch-rows", str(args.batch_rows), "--mapping",
                        str(LAKEPORT_MAPPING), "--one", str(store), str(path), code=code))
                if fmt != "xlsx":
                    shutil.copyfile(base, store)
                    own_runs.append(_fresh("--duckdb", str(store), str(path)))
            d = _median_run(own_runs) if own_runs else None
            for name, _ in codes:
                r = _median_run(runs[name])
                own = "{:>8} {:>9} {:>7}".format("n/a", "", "")
                ratio = "{:>5}".format("")
                if d:
                    own = (f"{d['seconds']:>8.2f} {round(d['rows'] / d['seconds']):>9,} "
                           f"{d['peak_rss_mb']:>7,}")
                    ratio = f"{d['seconds'] / r['seconds']:>5.2f}"
                phases = " ".join(f"{k}={v:.2f}" for k, v in r["phase_seconds"].items())
                print(f"{n:>9,} {fmt:>7} {name:>6} {r['batches']:>7} {r['seconds']:>8.2f} "
                      f"{r['rows_per_second']:>9,} {r['peak_rss_mb']:>11,} {r['loaded']:>9,} "
                      f"{r['quarantined']:>11,} | {own} | {ratio}  {phases}", flush=True)
            path.unlink()
            for leftover in (store, store.with_name(store.name + ".wal")):
                leftover.unlink(missing_ok=True)
        del frame
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    if args.add:
        demo = work / "base.duckdb"
        if not demo.is_file():
            from dashboard.demo import DemoSpec, build_demo

            build_demo(demo, DemoSpec(incidents=3000, seed=5, years=0.3,
                                      key_person_share=0.0003), progress=False)
        add_to_grown(work, demo, args.add)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
