"""``serving.lower_priority`` (the setting ``writer_nice``, applied by the intake writer at
its start): every thread of the process is moved, the ones it had and the ones started
after, and a priority is never raised. Run in a child process, so the test's own stays as
it is; each thread's nice value is read back from the kernel by its thread id."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.settings import Settings

CHILD = r"""
import json, os, sys, threading
from dashboard.serving import lower_priority

def nices():
    return sorted(os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir("/proc/self/task"))

base = os.getpriority(os.PRIO_PROCESS, 0)  # the child's own at its start (a CI may nice it)

gate = threading.Event()
early = threading.Thread(target=gate.wait)  # a thread the process had before
early.start()
had = len(os.listdir("/proc/self/task"))  # main, early and any a library started
first = lower_priority(base + int(sys.argv[1]) if int(sys.argv[1]) else 0)
late = threading.Thread(target=gate.wait)  # ... and one started after, by the main thread
late.start()
after = nices()
again = lower_priority(base + int(sys.argv[2]))  # a lower value than now: nothing moves
print(json.dumps({"base": base, "had": had, "moved": first, "after": after, "again": again,
                  "end": nices()}))
gate.set()
"""


def _child(*args: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], check=True,
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


@pytest.mark.skipif(os.getpriority(os.PRIO_PROCESS, 0) > 15,
                    reason="the tests already run at nice 16 or more")
def test_every_thread_is_moved_and_new_threads_inherit_the_lower_priority():
    got = _child(3, 1)  # to 3 above the child's own, then 1 above it
    moved = got["base"] + 3
    assert got["had"] >= 2 and got["moved"] == got["had"]  # main, early and the others
    assert got["after"] == [moved] * (got["had"] + 1)  # ... and the late one
    assert got["again"] == 0 and got["end"] == got["after"]


def test_nice_zero_leaves_the_process_as_it_is():
    got = _child(0, 0)
    assert got["moved"] == 0 and got["after"] == [got["base"]] * (got["had"] + 1)


@pytest.mark.parametrize("value", ["-1", "20", "high"])
def test_a_nice_value_out_of_range_is_refused_by_name(value, monkeypatch):
    monkeypatch.setenv("GRIDCMD_WRITER_NICE", value)
    with pytest.raises(ValueError, match="writer_nice"):
        Settings.load(demo_on_start=False)


def test_the_writer_runs_at_nice_10_by_default():
    assert Settings.load(demo_on_start=False).writer_nice == 10
