"""Grouped publishing in the intake writer (``dashboard/serving.py`` ``IntakeWriter``):
batches that arrive together are written one at a time and published by one copy of the
store, and each is answered only once a published copy holds it; what a rescoring round
writes rides the next batch's copy, or a copy of its own when no batch comes.

The writer is the real class on a real copy of the demo store, called from threads as
gunicorn's dirty worker calls it with ``dirty_threads`` > 1; ``publish`` is the real one,
wrapped to count the copies it makes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import orjson
import pytest

from dashboard import serving
from dashboard.settings import Settings
from queries import names as Q
from queries import sql
from tests.unit.ingest_helpers import copy_store, incident_rows

BATCHES = 6


@pytest.fixture(autouse=True)
def _background_at_once(monkeypatch):
    """A background write (a rescoring round) is published by a copy of its own at once,
    as these tests were written for; the tests of its wait for the next batch set it."""
    monkeypatch.setattr(serving, "BACKGROUND_PUBLISH_SECONDS", 0.0)


def _published_cases(store: Path, prefix: str) -> int:
    """Rows of ``prefix`` in the copy CURRENT names (read with plain DuckDB)."""
    name, _ = serving.current(store)
    path = serving.snapshots_dir(store) / name
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, $p)",
                           {"p": prefix}).fetchall()[0][0]


def _settings(store) -> Settings:
    """The writer's settings for a writer run in this process: at the test runner's own
    priority (writer_nice 0), which a served writer would lower for the whole process."""
    return Settings.load(store=store, demo_on_start=False, intake_token="t" * 32,
                         writer_nice=0)


def _recorded_publishes(monkeypatch) -> list:
    """Wrap the real ``serving.publish``: each copy it makes appends (how, CURRENT after
    it) to the list returned."""
    made = []
    real = serving.publish

    def recorded(con, path, force=False, whole=False, rebased=None):
        how = real(con, path, force, whole, rebased)
        if how:
            made.append((how, serving.current(path)))
        return how

    monkeypatch.setattr(serving, "publish", recorded)
    return made


def test_batches_arriving_together_share_one_copy(demo_store, tmp_path, monkeypatch):
    store = copy_store(demo_store, tmp_path)
    with duckdb.connect(str(store), read_only=True) as con:
        batches = [incident_rows(con, 5, prefix=f"G{i}-", seed=i) for i in range(BATCHES)]
    spool = []
    for i, rows in enumerate(batches):
        path = tmp_path / f"batch{i}.json"
        path.write_bytes(orjson.dumps(rows))
        spool.append(path)
    settings = _settings(store)
    monkeypatch.setattr(serving, "_settings_for_writer", settings)
    serving.prepare_snapshots(store)
    copies = _recorded_publishes(monkeypatch)
    writer = serving.IntakeWriter()
    writer.init()
    try:
        assert copies == []  # the store was published before: nothing new to copy
        # the grids' point-in-polygon index was built at start, not by the first batch
        assert writer.intake._area is not None
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


def _rebasing_writer(store, tmp_path, monkeypatch, copy_file=None):
    """A writer on ``store`` that rebases as soon as it is idle for 0.3 s with any WAL,
    recording every publish as (how, CURRENT after it)."""
    settings = _settings(store)
    monkeypatch.setattr(serving, "_settings_for_writer", settings)
    monkeypatch.setattr(serving, "WAL_REBASE", 1)
    monkeypatch.setattr(serving, "REBASE_IDLE_SECONDS", 0.3)
    if copy_file is not None:
        monkeypatch.setattr(serving, "copy_file", copy_file)
    serving.prepare_snapshots(store)
    hows = _recorded_publishes(monkeypatch)
    writer = serving.IntakeWriter()
    writer.init()
    return writer, hows


def _batch_file(store: Path, tmp_path: Path, prefix: str, seed: int) -> Path:
    with duckdb.connect(str(store), read_only=True) as con:
        rows = incident_rows(con, 5, prefix=prefix, seed=seed)
    path = tmp_path / f"{prefix}.json"
    path.write_bytes(orjson.dumps(rows))
    return path


def _wait_rebased(writer, hows) -> None:
    deadline = time.monotonic() + 60
    while not hows or hows[-1][0] != "rebased" or writer.rebase_pending:
        assert time.monotonic() < deadline, "no rebase while idle"
        time.sleep(0.1)


def test_an_idle_writer_copies_the_store_whole_once_its_wal_is_long(demo_store, tmp_path,
                                                                     monkeypatch):
    """Batches publish by shipping the WAL; once the WAL passes WAL_REBASE and no batch has
    come for REBASE_IDLE_SECONDS, the writer checkpoints the store and copies it whole: the
    copy it then publishes is a link to that new base, with only what was written since
    the checkpoint to replay. The data and the version stay as they were."""
    store = copy_store(demo_store, tmp_path)
    batch = _batch_file(store, tmp_path, "R0-", 1)
    writer, hows = _rebasing_writer(store, tmp_path, monkeypatch)
    old_base = None
    try:
        answer = orjson.loads(writer.records("incidents", str(batch), "test"))
        assert answer["summary"]["inserted"] == 5
        folder = serving.snapshots_dir(store)
        shipped = hows[-1][1]
        assert hows[-1][0] == "shipped" and (folder / (shipped[0] + ".wal")).is_file()
        long_wal = (folder / (shipped[0] + ".wal")).stat().st_size
        # held open so that its inode stays allocated: once every link of the old base is
        # pruned, a later file may otherwise get the same inode number (CI saw it happen)
        old_base = os.open(folder / shipped[0], os.O_RDONLY)
        # the batch's rescoring round publishes too (shipped, or on the new base when the
        # rebase came first and the round's log is long again): wait for both to settle
        assert writer.intake.rescorer.wait(timeout=120) and writer.background_settled(120)
        _wait_rebased(writer, hows)
        rebased = serving.current(store)
        assert rebased == hows[-1][1]
        # the copy holds every committed write, the store's own version: usually that of
        # the copy before it, but the batch's rescoring round may commit just before the
        # rebase's checkpoint and be published by the rebase instead of shipped first (CI
        # saw :1:1 shipped, then :1:4 rebased)
        assert rebased[1] == writer.store.version()
        base = (folder / serving.BASE).read_text().split("\n")[0]
        assert base == rebased[0]  # later batches ship on this copy's file
        # a new file (not a link of the old base), with less to replay than before
        assert (folder / rebased[0]).stat().st_ino != os.fstat(old_base).st_ino
        assert serving.wal_size(folder / rebased[0]) == serving.wal_size(store) < long_wal
        assert _published_cases(store, "R0-") == 5
    finally:
        writer.close()
        if old_base is not None:
            os.close(old_base)


def test_a_batch_is_written_while_the_rebase_copies_and_ships_on_the_new_base(
        demo_store, tmp_path, monkeypatch):
    """The rebase holds the write lock only for its CHECKPOINT. A batch arriving while the
    store file is copied is written at once (not after the copy); its answer waits for the
    copy, and the copy that holds it ships its WAL on the new base: no second whole copy,
    nothing lost, the version the store's."""
    store = copy_store(demo_store, tmp_path)
    first = _batch_file(store, tmp_path, "W0-", 1)
    second = _batch_file(store, tmp_path, "W1-", 2)
    copying, release = threading.Event(), threading.Event()
    copied = []
    real_copy = serving.copy_file

    def gated(source, target):  # the rebase's real copy, held until the test lets it go
        if not target.name.startswith(".rebase."):
            return real_copy(source, target)  # a whole copy (the first publish)
        copying.set()
        assert release.wait(120)
        real_copy(source, target)
        copied.append(target.stat().st_ino)

    writer, hows = _rebasing_writer(store, tmp_path, monkeypatch, copy_file=gated)
    try:
        orjson.loads(writer.records("incidents", str(first), "test"))
        assert copying.wait(120), "the rebase did not start"
        assert serving.wal_size(store) == 0  # checkpointed before the copy began
        answers = []
        t = threading.Thread(target=lambda: answers.append(
            orjson.loads(writer.records("incidents", str(second), "test"))))
        t.start()
        cur = writer.store.cursor()
        deadline = time.monotonic() + 120
        while cur.execute("SELECT count(*) FROM incidents WHERE starts_with(case_no, 'W1-')"
                          ).fetchone()[0] < 5:
            assert time.monotonic() < deadline, "the batch was not written during the copy"
            time.sleep(0.1)
        assert serving.wal_size(store) > 0  # written to the WAL, the file as checkpointed
        time.sleep(0.5)
        assert answers == [] and t.is_alive()  # answered only once a copy holds it
        assert hows[-1][0] == "shipped"  # nothing published while the copy ran
        release.set()
        t.join(120)
        assert answers and answers[0]["summary"]["inserted"] == 5
        assert _published_cases(store, "W1-") == 5 and _published_cases(store, "W0-") == 5
        assert "whole" not in [how for how, _ in hows]
        after = [how for how, _ in hows][[how for how, _ in hows].index("rebased"):]
        assert after[0] == "rebased" and set(after[1:]) <= {"shipped"}
        folder = serving.snapshots_dir(store)
        name, version = serving.current(store)
        assert (folder / name).stat().st_ino == copied[0]  # a link of the rebased copy
        with duckdb.connect(str(folder / name), read_only=True) as con:
            assert con.execute(sql(Q.STORE_VERSION)).fetchone()[0] == version
    finally:
        release.set()
        writer.close()


def test_a_batch_being_written_when_the_writer_looked_idle_publishes_before_the_rebase(
        demo_store, tmp_path, monkeypatch):
    """A batch holds the write lock while it is written, so nothing counts it as queued:
    the rebase, finding the writer idle, waited for the lock and could take it before the
    batch's publish (which comes a moment later when it waits for the batches queued
    behind it), so the batch waited for the checkpoint and the copy too. The rebase now
    gives way when a batch was committed while it waited: the batch ships first, the
    rebase follows once the writer is idle again."""
    store = copy_store(demo_store, tmp_path)
    first = _batch_file(store, tmp_path, "I0-", 1)
    second = _batch_file(store, tmp_path, "I1-", 2)
    writer, hows = _rebasing_writer(store, tmp_path, monkeypatch)
    try:
        monkeypatch.setattr(serving, "WAL_REBASE", 2**40)  # no rebase yet
        orjson.loads(writer.records("incidents", str(first), "test"))
        # its round written and published
        assert writer.intake.rescorer.wait(timeout=120) and writer.background_settled(120)
        assert not writer.rebase_pending
        monkeypatch.setattr(serving, "WAL_REBASE", 1)
        monkeypatch.setattr(serving, "REBASE_IDLE_SECONDS", 0.5)
        writing, release = threading.Event(), threading.Event()

        def slow_write(path):  # a batch that takes a while to write, holding the lock
            writing.set()
            assert release.wait(60)
            return writer.intake.write_records(
                "incidents", orjson.loads(Path(path).read_bytes()), "test")

        real_publish = writer._publish_through

        def later(batch):  # its publish a moment after its write, as when it waits for
            time.sleep(0.3)  # the batches queued behind it (GROUP_SECONDS)
            real_publish(batch)

        monkeypatch.setattr(writer, "_publish_through", later)
        writer._copy()  # nothing new to publish; the WAL is long: the rebase thread starts
        assert writer.rebase_pending
        answers = []
        t = threading.Thread(target=lambda: answers.append(
            orjson.loads(writer._write(slow_write, str(second)))))
        t.start()
        assert writing.wait(60)
        time.sleep(1.5)  # the rebase sees no batch committed, queued or published
        mark = len(hows)
        release.set()
        t.join(120)
        assert answers and answers[0]["summary"]["inserted"] == 5
        # the batch's own publish shipped it; no rebase came between its write and answer
        assert [how for how, _ in hows[mark:]][:1] == ["shipped"], hows[mark:]
        assert _published_cases(store, "I1-") == 5
        assert writer.intake.rescorer.wait(timeout=120) and writer.background_settled(120)
        _wait_rebased(writer, hows)  # ... and the rebase came after, once idle
    finally:
        writer.close()


def test_a_publish_waits_for_a_background_write_and_holds_it(demo_store, tmp_path,
                                                             monkeypatch):
    """A background at-risk refit writes through the store's own write lock, not the
    writer's batch lock; a publish under way then copied a store that changed beneath it (a
    copy whose version did not match, at 10M). The publish takes the store's write lock:
    it waits for a write in progress and publishes what that write committed."""
    store = copy_store(demo_store, tmp_path)
    settings = _settings(store)
    monkeypatch.setattr(serving, "_settings_for_writer", settings)
    serving.prepare_snapshots(store)
    writer = serving.IntakeWriter()
    writer.init()
    try:
        before = serving.current(store)
        started, release = threading.Event(), threading.Event()

        def refit_like():  # a write of its own, as foresight.run.refit_in_background does
            with writer.store.writer() as cur:
                cur.execute("UPDATE meta SET value = value WHERE key = 'store_id'")
                started.set()
                release.wait(10)

        t = threading.Thread(target=refit_like)
        t.start()
        assert started.wait(10)
        threading.Timer(1.0, release.set).start()
        began = time.monotonic()
        writer._copy()  # what a batch's publish or a finished refit calls
        waited = time.monotonic() - began
        t.join(10)
        after = serving.current(store)
        assert waited >= 0.9, waited  # it waited for the write to finish
        # the write bumped the version, and the copy published holds it
        assert after[1] != before[1]
        with duckdb.connect(str(serving.snapshots_dir(store) / after[0]), read_only=True) as c:
            assert c.execute(sql(Q.STORE_VERSION)).fetchone()[0] == after[1]
    finally:
        writer.close()


def _published_scores(store: Path, prefix: str) -> int:
    """At-risk scores of ``prefix`` in the copy CURRENT names."""
    name, _ = serving.current(store)
    with duckdb.connect(str(serving.snapshots_dir(store) / name), read_only=True) as con:
        return con.execute("SELECT count(*) FROM foresight_scores WHERE kind = 'risk' "
                           "AND starts_with(case_no, $p)", {"p": prefix}).fetchall()[0][0]


def _open_batch(store: Path, tmp_path: Path, prefix: str, n: int) -> tuple[Path, list]:
    """A spooled batch of ``n`` cases still open, registered an hour before the newest."""
    with duckdb.connect(str(store), read_only=True) as con:
        rows = incident_rows(con, n, prefix=prefix, seed=n)
        (last,) = con.execute("SELECT max(registered_at) FROM incidents").fetchone()
    for r in rows:
        r.update(reported_at=str(last.replace(microsecond=0)),
                 registered_at=str(last.replace(microsecond=0)), closed_at="")
    path = tmp_path / f"{prefix}.json"
    path.write_bytes(orjson.dumps(rows))
    return path, rows


def test_the_scores_follow_the_answer_in_a_later_copy_and_a_new_writer_catches_up(
        demo_store, tmp_path, monkeypatch):
    """The writer answers a batch once a published copy holds its cases; the rescoring
    round runs after the answer and publishes again, so a later copy holds their scores.
    A writer stopped after a commit whose round never ran (a batch loaded without one):
    the next writer's ``init`` rescores it and publishes the scores."""
    from dashboard.ingest.load import load_records

    store = copy_store(demo_store, tmp_path)
    settings = _settings(store)
    monkeypatch.setattr(serving, "_settings_for_writer", settings)
    serving.prepare_snapshots(store)
    spooled, _ = _open_batch(store, tmp_path, "S1-", 4)
    _, later = _open_batch(store, tmp_path, "S2-", 3)
    writer = serving.IntakeWriter()
    writer.init()
    try:
        answer = orjson.loads(writer.records("incidents", str(spooled), "test"))
        assert answer["summary"]["inserted"] == 4
        assert answer["summary"]["rescoring"] == "queued"
        assert _published_cases(store, "S1-") == 4
        answered = serving.current(store)
        assert writer.intake.rescorer.wait(timeout=120) and writer.background_settled(120)
        assert serving.current(store) != answered  # the round published a new copy
        assert _published_scores(store, "S1-") == 4
        # a batch committed with no round after it, as when the writer is killed after
        # its commit
        with writer.store.writer() as cur:
            assert load_records(cur, "incidents", later, source="http:test").loaded == 3
    finally:
        writer.close()
    serving.prepare_snapshots(store)  # as the arbiter does before a new writer
    assert _published_cases(store, "S2-") == 3 and _published_scores(store, "S2-") == 0
    writer = serving.IntakeWriter()
    writer.init()
    try:
        assert writer.intake.rescorer.wait(timeout=120) and writer.background_settled(120)
        assert writer.intake.rescorer.rounds == 1
        assert _published_scores(store, "S2-") == 3
    finally:
        writer.close()


def _scoring_writer(store, monkeypatch, wait: float):
    """A writer on ``store`` whose background writes wait ``wait`` seconds for a batch's
    copy, recording its copies (:func:`_recorded_publishes`)."""
    monkeypatch.setattr(serving, "BACKGROUND_PUBLISH_SECONDS", wait)
    monkeypatch.setattr(serving, "_settings_for_writer", _settings(store))
    serving.prepare_snapshots(store)
    copies = _recorded_publishes(monkeypatch)
    writer = serving.IntakeWriter()
    writer.init()
    return writer, copies


def test_a_rescoring_round_rides_the_next_batch_s_copy(demo_store, tmp_path, monkeypatch):
    """Under steady intake each copy makes every worker open a new database and compute
    its pages again: a round's scores wait for the next batch's copy instead of making a
    copy of their own, and that one copy holds the batch and the scores."""
    store = copy_store(demo_store, tmp_path)
    first, _ = _open_batch(store, tmp_path, "B1-", 4)
    second, _ = _open_batch(store, tmp_path, "B2-", 3)
    writer, copies = _scoring_writer(store, monkeypatch, wait=600.0)
    try:
        orjson.loads(writer.records("incidents", str(first), "test"))
        assert len(copies) == 1 and _published_cases(store, "B1-") == 4
        assert writer.intake.rescorer.wait(timeout=120)
        time.sleep(0.5)
        assert len(copies) == 1 and _published_scores(store, "B1-") == 0  # not yet
        with writer.store.still() as con:  # ... but stored in the writer's store
            assert con.execute("SELECT count(*) FROM foresight_scores WHERE kind = 'risk' "
                               "AND starts_with(case_no, 'B1-')").fetchone()[0] == 4
        assert not writer.background_settled(0.1)
        orjson.loads(writer.records("incidents", str(second), "test"))
        assert len(copies) == 2  # one copy for the batch and the scores before it
        assert _published_cases(store, "B2-") == 3 and _published_scores(store, "B1-") == 4
        assert writer.background_settled(0.1)
    finally:
        writer.close()


def test_a_rescoring_round_with_no_batch_after_it_is_published_alone(
        demo_store, tmp_path, monkeypatch):
    """No batch comes: the round's scores get a copy of their own once
    ``BACKGROUND_PUBLISH_SECONDS`` have passed."""
    store = copy_store(demo_store, tmp_path)
    batch, _ = _open_batch(store, tmp_path, "N1-", 4)
    writer, copies = _scoring_writer(store, monkeypatch, wait=1.0)
    try:
        orjson.loads(writer.records("incidents", str(batch), "test"))
        answered = serving.current(store)
        assert writer.intake.rescorer.wait(timeout=120)
        assert writer.background_settled(120)
        assert len(copies) == 2 and serving.current(store) != answered
        assert _published_scores(store, "N1-") == 4
    finally:
        writer.close()


def test_scores_left_unpublished_by_a_closed_writer_are_published_at_the_next_start(
        demo_store, tmp_path, monkeypatch):
    """A writer stopped while a round's scores wait for a batch publishes nothing more;
    the scores are in its store, and the next start publishes them."""
    store = copy_store(demo_store, tmp_path)
    batch, _ = _open_batch(store, tmp_path, "C1-", 4)
    writer, copies = _scoring_writer(store, monkeypatch, wait=600.0)
    try:
        orjson.loads(writer.records("incidents", str(batch), "test"))
        assert writer.intake.rescorer.wait(timeout=120)
    finally:
        writer.close()
    time.sleep(0.5)
    assert len(copies) == 1 and _published_scores(store, "C1-") == 0
    serving.prepare_snapshots(store)  # as the arbiter does before a new writer
    assert _published_scores(store, "C1-") == 4
