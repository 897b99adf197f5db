"""Crash safety: the loader is SIGKILLed at random moments; the store always opens, every
batch is in completely or not at all, and rerunning reaches the state of an uninterrupted
load."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import duckdb
import pandas as pd

from tests.unit.ingest_helpers import copy_store, data_checksums, incident_rows

KILLS = 20
ROWS = 100
BATCH = 10


def _file(store, d, f):
    """File ``f``: 40 new cases (case number = line); file 1 updates file 0's cases."""
    con = duckdb.connect(str(store), read_only=True)
    rows = pd.DataFrame(incident_rows(con, ROWS, prefix="CR", seed=f + 1))
    grid_codes = con.execute("SELECT code FROM grids ORDER BY code").df()["code"].tolist()
    con.close()
    src = 0 if f == 1 else f
    rows["case_no"] = [f"CR{src}L{i + 2:04d}" for i in range(ROWS)]
    # one quarantined row per file, by the rule query (a value the CSV parser rejects would
    # shift the lines of the batches: they are counted in records, not lines)
    rows.loc[3, "source"] = "微信"
    # grid codes given: no point-in-polygon, so each run starts quickly (crash safety is
    # about transactions; point-in-polygon is tested elsewhere)
    rows["grid_code"] = grid_codes[:ROWS]
    if f == 1:
        rows["closed_at"] = "2026-11-03 12:00:00"
    path = d / f"crash{f}.csv"
    rows.to_csv(path, index=False)
    return path


def _cmd(store, path):
    # with its progress bar: the bar's first frame on stderr says the batches begin
    return [sys.executable, "-m", "dashboard.cli", "import", "records", "--kind", "incidents",
            "--store", str(store), "--batch-rows", str(BATCH), str(path)]


def _watch(proc) -> threading.Event:
    """Set when the loader starts its batches (its progress bar appears)."""
    started = threading.Event()

    def read():
        buf = b""
        while chunk := proc.stderr.read1(4096):
            buf = (buf + chunk)[-4096:]
            if "行".encode() in buf:
                started.set()
        started.set()

    threading.Thread(target=read, daemon=True).start()
    return started


def _check(store, paths):
    """The store opens (read-write: the WAL is replayed) and batches are all-or-nothing."""
    con = duckdb.connect(str(store))
    try:
        log = con.execute("SELECT source_file, batch_no, rows_in, inserted + updated + "
                          "unchanged + quarantined FROM import_batches "
                          "WHERE source_file LIKE 'crash%'").fetchall()
        done = {(f, b) for f, b, _, _ in log}
        assert all(n == s for _, _, n, s in log)
        for f, path in enumerate(paths):
            if f == 1:
                closed = dict(con.execute(
                    "SELECT (CAST(split_part(case_no, 'L', 2) AS INTEGER) - 2) // $b + 1, "
                    "count(*) FROM incidents WHERE case_no LIKE 'CR0L%' "
                    "AND closed_at = '2026-11-03 12:00:00' GROUP BY 1", {"b": BATCH}).fetchall())
                for b in range(1, ROWS // BATCH + 1):
                    want = BATCH - (b == 1) if (path.name, b) in done else 0
                    assert closed.get(b, 0) == want, (path.name, b, closed)
                continue
            counts = dict(con.execute(
                "SELECT (CAST(split_part(case_no, 'L', 2) AS INTEGER) - 2) // $b + 1, count(*) "
                "FROM incidents WHERE case_no LIKE $p GROUP BY 1",
                {"b": BATCH, "p": f"CR{f}L%"}).fetchall())
            q = dict(con.execute("SELECT (line - 2) // $b + 1, count(*) FROM quarantine "
                                 "WHERE source_file = $n GROUP BY 1",
                                 {"b": BATCH, "n": path.name}).fetchall())
            for b in range(1, ROWS // BATCH + 1):
                got = counts.get(b, 0) + q.get(b, 0)
                if (path.name, b) in done:
                    assert got == BATCH, (path.name, b, got)
                else:
                    assert got == 0, (path.name, b, got)
        return len(done)
    finally:
        con.close()


def test_sigkill_at_random_points(ingest_store, tmp_path):
    rng = random.Random(20261123)
    crashed = copy_store(ingest_store, tmp_path, "crashed.duckdb")
    clean = copy_store(ingest_store, tmp_path, "clean.duckdb")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    paths = [_file(ingest_store, tmp_path, 0)]
    kills, runs, partial, committed = 0, 0, 0, 0
    # files follow each other until 20 kills have happened; the one loading then finishes
    while True:
        proc = subprocess.Popen(_cmd(crashed, paths[-1]), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        runs += 1
        started = _watch(proc)
        # kill at a random moment of the batch phase (the start-up is not interesting)
        started.wait(60)
        deadline = time.monotonic() + (rng.uniform(0.0, 1.8) if kills < KILLS else 600)
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            assert proc.returncode == 0, f"loader failed with {proc.returncode}"
            if kills >= KILLS and len(paths) >= 2:
                break
            paths.append(_file(ingest_store, tmp_path, len(paths)))
        done = _check(crashed, paths)
        # a kill between two batches of one file: the store holds a partial file
        partial += killed and committed < done < len(paths) * ROWS // BATCH
        committed = done
        assert runs < 80
    _check(crashed, paths)
    assert kills >= KILLS and partial >= 3, (kills, partial)
    print(f"{kills} kills in {runs} runs over {len(paths)} files, {partial} mid-file")
    for path in paths:
        subprocess.run(_cmd(clean, path), env=env, check=True, stdout=subprocess.DEVNULL)
    with duckdb.connect(str(crashed), read_only=True) as a, \
            duckdb.connect(str(clean), read_only=True) as b:
        assert data_checksums(a) == data_checksums(b)
        assert a.execute("SELECT count(*) FROM import_batches WHERE source_file LIKE 'crash%'"
                         ).fetchone()[0] == len(paths) * ROWS // BATCH
        assert a.execute("SELECT count(*) FROM import_pending").fetchone()[0] == 0


def test_interrupted_before_the_deferred_refresh(ingest_store, tmp_path, monkeypatch):
    """A multi-batch load that updates records refreshes its summaries once, after its last
    batch (one that only adds cases adds them batch by batch). Interrupted before that, its
    batches are in and their keys wait in import_pending; `gridcmd import repair`, or the
    next load, brings the store to the checksums of an uninterrupted load."""
    from dashboard import cli
    from dashboard.ingest import load as load_mod
    from dashboard.ingest.mapping import Mapping
    from dashboard.kpi import summaries
    from tests.unit.ingest_helpers import connect, summary_checksums

    start = copy_store(ingest_store, tmp_path, "start.duckdb")
    with connect(start) as con:  # file 0's new cases, added batch by batch
        s0 = load_mod.load_files(con, "incidents", Mapping.identity("incidents"),
                                 [_file(ingest_store, tmp_path, 0)], batch_rows=BATCH)
        assert s0.summaries == "additive" and not s0.deferred, s0.report()
    path = _file(ingest_store, tmp_path, 1)  # updates file 0's cases
    clean = copy_store(start, tmp_path, "clean.duckdb")
    with connect(clean) as con:
        s = load_mod.load_files(con, "incidents", Mapping.identity("incidents"), [path],
                                batch_rows=BATCH)
        assert s.deferred and s.summaries == "incremental" and s.batches == ROWS // BATCH
        want = data_checksums(con)
        assert con.execute("SELECT count(*) FROM import_pending").fetchone()[0] == 0

    def interrupted(con):
        raise KeyboardInterrupt

    for finish in ("repair", "rerun"):
        store = copy_store(start, tmp_path, f"{finish}.duckdb")
        monkeypatch.setattr(load_mod, "refresh_pending", interrupted)
        with connect(store) as con:
            before = summary_checksums(con)
            try:
                load_mod.load_files(con, "incidents", Mapping.identity("incidents"), [path],
                                    batch_rows=BATCH)
            except KeyboardInterrupt:
                pass
            assert con.execute("SELECT count(*) FROM import_pending").fetchone()[0] > 0
            assert summary_checksums(con) == before  # stale until the refresh
        monkeypatch.setattr(load_mod, "refresh_pending", summaries.refresh_pending)
        if finish == "repair":
            assert cli.main(["import", "repair", "--store", str(store)]) == 0
        else:
            with connect(store) as con:
                again = load_mod.load_files(con, "incidents", Mapping.identity("incidents"),
                                            [path], batch_rows=BATCH)
                assert again.skipped == ROWS and again.summaries == "incremental"
        with connect(store) as con:
            assert data_checksums(con) == want, finish
            assert con.execute("SELECT count(*) FROM import_pending").fetchone()[0] == 0
