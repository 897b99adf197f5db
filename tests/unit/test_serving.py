"""Published store copies (dashboard/serving.py): the writer keeps its lock while it
publishes, readers move to a new copy, old copies are pruned."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from dashboard import serving
from dashboard.store import building
from queries import names as Q
from queries import sql


def _store(tmp_path):
    path = tmp_path / "s.duckdb"
    with building(path):
        pass
    return path


def _other_process_can_write(path) -> bool:
    out = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r})"],
                         capture_output=True, text=True, timeout=60)
    return out.returncode == 0


def test_publish_keeps_the_writer_lock_and_readers_follow(tmp_path):
    path = _store(tmp_path)
    con = duckdb.connect(str(path))
    try:
        assert serving.publish(con, path)
        first = serving.current(path)
        # the writer still holds the store alone after copying it (a copy made by this
        # process would have dropped DuckDB's POSIX lock on the file)
        assert not _other_process_can_write(path)
        assert not serving.publish(con, path)  # same version: nothing new to publish

        reader = serving.SnapshotStore(path)
        reader.VERSION_TTL = 0  # look at CURRENT on every call
        assert reader.version() == first[1]
        old_cursor = reader.cursor()
        con.execute(sql(Q.STORE_BUMP_VERSION))
        assert serving.publish(con, path)
        second = serving.current(path)
        assert second[0] != first[0] and second[1] != first[1]
        assert reader.version() == second[1]
        assert reader.cursor() is not old_cursor
        # the old cursor still reads the copy it began on
        assert old_cursor.execute("SELECT count(*) FROM meta").fetchone()[0] > 0

        for _ in range(serving.KEEP_SNAPSHOTS + 2):
            serving.publish(con, path, force=True)
        kept = sorted(p.name for p in serving.snapshots_dir(path).glob("*.duckdb"))
        assert len(kept) == serving.KEEP_SNAPSHOTS
        assert serving.current(path)[0] == kept[-1]
        reader.close()
    finally:
        con.close()
