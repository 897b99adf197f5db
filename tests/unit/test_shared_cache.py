"""The cache the serving workers share (``queries/shared_cache.py``): real processes on one
folder, each value computed by one of them, a dead owner taken over, errors not shared."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from queries.shared_cache import FLIGHT, SharedCache


def _worker(folder, log, out, delay):
    cache = SharedCache(folder, wait_seconds=30)

    def compute():
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(delay)
        return {"value": 42, "by": os.getpid()}

    out.put((os.getpid(), cache.once("the-key", compute), cache.computed, cache.waited))


def test_processes_asking_together_compute_once_and_get_the_same_value(tmp_path):
    folder, log = tmp_path / "cache", tmp_path / "computed.txt"
    SharedCache(folder, fresh=True)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(folder, log, out, 0.5)) for _ in range(4)]
    for p in procs:
        p.start()
    got = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert len(log.read_text().split()) == 1  # one process computed, three waited
    values = {repr(value) for _, value, _, _ in got}
    assert len(values) == 1
    assert sorted(computed for _, _, computed, _ in got) == [0, 0, 0, 1]
    assert sorted(waited for _, _, _, waited in got) == [0, 1, 1, 1]
    # a fifth process later reads it from the folder without computing
    late = SharedCache(folder)
    assert late.once("the-key", lambda: pytest.fail("computed again")) == got[0][1]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_claim_left_by_a_dead_process_is_taken_over(tmp_path):
    cache = SharedCache(tmp_path / "cache", wait_seconds=30)
    cache.disk.add(FLIGHT + "k", _dead_pid())  # as a worker killed mid-computation leaves it
    began = time.monotonic()
    assert cache.once("k", lambda: "mine") == "mine"
    assert time.monotonic() - began < 5
    assert cache.computed == 1 and FLIGHT + "k" not in cache.disk


def test_a_live_claim_that_outlasts_the_wait_is_computed_here(tmp_path):
    cache = SharedCache(tmp_path / "cache", wait_seconds=0.3)
    cache.disk.add(FLIGHT + "k", os.getpid())  # "another" computation, still alive
    assert cache.once("k", lambda: 7) == 7
    assert cache.computed == 1


def test_errors_are_not_shared_and_large_values_stay_in_the_process(tmp_path):
    cache = SharedCache(tmp_path / "cache", max_bytes=8 << 20)
    with pytest.raises(ZeroDivisionError):
        cache.once("bad", lambda: 1 / 0)
    assert FLIGHT + "bad" not in cache.disk and cache.get("bad") is None
    assert cache.once("bad", lambda: "fine") == "fine"
    big = pd.DataFrame({"x": range(200_000)})  # 1.6 MB: more than an eighth of 8 MB
    assert cache.set("big", big) is False
    assert cache.get("big") is big and "big" not in cache.disk


def test_frames_come_back_equal_with_their_attrs_and_fresh_empties_the_folder(tmp_path):
    folder = tmp_path / "cache"
    frame = pd.DataFrame({"code": ["3206", "320612"], "n": [3, 4]})
    frame.attrs["total"] = 9
    SharedCache(folder).set("f", frame)
    other = SharedCache(folder)  # another process's view: nothing in its own LRU
    got = other.get("f")
    pd.testing.assert_frame_equal(got, frame)
    assert got.attrs == {"total": 9}
    assert SharedCache(folder, fresh=True).get("f") is None


def test_quick_values_stay_in_their_process_and_quick_kinds_skip_the_claim(tmp_path):
    cache = SharedCache(tmp_path / "cache", share_ms=50)
    assert cache.once("q", lambda: "quick", kind="lookup") == "quick"
    assert "q" not in cache.disk and cache.get("q") == "quick"  # kept here only

    def slow():
        time.sleep(0.08)
        return "slow"

    assert cache.once("s", slow, kind="panels") == "slow"
    assert cache.disk.get("s") == "slow"  # worth sharing
    claims = []
    add = cache.disk.add
    cache.disk.add = lambda *a, **k: claims.append(a[0]) or add(*a, **k)
    cache.once("q2", lambda: "quick", kind="lookup")  # a quick kind: no claim, no write
    cache.once("s2", slow, kind="panels")
    assert claims == [FLIGHT + "s2"] and "q2" not in cache.disk
