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

