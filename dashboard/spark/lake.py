"""The Parquet lake of the facts, and publishing summary tables built elsewhere into the store.

:func:`export_lake` writes every table the full summary refresh reads
(:func:`dashboard.spark.sqlport.sources`) from a store to a directory of Hive-partitioned
Parquet (DuckDB ``COPY ... (FORMAT parquet, PARTITION_BY (lake_month))``; the large facts by
the month of their main time, the reference tables as one file), all from one snapshot of
the store, with a manifest ``_lake.json``: the store's version (``queries/store/version.sql``),
its time zone and the column types of every summary table. The directory appears whole (it
is written under a temporary name and renamed), replacing an older lake.

:func:`load_summaries` puts the summary tables a Spark job wrote (one Parquet directory per
table) into the store in ONE transaction, after checking that the store still has the
version the lake was exported at (so the summaries match the facts), and counts one more
write in the store version (``store/bump_version``) so every cache keyed by it moves on.
Any error rolls back: the store keeps its summaries as they were.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from dashboard.kpi import summaries as S
from dashboard.spark import sqlport
from dashboard.store import Store
from queries import names as Q
from queries import run, sql

MANIFEST = "_lake.json"
PARTITION_COLUMN = "lake_month"
# the time whose month partitions each fact table (others: one file)
PARTITION_BY: dict[str, str] = {
    "incidents": "reported_at",
    "escalations": "escalated_at",
    "surveys": "surveyed_at",
    "hazards": "found_at",
    "key_persons": "registered_at",
    "visits": "due_date",
    "sensor_alerts": "alerted_at",
    "area_surveys": "surveyed_at",
}


class LakeError(RuntimeError):
    """The lake or the summaries built from it cannot be used (missing, stale, broken)."""


def target_schemas() -> dict[str, list[tuple[str, str, bool]]]:
    """(column, DuckDB type, NOT NULL) of every table the full refresh fills, from the
    CREATE TABLE texts (``sqlport.SCHEMAS``) run in an empty in-memory database."""
    con = duckdb.connect()
    try:
        for name in sqlport.SCHEMAS:
            con.execute(sql(name))
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'NO' "
            "FROM information_schema.columns ORDER BY table_name, ordinal_position").fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, dtype, notnull in rows:
        out.setdefault(table, []).append((column, dtype, bool(notnull)))
    missing = set(sqlport.targets()) - set(out)
    if missing:
        raise LakeError(f"no CREATE TABLE for summary tables {sorted(missing)}")
    return {t: out[t] for t in sqlport.targets()}


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_lake(store: str | Path, lake: str | Path) -> dict:
    """Write the facts the summaries read from ``store`` to the lake directory ``lake``.

    Returns
    -------
    dict
        The manifest (also written to ``<lake>/_lake.json``).
    """
    lake = Path(lake)
    tmp = lake.with_name(f"{lake.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    tables = {}
    try:
        with Store.open(store, read_only=True) as con:
            con.execute("BEGIN TRANSACTION")  # one snapshot for every table
            version = run(con, Q.STORE_VERSION, form="rows")[0][0]
            timezone = con.execute(
                "SELECT value FROM meta WHERE key = 'timezone'").fetchall()[0][0]
            for table in sqlport.sources():
                part = PARTITION_BY.get(table)
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                if part and rows:
                    con.execute(
                        f"COPY (SELECT *, strftime({part}, '%Y-%m') AS {PARTITION_COLUMN} "
                        f"FROM {table}) TO {_quote(tmp / table)} "
                        f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}))")
                else:
                    part = None
                    (tmp / table).mkdir()
                    con.execute(f"COPY {table} TO {_quote(tmp / table / 'data.parquet')} "
                                "(FORMAT parquet)")
                tables[table] = {"partition": PARTITION_COLUMN if part else None, "rows": rows}
            con.execute("COMMIT")
        manifest = {"version": version, "timezone": timezone, "store": str(Path(store)),
                    "tables": tables, "targets": target_schemas()}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        old = lake.with_name(f"{lake.name}.old-{os.getpid()}")
        if lake.exists():
            lake.rename(old)
        tmp.rename(lake)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_manifest(lake: str | Path) -> dict:
    """The lake's manifest; :class:`LakeError` when there is none."""
    path = Path(lake) / MANIFEST
    if not path.is_file():
        raise LakeError(f"no lake at {lake} (no {MANIFEST}; export it first)")
    return json.loads(path.read_text(encoding="utf-8"))


def _files(out: Path, table: str) -> list[str]:
    folder = out / table
    if not folder.is_dir():
        raise LakeError(f"the Spark output has no table {table} ({folder})")
    return sorted(str(p) for p in folder.glob("*.parquet"))


def load_summaries(store: str | Path, out: str | Path, manifest: dict) -> dict[str, int]:
    """Replace the store's summary tables by the Parquet tables under ``out``, in one
    transaction (see the module docstring). Returns the rows per table."""
    out = Path(out)
    files = {table: _files(out, table) for table in sqlport.targets()}  # all there first
    counts = {}
    with Store.open(store, read_only=False) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            version = run(con, Q.STORE_VERSION, form="rows")[0][0]
            if version != manifest["version"]:
                raise LakeError(f"the store changed since the lake was exported (version "
                                f"{version}, lake {manifest['version']}): export it again")
            _ensure_tables(con)
            for table, columns in manifest["targets"].items():
                con.execute(f"DELETE FROM {table}")
                if not files[table]:
                    counts[table] = 0
                    continue
                names = ", ".join(c for c, _, _ in columns)
                values = ", ".join(
                    f"coalesce({c}, 'infinity'::TIMESTAMP)"
                    if c in sqlport.INFINITE.get(table, ()) else c for c, _, _ in columns)
                listing = "[" + ", ".join(_quote(Path(f)) for f in files[table]) + "]"
                con.execute(f"INSERT INTO {table} ({names}) SELECT {values} "
                            f"FROM read_parquet({listing})")
                counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            # the first-call tables (migration 017) are not in the Spark plan: refilled
            # here from the tables just loaded, in the same transaction
            S.refresh_first_call_tables(con)
            con.execute(sql(Q.STORE_BUMP_VERSION))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return counts


def _ensure_tables(con) -> None:
    """Create the summary tables a store lacks, as the DuckDB refresh does."""
    existing = {r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()}
    groups = ((S.SUMMARY_TABLES, Q.SUMMARY_SCHEMA), (S.ANALYSIS_TABLES, Q.ANALYSIS_SCHEMA),
              (S.OVERVIEW_TABLES, Q.OVERVIEW_TABLES_SCHEMA),
              (S.PERIOD_TABLES, Q.ANALYSIS_PERIOD_SCHEMA))
    for tables, schema in groups:
        present = [t for t in tables if t in existing]
        if not present:
            con.execute(sql(schema))
        elif len(present) != len(tables):
            raise LakeError(f"store has only some of {list(tables)}: rebuild it")
