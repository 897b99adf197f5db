"""Helpers shared by the ingest tests: small stores, fixture files, table checksums."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.kpi.summaries import ANALYSIS_TABLES, SUMMARY_TABLES
from dashboard.store import SCHEMA_VERSION, migrate, migrations, schema_version


def copy_store(src: Path, dst_dir: Path, name: str = "store.duckdb") -> Path:
    """A private read-write copy of the session demo store."""
    dst = Path(dst_dir) / name
    shutil.copyfile(src, dst)
    return dst


def table_checksum(con, table: str, digits: int = 3) -> tuple[int, int]:
    """Row count and order-independent hash of a table, doubles rounded (sums of seconds
    added in a different order differ in the last bits)."""
    cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = $t ORDER BY ordinal_position", {"t": table}).fetchall()
    exprs = [f"round({c}, {digits})" if t == "DOUBLE" else c for c, t in cols]
    n, h = con.execute(f"SELECT count(*), coalesce(sum(hash(({', '.join(exprs)}))), 0) "
                       f"FROM {table}").fetchone()
    return int(n), int(h)


def table_frame(con, table: str) -> pd.DataFrame:
    """A table's rows in the order of all its columns, to compare with a tolerance
    (``pd.testing.assert_frame_equal(..., rtol=1e-9)``) where a rounded checksum would see
    a sum of hours added in another order at a half of its last digit (satisfaction_city's
    ``hours_sum``)."""
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()


def summary_checksums(con) -> dict[str, tuple[int, int]]:
    return {t: table_checksum(con, t) for t in SUMMARY_TABLES + ANALYSIS_TABLES}


DATA_TABLES = ("incidents", "hazards", "key_persons", "key_person_pii", "sensor_readings",
               "quarantine")


def data_checksums(con) -> dict[str, tuple[int, int]]:
    return {t: table_checksum(con, t) for t in DATA_TABLES + SUMMARY_TABLES}


def sample_grids(con, n: int, seed: int = 1) -> pd.DataFrame:
    return con.execute(f"SELECT code, lon, lat FROM grids USING SAMPLE {int(n)} ROWS "
                       f"(reservoir, {int(seed)}) ORDER BY code").df()


def incident_rows(con, n: int, prefix: str = "T", seed: int = 1, day: str = "2026-11-01"):
    """``n`` clean incident records in our own column names (identity mapping)."""
    g = sample_grids(con, n, seed)
    rows = []
    for i in range(n):
        rows.append({
            "case_no": f"{prefix}{i:07d}", "source": "12345热线", "category_code": "E0102",
            "lon": float(g.lon[i % len(g)]), "lat": float(g.lat[i % len(g)]),
            "reported_at": f"{day} 08:{i % 60:02d}:00",
            "registered_at": f"{day} 09:00:00",
            "closed_at": f"{day} 18:00:00" if i % 3 else "",
        })
    return rows


def connect(path: Path):
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    return con


def migrate_from(con, number: int) -> None:
    """Mark the store as one version before migration ``number`` (its tables already
    undone by the caller) and migrate it: exactly ``number`` and every later migration
    must run, and the store must end current."""
    con.execute("UPDATE meta SET value = $v WHERE key = 'schema_version'",
                {"v": str(number - 1)})
    assert migrate(con) == [path.name for n, path in migrations() if n >= number]
    assert schema_version(con) == SCHEMA_VERSION
