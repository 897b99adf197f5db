"""A file larger than one batch (or than one XLSX staging chunk) imports exactly as the
same file in one batch: the same rows, the same quarantine rows per rule, the same
placeholder points and the same summaries. The real-world Lakeport 311 export is loaded
with its mapping (value maps, 12-hour US times, wards through code_map, a placeholder
point, rows to quarantine) into the store its README builds."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard.ingest import readers
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.summaries import SUMMARY_TABLES
from tests.unit.ingest_helpers import connect

ROOT = Path(__file__).resolve().parents[2]
LAKEPORT = ROOT / "tests" / "fixtures" / "realworld" / "lakeport_311"
EXPORT = LAKEPORT / "service_requests_2024H1.csv.gz"


def _gridcmd(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=LAKEPORT, env=env,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The Lakeport store of the fixture README, before its records are imported."""
    path = tmp_path_factory.mktemp("batches") / "lakeport.duckdb"
    _gridcmd("import", "boundaries", "--out", str(path), "--timezone", "America/Chicago",
             "--area-name", "Lakeport", "wards.geojson:level=ward,code=ward,name=ward_name",
             "precincts.geojson:level=precinct,code=PREC_ID,name=PREC_ID,crs=EPSG:3435",
             "--quiet")
    _gridcmd("import", "taxonomy", "--store", str(path), "--field", "category", "sr_types.csv",
             "--columns", "code=SR_SHORT_CODE,minor_name=SR_TYPE,major_name=SR_GROUP,"
             "deadline_days=SLA_DAYS,dept_kind=OWNER_DEPARTMENT")
    return path


def _import(base: Path, tmp: Path, name: str, path: Path, batch_rows: int):
    store = tmp / f"{name}.duckdb"
    shutil.copyfile(base, store)
    con = connect(store)
    mapping = Mapping.load(LAKEPORT / "mappings" / "requests.toml", kind="incidents")
    if path.suffix == ".xlsx":  # the same export saved from a spreadsheet
        mapping = dataclasses.replace(mapping, format="xlsx")
    summary = load_files(con, "incidents", mapping, [path], batch_rows=batch_rows,
                         display_names={path: "export"})
    assert summary.balanced(), summary.report()
    return con, summary


def _tables(con) -> dict[str, pd.DataFrame]:
    """Every stored row that an import writes, without the batch ids (which number the
    batches), in a fixed order."""
    out = {}
    for table, order in [("incidents", "case_no"), ("quarantine", "line"),
                         ("taxonomy", "field, code")] + [(t, None) for t in SUMMARY_TABLES]:
        frame = con.execute(f"SELECT * FROM {table}").df()
        frame = frame.drop(columns=[c for c in ("batch_id", "id") if c in frame.columns])
        keys = order.split(", ") if order else list(frame.columns)
        out[table] = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return out


def _same(one, many) -> None:
    s1, s2 = one[1], many[1]
    assert s1.batches == 1 and s2.batches > 1
    for name in ("rows_in", "inserted", "updated", "unchanged", "quarantined",
                 "outside_grid", "tz_naive", "tz_offset", "no_deadline"):
        assert getattr(s1, name) == getattr(s2, name), name
    assert s1.by_rule == s2.by_rule
    assert s1.quarantined > 0 and len(s1.by_rule) >= 2  # the export has rows to quarantine
    assert [t.as_dict() for t in s1.placeholders.values()] == \
        [t.as_dict() for t in s2.placeholders.values()]
    assert s1.placeholders  # the city hall point of the export
    a, b = _tables(one[0]), _tables(many[0])
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)
    assert len(a["incidents"]) == s1.loaded
    assert len(a["quarantine"]) == s1.quarantined


def test_a_file_of_many_batches_imports_as_one_batch(base, tmp_path):
    one = _import(base, tmp_path, "one", EXPORT, batch_rows=1_000_000)
    many = _import(base, tmp_path, "many", EXPORT, batch_rows=777)
    try:
        assert many[1].batches == 8  # 6,000 rows in batches of 777
        _same(one, many)
        rules = many[0].execute("SELECT rule, count(*) FROM quarantine GROUP BY rule"
                                ).fetchall()
        assert dict(rules) == dict(many[1].by_rule)
    finally:
        one[0].close()
        many[0].close()


def test_an_xlsx_staged_in_chunks_imports_as_one_chunk(base, tmp_path, monkeypatch):
    frame = pd.read_csv(EXPORT, dtype=str, keep_default_na=False).iloc[:2500]
    path = tmp_path / "export.xlsx"
    frame.to_excel(path, index=False)
    one = _import(base, tmp_path, "one", path, batch_rows=1_000_000)
    monkeypatch.setattr(readers, "XLSX_CHUNK_ROWS", 300)
    many = _import(base, tmp_path, "many", path, batch_rows=700)
    try:
        assert many[1].batches == 4
        _same(one, many)
    finally:
        one[0].close()
        many[0].close()


def test_an_import_holds_duckdb_memory_at_the_import_limit_and_restores_it():
    import duckdb

    from dashboard.ingest.load import bounded_memory, limit_bytes

    def limit(con):
        return limit_bytes(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    with duckdb.connect() as con:
        con.execute("SET memory_limit = '4GB'")
        before = limit(con)
        with bounded_memory(con, "1GB"):
            assert limit(con) <= 1e9
        # DuckDB shows its limit to a tenth of its unit (3.7 GiB): restored as shown
        assert limit(con) == pytest.approx(before, rel=0.03)
        con.execute("SET memory_limit = '512MB'")  # a lower limit is kept
        low = limit(con)
        with bounded_memory(con, "1GB"):
            assert limit(con) == low
        assert limit(con) == low
        with pytest.raises(RuntimeError), bounded_memory(con, "100MB"):
            raise RuntimeError("a failed import restores the limit too")
        assert limit(con) == pytest.approx(low, rel=0.03)
