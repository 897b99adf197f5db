"""Store versions: a store written by an older GridCommand is migrated, never misread."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from dashboard import store as store_mod
from dashboard.cli import main
from dashboard.kpi.summaries import refresh_summaries

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.sql"


def _v1_store(path: Path) -> None:
    con = duckdb.connect(str(path))
    text = "\n".join(line for line in V1.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("--"))
    for stmt in re.split(r";[ \t]*\n", text + "\n"):
        if stmt.strip():
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('timezone', 'Asia/Shanghai')")
    con.close()


def _columns(con) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, list] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def test_a_version_1_store_migrates_to_the_schema_of_a_fresh_store(tmp_path):
    old = tmp_path / "old.duckdb"
    _v1_store(old)
    applied = store_mod.ensure_current(old)
    assert applied == [p.name for n, p in store_mod.migrations() if n > 1]
    fresh = tmp_path / "fresh.duckdb"
    with store_mod.building(fresh) as con:
        refresh_summaries(con)
    with duckdb.connect(str(old), read_only=True) as a, \
            duckdb.connect(str(fresh), read_only=True) as b:
        assert _columns(a) == _columns(b)
        assert store_mod.schema_version(a) == store_mod.SCHEMA_VERSION
        meta = dict(a.execute("SELECT key, value FROM meta").fetchall())
        assert re.fullmatch(r"[0-9a-f]{32}", meta["store_id"])
    assert store_mod.ensure_current(old) == []  # current: nothing applied, nothing written


def test_fresh_stores_have_their_own_ids(tmp_path):
    ids = set()
    for name in ("a", "b"):
        with store_mod.building(tmp_path / f"{name}.duckdb") as con:
            ids.add(dict(con.execute("SELECT key, value FROM meta").fetchall())["store_id"])
    assert len(ids) == 2


def test_a_build_runs_under_the_memory_limit_it_is_given(tmp_path):
    """DuckDB's memory while a store is built: 3GB by default (a build beside a server
    leaves it room), or what ``gridcmd demo --memory-limit`` passes down."""
    setting = "SELECT current_setting('memory_limit')"
    with store_mod.building(tmp_path / "default.duckdb") as con:
        assert con.execute(setting).fetchone()[0] == "2.7 GiB"  # 3 GB, as DuckDB prints it
    with store_mod.building(tmp_path / "raised.duckdb", memory_limit="12GB") as con:
        assert con.execute(setting).fetchone()[0] == "11.1 GiB"


def test_an_old_store_is_refused_by_readers_with_the_command_that_fixes_it(tmp_path, capsys):
    old = tmp_path / "old.duckdb"
    _v1_store(old)
    with duckdb.connect(str(old), read_only=True) as con:
        with pytest.raises(store_mod.StoreVersionError, match="gridcmd migrate"):
            store_mod.check_version(con, old)
    assert main(["kpi", "--store", str(old), "--region", "3206", "--from", "2024-01-01",
                 "--to", "2024-01-31"]) == 2
    assert "gridcmd migrate" in capsys.readouterr().err
    assert main(["migrate", "--store", str(old)]) == 0
    assert "schema version" in capsys.readouterr().out


def test_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    with store_mod.building(path) as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(store_mod.StoreVersionError, match="newer"):
        store_mod.ensure_current(path)


def test_a_migration_naming_an_unknown_refill_stops_and_keeps_the_version(tmp_path, monkeypatch):
    """``-- @refill NAME`` accepts only the refreshes migrate knows; anything else rolls the
    migration back with a message that names the file and the known refills."""
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "002_bad.sql").write_text(
        "-- 002_bad\n-- @refill no_such_tables\nCREATE TABLE made_here (x INTEGER);\n",
        encoding="utf-8")
    monkeypatch.setattr(store_mod, "MIGRATIONS_DIR", folder)
    with pytest.raises(RuntimeError, match=r"002_bad\.sql: unknown @refill 'no_such_tables'"):
        store_mod.migrate(con)
    assert store_mod.schema_version(con) == 1
    assert not con.execute("SELECT count(*) FROM duckdb_tables() "
                           "WHERE table_name = 'made_here'").fetchone()[0]
