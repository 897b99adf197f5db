"""``serving.limit_malloc_arenas`` (the setting ``malloc_arena_max``, applied by ``run`` before
the workers fork): with it, eight threads that allocate at once share at most that many glibc
arenas; without it each gets one of its own. Counted from glibc's own ``malloc_info``, in a
fresh process each time (the limit is process-wide)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import ctypes, ctypes.util, sys, tempfile, threading
sys.path.insert(0, sys.argv[2])
from dashboard.serving import limit_malloc_arenas
print("limited", limit_malloc_arenas(int(sys.argv[1])))
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.fopen.restype = ctypes.c_void_p
start = threading.Barrier(8)
def work():
    start.wait()
    blocks = [libc.malloc(4096) for _ in range(1000)]
    for b in blocks:
        libc.free(b)
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
path = tempfile.mktemp()
f = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
libc.malloc_info(0, f)
libc.fclose(f)
print(open(path).read())
"""


def _arenas(limit: int) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(limit), str(ROOT)],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return out.startswith("limited True"), len(re.findall(r"<heap nr=", out))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_threads_share_at_most_the_set_number_of_arenas():
    limited, heaps = _arenas(2)
    assert limited and heaps == 2
    unlimited, heaps = _arenas(0)
    assert not unlimited and heaps > 2  # one arena per allocating thread, and the main one


def test_the_setting_defaults_to_two():
    from dashboard.settings import Settings

    assert Settings.load(demo_on_start=False).malloc_arena_max == 2


TRIM_PROBE = r"""
import ctypes, ctypes.util, sys
sys.path.insert(0, sys.argv[1])
from dashboard.serving import malloc_trim
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
blocks = [libc.malloc(4000) for _ in range(50_000)]  # 200 MB of heap, below mmap's size
for b in blocks:
    ctypes.memset(b, 1, 4000)
keep = libc.malloc(4000)  # above them: the heap's top cannot simply shrink
for b in blocks:
    libc.free(b)
held = rss()
print("trimmed", malloc_trim(), held, rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_a_trim_gives_freed_heap_memory_back():
    out = subprocess.run([sys.executable, "-c", TRIM_PROBE, str(ROOT)], capture_output=True,
                         text=True, check=True, timeout=60).stdout.split()
    assert out[0] == "trimmed" and out[1] == "True"
    held, after = int(out[2]), int(out[3])
    assert held - after > 150, (held, after)  # the 200 MB freed are no longer resident


def test_the_trimmer_trims_at_most_once_per_interval_and_one_thread_at_a_time():
    from dashboard.serving import trimmer

    now = [100.0]
    trims = []
    hook = trimmer(5.0, trim=lambda: trims.append(now[0]), clock=lambda: now[0])
    for at in (100.0, 101.0, 104.9, 105.0, 105.1, 111.0):
        now[0] = at
        hook(None, None, {}, None)
    assert trims == [100.0, 105.0, 111.0]
    # a thread that finds another trimming skips (the trim itself holds the lock)
    inner = []
    hook2 = None

    def trim_and_reenter():
        now[0] += 100
        hook2(None, None, {}, None)  # as if a second request ended meanwhile
        inner.append("trimmed")

    hook2 = trimmer(0.0, trim=trim_and_reenter, clock=lambda: now[0])
    hook2(None, None, {}, None)
    assert inner == ["trimmed"]  # once: the nested call found the lock held


def test_served_processes_trim_unless_the_setting_is_zero():
    from dashboard.serving import gunicorn_options
    from dashboard.settings import Settings

    on = gunicorn_options(Settings.load(demo_on_start=False))
    assert Settings.load(demo_on_start=False).malloc_trim_seconds == 5.0
    assert callable(on["post_request"])
    off = gunicorn_options(Settings.load(demo_on_start=False, malloc_trim_seconds=0))
    assert "post_request" not in off
