"""Results shared by the worker processes that serve one store, each computed once.

``gridcmd serve --workers N`` runs N processes. With a cache per process, every worker
computes every result itself: N times the work for each new store version, each minute of
a live screen and each new filter, on the same cores. :class:`SharedCache` keeps results
in one folder every worker reads (a ``diskcache.Cache``: SQLite for the index and small
values, files for large ones, safe across threads and processes), behind a small LRU in
each process, and :meth:`SharedCache.once` lets only one process compute a missing value
while the others wait for it (*single flight across processes*).

It is a result-cache backend (``queries.use_cache``) and a page-memo backend
(``pagememo.Memo``): keys are the hex digests those build, which already hold the store
version, so a write makes older entries unreachable and the folder's size limit evicts
them (least recently stored first). Values travel by pickle.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from queries import LruCache, size_of

FLIGHT = "flight:"  # key prefix of a computation under way: its value is the owner's pid
POLL_SECONDS = (0.005, 0.05)  # a waiter looks again after this long, doubling up to the max
SHARE_MS = 5.0  # values computed faster than this are not worth a claim and a write


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


class SharedCache:
    """A cache shared by processes: an in-process :class:`~queries.LruCache` in front of a
    ``diskcache.Cache`` in ``directory``.

    Parameters
    ----------
    directory : str or Path
        The folder of the shared part; every process serving the store opens the same one.
    max_bytes : int
        Size limit of the folder; a value larger than an eighth of it is kept in this
        process only.
    local_bytes : int
        Size of the in-process LRU in front.
    wait_seconds : float
        How long :meth:`once` waits for another process's computation before computing the
        value itself.
    fresh : bool
        Empty the folder first (the arbiter does, once, before the workers start).
    share_ms : float
        Values computed faster than this stay in their process (:meth:`once`).
    """

    def __init__(self, directory: str | Path, max_bytes: int = 1 << 30,
                 local_bytes: int = 128 << 20, wait_seconds: float = 60.0,
                 fresh: bool = False, share_ms: float = SHARE_MS):
        import diskcache

        self.directory = Path(directory)
        if fresh and self.directory.exists():
            shutil.rmtree(self.directory)
        self.max_bytes = max_bytes
        self.wait_seconds = wait_seconds
        self.local = LruCache(local_bytes)
        # least-recently-stored eviction: a read never writes to the index
        self.disk = diskcache.Cache(str(self.directory), size_limit=max_bytes,
                                    eviction_policy="least-recently-stored",
                                    cull_limit=10, statistics=False)
        self.share_ms = share_ms
        self._cost: dict[str, float] = {}  # kind -> ms of its last computation here
        self.computed = self.waited = 0  # values this process computed / got from another

    def get(self, key: str):
        value = self.local.get(key)
        if value is None:
            value = self.disk.get(key)
            if value is not None:
                self.local.set(key, value)
        return value

    def set(self, key: str, value, timeout: int | None = None, size: int | None = None
            ) -> bool:
        size = size_of(value) if size is None else size
        self.local.set(key, value, size=size)
        if size > self.max_bytes // 8:
            return False
        return bool(self.disk.set(key, value, expire=timeout))

    def clear(self) -> bool:
        self.local.clear()
        self.disk.clear()
        return True

    def once(self, key: str, compute: Callable[[], object],
             size: Callable[[object], int] | None = None, kind: str | None = None):
        """The value of ``key``: cached (here or by another process), awaited while another
        process computes it, or computed here by ``compute()`` and shared.

        Sharing costs a claim, a pickle and a write (0.6 ms for a small frame, 10 ms for
        3 MB), so a value computed in less than ``share_ms`` is kept in this process only,
        and a ``kind`` (a query's or page value's name) whose last computation here took
        less than that skips the claim too.

        A process that dies while computing leaves its claim behind; the others see its pid
        is gone and take over. An error is not shared: each waiter then computes itself.
        """
        value = self.get(key)
        if value is not None:
            return value
        if kind is not None and self._cost.get(kind, self.share_ms) < self.share_ms:
            return self._here(key, compute, size, kind, share=False)
        flight = FLIGHT + key
        deadline = time.monotonic() + self.wait_seconds
        while True:
            if self.disk.add(flight, os.getpid(), expire=self.wait_seconds * 2):
                try:
                    value = self.disk.get(key)  # stored between our look and our claim
                    if value is not None:
                        self.local.set(key, value)
                        return value
                    return self._here(key, compute, size, kind, share=True)
                finally:
                    self.disk.delete(flight)
            pause = POLL_SECONDS[0]
            while time.monotonic() < deadline:
                value = self.disk.get(key)
                if value is not None:
                    self.waited += 1
                    self.local.set(key, value)
                    return value
                owner = self.disk.get(flight)
                if owner is None:
                    break  # done without a shared value (an error, cheap, too large): claim
                if not alive(int(owner)):
                    self.disk.delete(flight)  # its computation died with it
                    break
                time.sleep(pause)
                pause = min(pause * 2, POLL_SECONDS[1])
            else:
                # waited long enough: compute here, without taking the claim
                return self._here(key, compute, size, kind, share=True)

    def _here(self, key: str, compute, size, kind: str | None, share: bool):
        began = time.perf_counter()
        value = compute()
        ms = (time.perf_counter() - began) * 1000
        self.computed += 1
        if kind is not None:
            self._cost[kind] = ms
        nbytes = None if size is None else size(value)
        if share and ms >= self.share_ms:
            self.set(key, value, size=nbytes)
        else:
            self.local.set(key, value, size=nbytes)
        return value

    # --- files: a finished download kept whole on disk, read back as a stream -------------

    def file(self, key: str):
        """``(meta, open binary file)`` of a file kept by :meth:`keep`, or None."""
        meta = self.disk.get(key + ":meta")
        if meta is None:
            return None
        handle = self.disk.get(key, read=True)
        return None if handle is None else (meta, handle)

    def keep(self, key: str, pieces: Iterable[bytes], meta) -> Iterator[bytes]:
        """``pieces`` passed through, and kept under ``key`` with ``meta`` once the last one
        has gone by (a download stopped halfway keeps nothing; too large, nothing either)."""
        spool = tempfile.NamedTemporaryFile(dir=self.directory, prefix="spool-",
                                            delete=False)
        try:
            size = 0
            for piece in pieces:
                spool.write(piece)
                size += len(piece)
                yield piece
            if size <= self.max_bytes // 8:
                spool.seek(0)
                self.disk.set(key, spool, read=True)
                self.disk.set(key + ":meta", meta)
        finally:
            spool.close()
            os.unlink(spool.name)


def file_pieces(handle, size: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of an open file in pieces of ``size``, closing it at the end."""
    with handle:
        while piece := handle.read(size):
            yield piece


def folder_of(store: str | Path) -> Path:
    """The shared cache folder of the store at ``store``: ``<store>.cache`` beside it."""
    return Path(f"{store}.cache")
