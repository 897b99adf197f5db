"""Benchmark the full summary build: DuckDB in the store vs Spark (local) over the Parquet lake.

Two copies of the given store in a scratch folder (the store itself is only read). Each
engine rebuilds every summary table (``dashboard.spark.build_summaries``, what ``gridcmd
summaries --engine duckdb|spark`` runs), ``--runs`` times, in alternation so both see the
same machine load; the Spark side is split into its steps (lake export, JVM start, Spark
build, load into the store). Afterwards every summary table of the two copies is compared
(row counts, and the rows as sets with DOUBLEs rounded to 1e-6). Prints tables, asserts
nothing.

    python scripts/bench_summaries.py --store /tmp/spark-300k.duckdb --master 'local[2]'
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.spark import build_summaries, sqlport  # noqa: E402


def same_rows(a: Path, b: Path, table: str) -> tuple[int, int, int]:
    """(rows in a, rows in b, rows of a not matched in b) with DOUBLEs rounded."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    cols = con.execute(f"DESCRIBE a.{table}").fetchall()
    sel = ", ".join(f"round({c}, 6)" if t == "DOUBLE" else c for c, t, *_ in cols)
    na = con.execute(f"SELECT count(*) FROM a.{table}").fetchall()[0][0]
    nb = con.execute(f"SELECT count(*) FROM b.{table}").fetchall()[0][0]
    diff = con.execute(f"SELECT count(*) FROM (SELECT {sel} FROM a.{table} EXCEPT ALL "
                       f"SELECT {sel} FROM b.{table})").fetchall()[0][0]
    con.close()
    return na, nb, diff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    conf = dict(item.split("=", 1) for item in args.conf)

    with tempfile.TemporaryDirectory(prefix="bench-summaries-") as tmp:
        tmp = Path(tmp)
        duck, spark = tmp / "duck.duckdb", tmp / "spark.duckdb"
        shutil.copy(args.store, duck)
        shutil.copy(args.store, spark)
        times: dict[str, list[float]] = {}
        for _ in range(args.runs):
            got = build_summaries(duck, "duckdb")["seconds"]
            times.setdefault("duckdb total", []).append(sum(got.values()))
            got = build_summaries(spark, "spark", master=args.master, lake=tmp / "lake",
                                  conf=conf)["seconds"]
            for step, secs in got.items():
                times.setdefault(f"spark {step}", []).append(secs)
            times.setdefault("spark total", []).append(sum(got.values()))
        size = sum(f.stat().st_size for f in (tmp / "lake").rglob("*") if f.is_file())

        with duckdb.connect(str(args.store), read_only=True) as con:
            incidents = con.execute("SELECT count(*) FROM incidents").fetchall()[0][0]
        print(f"store {args.store} ({incidents:,} incidents), master {args.master}, "
              f"{args.runs} run(s), lake {size / 2**20:.0f} MiB\n")
        print(f"| {'step':<20} | {'median s':>9} | {'min s':>7} |")
        print(f"|{'-' * 22}|{'-' * 11}|{'-' * 9}|")
        for step, xs in times.items():
            print(f"| {step:<20} | {statistics.median(xs):>9.1f} | {min(xs):>7.1f} |")
        d, s = statistics.median(times["duckdb total"]), statistics.median(times["spark total"])
        print(f"\nDuckDB {d:.1f} s vs Spark {s:.1f} s (Spark / DuckDB = {s / d:.1f}x)\n")

        print(f"| {'table':<18} | {'DuckDB rows':>11} | {'Spark rows':>10} | {'unmatched':>9} |")
        print(f"|{'-' * 20}|{'-' * 13}|{'-' * 12}|{'-' * 11}|")
        for table in sqlport.targets():
            na, nb, diff = same_rows(duck, spark, table)
            print(f"| {table:<18} | {na:>11,} | {nb:>10,} | {diff:>9,} |")


if __name__ == "__main__":
    main()
