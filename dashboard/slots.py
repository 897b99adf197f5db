"""Heavy requests bounded for the whole server: at most N at once, across workers and threads.

A city-wide CSV export at 10M is seconds of CPU (docs/deploy.md). Several at once, one per
worker thread, take every core, and the screens and drills queue behind them. An export
therefore holds one of ``export_slots`` slots while it is made and sent: the slots are lock
files, each held by an exclusive ``flock`` (released by the kernel when its holder dies, so
a killed worker never leaves one taken). A request that finds none free waits for one,
polling, up to ``wait_seconds``, and is then refused with 503 and ``Retry-After``.
"""

from __future__ import annotations

import fcntl
import os
import time
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

POLL_SECONDS = 0.05


class Busy(RuntimeError):
    """Every slot stayed taken for the whole wait."""


class Slots:
    """``n`` slots in ``folder`` (files ``slot-0`` …), shared by every process that opens it.

    Parameters
    ----------
    folder : Path
        Where the slot files live (created when missing).
    n : int
        Slots; 0 or less means unbounded (:meth:`take` returns at once).
    wait_seconds : float
        How long :meth:`take` waits for a free slot.
    """

    def __init__(self, folder: str | Path, n: int, wait_seconds: float = 60.0):
        self.folder = Path(folder)
        self.n = n
        self.wait_seconds = wait_seconds

    def take(self) -> int | None:
        """Hold a free slot (an open, locked file descriptor: give it to :meth:`give`);
        None when unbounded. Raises :class:`Busy` after ``wait_seconds``."""
        if self.n <= 0:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            for i in range(self.n):
                fd = os.open(self.folder / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                return fd
            if time.monotonic() >= deadline:
                raise Busy(f"all {self.n} slots stayed taken for {self.wait_seconds:.0f} s")
            time.sleep(POLL_SECONDS)

    @staticmethod
    def give(fd: int | None) -> None:
        """Free the slot ``fd`` from :meth:`take` (closing the file releases its lock)."""
        if fd is not None:
            os.close(fd)


class Held:
    """A slot taken by :meth:`Slots.take`, freed once by :meth:`release`, or when this object
    is garbage collected (a download whose response was never closed)."""

    def __init__(self, fd: int | None):
        self._free = weakref.finalize(self, Slots.give, fd) if fd is not None else None

    def release(self) -> None:
        if self._free is not None:
            self._free()  # runs at most once


def releasing(pieces: Iterable[bytes], held: Held) -> Iterator[bytes]:
    """``pieces`` passed through; the slot is freed after the last one, or when the
    download stops (the generator is closed)."""
    try:
        yield from pieces
    finally:
        held.release()
