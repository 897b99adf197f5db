"""Grouped publishing in the intake writer (``dashboard/serving.py`` ``IntakeWriter``):
batches that arrive together are written one at a time and published by one copy of the
store, and each is answered only once a published copy holds it.

The writer is the real class on a real copy of the demo store, called from threads as
gunicorn's dirty worker calls it with ``dirty_threads`` > 1; ``publish`` is the real one,
wrapped to count the copies it makes."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import orjson

from dashboard import serving
from dashboard.settings import Settings
from tests.unit.ingest_helpers import copy_store, incident_rows

BATCHES = 6


def _published_cases(store: Path, prefix: str) -> int:
    """Rows of ``prefix`` in the copy CURRENT names (read with plain DuckDB)."""
    name, _ = serving.current(store)
    path = serving.snapshots_dir(store) / name
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, $p)",
                           {"p": prefix}).fetchall()[0][0]


def test_batches_arriving_together_share_one_copy(demo_store, tmp_path, monkeypatch):
    store = copy_store(demo_store, tmp_path)
    with duckdb.connect(str(store), read_only=True) as con:
        batches = [incident_rows(con, 5, prefix=f"G{i}-", seed=i) for i in range(BATCHES)]
    spool = []
    for i, rows in enumerate(batches):
        path = tmp_path / f"batch{i}.json"
        path.write_bytes(orjson.dumps(rows))
        spool.append(path)
    settings = Settings.load(store=store, demo_on_start=False, intake_token="t" * 32)
    monkeypatch.setattr(serving, "_settings_for_writer", settings)
    serving.prepare_snapshots(store)
    copies = []
    real = serving.publish

    def counted(con, path, force=False):
        made = real(con, path, force)
        if made:
            copies.append(serving.current(path)[0])
        return made

    monkeypatch.setattr(serving, "publish", counted)
    writer = serving.IntakeWriter()
    writer.init()
    try:
        assert copies == []  # the store was published before: nothing new to copy
        start = threading.Barrier(BATCHES)
        answers, seen, errors = {}, {}, []

        def send(i):
            try:
                start.wait()
                answers[i] = orjson.loads(writer.records("incidents", str(spool[i]), "test"))
                # answered: the published copy holds the batch already
                seen[i] = _published_cases(store, f"G{i}-")
            except Exception as exc:  # any failure fails the test below
                errors.append(repr(exc))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(BATCHES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert errors == [] and not any(t.is_alive() for t in threads), errors
        assert all(answers[i]["summary"]["inserted"] == 5 for i in range(BATCHES)), answers
        assert seen == {i: 5 for i in range(BATCHES)}
        # fewer copies than batches: the ones queued behind the lock went into one copy
        assert 1 <= len(copies) < BATCHES, copies
        assert writer.published == writer.committed == BATCHES
    finally:
        writer.close()
    # everything committed is in the store file, as in the last copy
    with duckdb.connect(str(store), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, 'G')"
                        ).fetchall()[0][0]
    assert n == 5 * BATCHES
