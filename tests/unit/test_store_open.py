"""``Store.open``: the one way a command or script opens a store file, checked."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from dashboard import store as store_mod
from dashboard.store import Store, StoreOpenError, StoreVersionError
from tests.unit.test_store import _v1_store


@pytest.fixture
def current(tmp_path):
    path = tmp_path / "current.duckdb"
    with store_mod.building(path):
        pass
    return path


def test_read_only_reads_and_refuses_every_write(current):
    before = current.read_bytes()
    with Store.open(current) as con:
        assert store_mod.schema_version(con) == store_mod.SCHEMA_VERSION
        for stmt in ("CREATE TABLE x (a INTEGER)",
                     "UPDATE meta SET value = 'x' WHERE key = 'timezone'",
                     "INSERT INTO meta VALUES ('k', 'v')"):
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute(stmt)
    with pytest.raises(duckdb.ConnectionException):  # closed at the end of the block
        con.execute("SELECT 1")
    assert current.read_bytes() == before


def test_read_only_refuses_an_older_store_and_writing_migrates_it(tmp_path):
    old = tmp_path / "old.duckdb"
    _v1_store(old)
    with pytest.raises(StoreVersionError, match="gridcmd migrate"):
        Store.open(old)
    assert not store_mod.id_file(old).exists()
    with Store.open(old, read_only=False) as con:
        assert store_mod.schema_version(con) == store_mod.SCHEMA_VERSION
        con.execute("CREATE TABLE scratch (a INTEGER)")  # the writer may write
        store_id = store_mod.store_id_of(con)
    assert store_mod.read_id_file(old) == store_id
    with Store.open(old) as con:
        assert con.execute("SELECT count(*) FROM scratch").fetchone()[0] == 0


def test_a_newer_store_is_refused_either_way(current):
    with duckdb.connect(str(current)) as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    for read_only in (True, False):
        with pytest.raises(StoreVersionError, match="newer"):
            Store.open(current, read_only=read_only)


def test_missing_foreign_and_held_files_are_clear_errors(current, tmp_path):
    with pytest.raises(FileNotFoundError, match="store not found"):
        Store.open(tmp_path / "none.duckdb")
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("not a database")
    with pytest.raises(StoreOpenError, match=f"cannot open store {bogus}") as err:
        Store.open(bogus)
    assert not err.value.locked and "\n" not in str(err.value)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()  # a DuckDB file, but not a GridCommand store
    with pytest.raises(StoreVersionError, match="not a GridCommand store"):
        Store.open(other)
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ok', flush=True); time.sleep(60)", str(current)],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ok"
        for read_only in (True, False):
            with pytest.raises(StoreOpenError) as err:
                Store.open(current, read_only=read_only)
            assert err.value.locked, err.value
    finally:
        holder.kill()
        holder.wait()
