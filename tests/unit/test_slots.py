"""Heavy requests bounded for the whole server (``dashboard/slots.py``): real lock files,
threads and processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from dashboard.slots import Busy, Held, Slots, releasing


def test_n_slots_are_held_at_most_by_n_and_freed_on_give(tmp_path):
    slots = Slots(tmp_path, 2, wait_seconds=0.2)
    a, b = slots.take(), slots.take()
    with pytest.raises(Busy):
        slots.take()
    Slots.give(a)
    c = slots.take()  # the freed one
    with pytest.raises(Busy):
        slots.take()
    held = Held(c)
    held.release()
    held.release()  # a second call frees nothing else
    d = slots.take()
    with pytest.raises(Busy):
        slots.take()
    Slots.give(b)
    Slots.give(d)
    assert Slots(tmp_path, 0).take() is None  # unbounded


def _hold(folder, ready):
    Slots(folder, 1).take()
    ready.set()
    time.sleep(60)


def test_a_slot_of_a_killed_process_is_free_at_once(tmp_path):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold, args=(tmp_path, ready))
    proc.start()
    assert ready.wait(30)
    with pytest.raises(Busy):
        Slots(tmp_path, 1, wait_seconds=0.2).take()  # held by the other process
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    fd = Slots(tmp_path, 1, wait_seconds=5).take()  # the kernel released its lock
    Slots.give(fd)


def test_a_waiter_gets_the_slot_when_it_is_given_back(tmp_path):
    import threading

    slots = Slots(tmp_path, 1, wait_seconds=10)
    held = slots.take()
    timer = threading.Timer(0.3, Slots.give, args=(held,))
    timer.start()
    began = time.monotonic()
    fd = slots.take()
    assert 0.2 < time.monotonic() - began < 5
    Slots.give(fd)


def test_a_slot_is_freed_after_the_last_piece_when_stopped_or_when_forgotten(tmp_path):
    slots = Slots(tmp_path, 1, wait_seconds=0.1)
    assert list(releasing(iter([b"a", b"b"]), Held(slots.take()))) == [b"a", b"b"]
    stopped = releasing(iter([b"a", b"b"]), Held(slots.take()))
    next(stopped)
    stopped.close()  # a download stopped halfway
    forgotten = releasing(iter([b"a"]), Held(slots.take()))
    del forgotten  # never started, never closed: freed when collected
    Slots.give(slots.take())
