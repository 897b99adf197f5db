"""Published store copies (dashboard/serving.py): the writer keeps its lock while it
publishes, readers move to a new copy, old copies are pruned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_a_thread_arriving_while_another_opens_the_new_copy_waits_for_it(tmp_path, monkeypatch):
    """The flaw behind an intake test's stale export (1 run in ~10): one thread looked at
    CURRENT and was still opening the new copy when another request's thread arrived; that
    thread found the look recent and read on from the old copy, a second after the publish.
    """
    import threading
    import time

    path = _store(tmp_path)
    con = duckdb.connect(str(path))
    try:
        serving.publish(con, path)
        reader = serving.SnapshotStore(path)
        first_version = reader.version()
        reader.VERSION_TTL = 5  # only the test decides when a look is due
        con.execute(sql(Q.STORE_BUMP_VERSION))
        serving.publish(con, path)
        new_version = serving.current(path)[1]
        assert new_version != first_version

        opening, slow = threading.Event(), serving._connect_file

        def slow_open(*args, **kwargs):  # opening a large copy takes a while
            opening.set()
            time.sleep(0.5)
            return slow(*args, **kwargs)

        monkeypatch.setattr(serving, "_connect_file", slow_open)
        seen, go = {}, threading.Event()

        def second():  # a server thread that read the old copy before (threads are reused)
            reader.cursor()
            go.wait(10)  # a new request arrives while the first thread opens the new copy
            cur = reader.cursor()
            seen["version"] = reader.version()
            seen["reads"] = cur.execute(sql(Q.STORE_VERSION)).fetchone()[0]

        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.2)
        reader._looked = float("-inf")  # the TTL has passed since the last look
        first = threading.Thread(target=reader.cursor)
        first.start()
        assert opening.wait(10)
        go.set()
        first.join(10)
        t.join(10)
        assert seen == {"version": new_version, "reads": new_version}
        reader.close()
    finally:
        con.close()


# --- shipping the WAL over a hard-linked base (serving.publish) -------------------------------


def _write(con, rows: int, start: int = 0) -> None:
    """One committed write of ``rows`` rows, and the store version moved (as a batch does)."""
    con.execute("INSERT INTO probe SELECT range + $s, 'r' || (range + $s) FROM range($n)",
                {"s": start, "n": rows})
    con.execute(sql(Q.STORE_BUMP_VERSION))


def _probe_rows(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM probe").fetchone()[0]


def _writer(tmp_path):
    path = _store(tmp_path)
    con = duckdb.connect(str(path))
    con.execute(f"SET checkpoint_threshold = '{serving.WAL_SHIP_LIMIT // 2**20}MB'")
    con.execute("CREATE TABLE probe (i BIGINT, s VARCHAR)")
    return path, con


def test_small_batches_ship_the_wal_beside_a_hard_link_to_one_base(tmp_path):
    path, con = _writer(tmp_path)
    try:
        assert serving.publish(con, path) == "whole"
        folder = serving.snapshots_dir(path)
        base = folder / serving.current(path)[0]
        base_inode, base_bytes = base.stat().st_ino, base.read_bytes()
        reader = serving.SnapshotStore(path)
        reader.VERSION_TTL = 0
        for k in range(1, 4):
            _write(con, 10, start=100 * k)
            assert serving.publish(con, path) == "shipped"
            name, version = serving.current(path)
            copy = folder / name
            # the same file as the base (no bytes copied), and the store's WAL beside it
            assert copy.stat().st_ino == base_inode
            assert (folder / (name + ".wal")).stat().st_size > 0
            assert reader.version() == version
            assert reader.cursor().execute("SELECT count(*) FROM probe").fetchone()[0] == 10 * k
        # nobody wrote the base: every reader replayed its WAL in memory
        assert copy.read_bytes() == base_bytes
        # the writer kept its lock on the store through all of it
        assert not _other_process_can_write(path)
        # pruned copies take their WAL with them
        kept = sorted(p.name for p in folder.glob("*.duckdb"))
        assert len(kept) == serving.KEEP_SNAPSHOTS
        assert sorted(p.name for p in folder.glob("*.duckdb.wal")) == [
            n + ".wal" for n in kept if (folder / (n + ".wal")).exists()]
        assert len(list(folder.glob("*.duckdb.wal"))) == serving.KEEP_SNAPSHOTS
        reader.close()
    finally:
        con.close()


def test_a_store_file_written_since_its_base_is_copied_whole(tmp_path):
    path, con = _writer(tmp_path)
    try:
        serving.publish(con, path)
        # a large batch: DuckDB writes its row groups straight into the store file
        _write(con, 400_000)
        assert serving.publish(con, path) == "whole"
        assert _probe_rows(serving.snapshots_dir(path) / serving.current(path)[0]) == 400_000
        _write(con, 5, start=10**6)
        assert serving.publish(con, path) == "shipped"  # on the new base
        # a checkpoint rewrites the file too
        _write(con, 5, start=2 * 10**6)
        con.execute("CHECKPOINT")
        assert serving.publish(con, path) == "whole"
        assert _probe_rows(serving.snapshots_dir(path) / serving.current(path)[0]) == 400_010
    finally:
        con.close()


def test_a_wal_past_the_limit_is_copied_whole(tmp_path, monkeypatch):
    path, con = _writer(tmp_path)
    try:
        serving.publish(con, path)
        _write(con, 10)
        monkeypatch.setattr(serving, "WAL_SHIP_LIMIT", serving.wal_size(path) - 1)
        assert serving.publish(con, path) == "whole"
        assert serving.wal_size(path) == 0  # checkpointed
    finally:
        con.close()


def test_a_shipped_copy_that_does_not_reach_the_version_is_never_named(tmp_path, monkeypatch):
    """Each copy is opened (its WAL replayed) and its version checked before CURRENT names
    it: a WAL copied short (here cut in half) replays to an older state, and a whole copy is
    published in its place."""
    path, con = _writer(tmp_path)
    try:
        serving.publish(con, path)
        folder = serving.snapshots_dir(path)
        _write(con, 10)
        _write(con, 10, start=100)
        real = serving.shutil.copyfile

        def short(src, dst):
            real(src, dst)
            with open(dst, "r+b") as fh:
                fh.truncate(Path(dst).stat().st_size // 2)

        monkeypatch.setattr(serving.shutil, "copyfile", short)
        assert serving.publish(con, path) == "whole"
        assert _probe_rows(folder / serving.current(path)[0]) == 20
        assert not any(p.name.startswith(".") for p in folder.iterdir())
        assert [p.name for p in folder.glob("*.wal")] == []  # none shipped, none left
    finally:
        con.close()


def test_a_writer_killed_after_its_commit_is_published_on_restart(tmp_path):
    path, con = _writer(tmp_path)
    serving.publish(con, path)
    con.close()
    # a writer process that commits a batch and dies before publishing it
    code = (f"import duckdb; from queries import names as Q, sql; "
            f"c = duckdb.connect({str(path)!r}); "
            f"c.execute(\"SET checkpoint_threshold = '1GB'\"); "
            f"c.execute(\"INSERT INTO probe SELECT range, 'k' FROM range(7)\"); "
            f"c.execute(sql(Q.STORE_BUMP_VERSION)); import os; os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert serving.wal_size(path) > 0
    con = duckdb.connect(str(path))  # the next writer replays the WAL
    try:
        # shipped: the file is still the base and the WAL holds the killed writer's commit
        assert serving.publish(con, path) == "shipped"
        assert _probe_rows(serving.snapshots_dir(path) / serving.current(path)[0]) == 7
    finally:
        con.close()


# --- a worker waiting for the writer (serving._execute_watched) -------------------------------


class _SilentArbiter:
    """A Unix socket that takes requests and never answers: what gunicorn's dirty arbiter
    does with a request queued for a writer that died."""

    def __init__(self, path):
        import socket
        import threading

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


def _watched(tmp_path, monkeypatch, writer_pid, timeout):
    import time

    path = tmp_path / "arbiter.sock"
    arbiter = _SilentArbiter(path)
    monkeypatch.setenv("GUNICORN_DIRTY_SOCKET", str(path))
    pidfile = tmp_path / "WRITER"
    pidfile.write_text(str(writer_pid))
    started = time.monotonic()
    try:
        serving._execute_watched(pidfile, "records", ("incidents", "x", "y"), timeout)
    except (serving.WriterDied, serving.NoWriter, TimeoutError) as exc:
        _watched.sent = len(arbiter.conns)  # requests the arbiter got
        return type(exc), time.monotonic() - started
    finally:
        arbiter.close()
    raise AssertionError("the silent arbiter answered")


def test_a_waiting_worker_answers_when_the_writer_dies(tmp_path, monkeypatch):
    import threading

    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        threading.Timer(1.0, writer.kill).start()
        kind, waited = _watched(tmp_path, monkeypatch, writer.pid, timeout=60)
    finally:
        writer.kill()
        writer.wait()
    # raised once the writer was gone (killed after 1 s), long before the 60 s limit
    assert kind is serving.WriterDied and 1.0 <= waited < 30, (kind, waited)


def test_a_waiting_worker_keeps_waiting_for_a_live_writer(tmp_path, monkeypatch):
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        kind, waited = _watched(tmp_path, monkeypatch, writer.pid, timeout=2.0)
    finally:
        writer.kill()
        writer.wait()
    assert kind is TimeoutError and waited >= 2.0, (kind, waited)


def test_a_dead_writer_named_at_the_start_is_not_taken_for_the_requests_writer(tmp_path,
                                                                               monkeypatch):
    """Sent while the pid file still names a writer that died (its successor starting and
    not yet written its pid), a request waits for the successor to name itself, is sent
    then and watched on the successor: "died" only if that one dies. (Sent at once, it
    went to the successor, which stored it after the sender was told "died", or into the
    dead writer's queue, which the arbiter drops: the sender waited 120 s.)"""
    import threading

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    successor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    pidfile = tmp_path / "WRITER"
    try:
        # the successor names itself after 1 s and is killed after 3 s
        threading.Timer(1.0, lambda: pidfile.write_text(str(successor.pid))).start()
        threading.Timer(3.0, successor.kill).start()
        kind, waited = _watched(tmp_path, monkeypatch, dead.pid, timeout=60)
    finally:
        successor.kill()
        successor.wait()
    # not "died" at once for the dead pid named at the start: only when the successor died
    assert kind is serving.WriterDied and 3.0 <= waited < 30, (kind, waited)
    assert _watched.sent == 1


def test_no_successor_naming_itself_means_nothing_is_sent(tmp_path, monkeypatch):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    monkeypatch.setattr(serving, "SUCCESSOR_SECONDS", 1.0)
    kind, waited = _watched(tmp_path, monkeypatch, dead.pid, timeout=60)
    assert kind is serving.NoWriter and 1.0 <= waited < 10, (kind, waited)
    assert _watched.sent == 0  # the request never reached the arbiter: not stored


def test_alive_tells_a_zombie_from_a_running_process():
    import time

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    for _ in range(100):  # exited but not reaped: a zombie
        if not serving._alive(child.pid):
            break
        time.sleep(0.1)
    assert not serving._alive(child.pid)
    child.wait()
    assert not serving._alive(child.pid)
    import os

    assert serving._alive(os.getpid())


def test_a_process_that_writes_takes_the_import_budget_readers_their_bound(tmp_path):
    """The readers' DuckDB bound is ``duckdb_memory_limit``; a one-worker server with intake
    on writes in its own process, so its store takes the import budget (1GB) where the
    readers' bound is lower; several workers with intake read published copies under the
    readers' bound (their writer process has the budget: ``IntakeWriter``)."""
    from dashboard.ingest.load import IMPORT_MEMORY_LIMIT
    from dashboard.settings import Settings

    path = _store(tmp_path)

    def limit(**kw):
        store = serving.make_store(Settings.load(store=path, demo_on_start=False, **kw))
        return type(store).__name__, store.memory_limit

    assert limit() == ("Store", Settings().duckdb_memory_limit)
    assert limit(duckdb_memory_limit="256MB") == ("Store", "256MB")
    assert limit(intake_token="t" * 32, duckdb_memory_limit="256MB") == (
        "Store", IMPORT_MEMORY_LIMIT)
    assert limit(intake_token="t" * 32, duckdb_memory_limit="4GB") == ("Store", "4GB")
    assert limit(intake_token="t" * 32, workers=2, duckdb_memory_limit="256MB") == (
        "SnapshotStore", "256MB")
