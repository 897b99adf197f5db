"""Closing the store while another thread's statement runs (the intake writer's close while
a background publish or rebase finishes: one CI run failed on it): DuckDB refuses to close
a connection with a statement under way on one of its cursors, so ``Store.close`` waits for
the statement, and interrupts it past ``CLOSE_WAIT_SECONDS``."""

from __future__ import annotations

import gc
import threading
import time

import duckdb
import pytest
from duckdb.sqltypes import BIGINT

from dashboard.store import Store


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.duckdb"
    duckdb.connect(str(path)).close()
    return Store(path)


def _running(store: Store, rows: int) -> tuple[threading.Thread, list]:
    """A thread running a statement over ``rows`` numbers on its own cursor; its outcome."""
    out: list = []
    started = threading.Event()

    def work():
        cur = store.cursor()
        started.set()
        try:
            out.append(cur.execute(f"SELECT sum(hash(range)) FROM range({rows})").fetchone())
        except duckdb.Error as exc:
            out.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(10)
    time.sleep(0.3)  # the statement under way
    return thread, out


def test_close_waits_for_a_statement_of_another_thread(store):
    """The statement is held open by a Python function it calls, until the test lets it go,
    so it is under way whatever the machine's speed."""
    calling, release, out = threading.Event(), threading.Event(), []

    def held(x: int) -> int:
        calling.set()
        release.wait(30)
        return x

    def work():
        cur = store.cursor()
        cur.create_function("held", held, [BIGINT], BIGINT)
        try:
            out.append(cur.execute("SELECT held(41) + 1").fetchone())
        except duckdb.Error as exc:
            out.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    assert calling.wait(10)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(1.0)
    assert closer.is_alive() and not out  # close waits while the statement runs
    release.set()
    closer.join(30)
    worker.join(30)
    assert not closer.is_alive()
    assert out == [(42,)]  # it finished, then the store closed
    assert store._con is None


def test_close_interrupts_a_statement_that_runs_past_the_wait(store, monkeypatch):
    monkeypatch.setattr(Store, "CLOSE_WAIT_SECONDS", 0.2)
    thread, out = _running(store, 10**12)  # hours uninterrupted
    began = time.monotonic()
    store.close()
    thread.join(60)
    assert time.monotonic() - began < 30
    assert len(out) == 1 and isinstance(out[0], duckdb.InterruptException)
    assert store._con is None


def test_the_cursors_kept_for_close_go_with_their_threads(store):
    """The development server starts a thread per request: its cursor must not outlive it."""
    def request():
        store.cursor().execute("SELECT 1").fetchall()

    for _ in range(50):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    gc.collect()
    assert len(store._cursors) == 0
    store.close()
