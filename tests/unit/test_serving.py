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
    except (serving.WriterDied, TimeoutError) as exc:
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
