"""Rate limits shared by every worker process: a ``limits`` storage in the accounts database.

``limits`` keeps its moving windows in memory (one count per process) or in a server
(Redis, Memcached, MongoDB, etcd). A GridCommand deployment has neither a shared memory
nor such a server, but it has one SQLite file every process already opens for sessions:
the accounts database (``auth_db``, WAL). :class:`SqliteStorage` keeps each hit as a row
there, so a login attempt counts the same whichever gunicorn worker answers it.

- A hit is one row ``(key, at, expires)``; a moving window of ``limit`` per ``expiry``
  seconds admits a hit while fewer than ``limit`` rows of its key are younger than
  ``expiry``. Counting and inserting are one ``BEGIN IMMEDIATE`` transaction, so two
  workers never both take the last slot.
- Rows older than their window are deleted as hits arrive (an index on ``expires``), so
  the table holds at most the hits of the last window of each limit.
- ``synchronous = NORMAL`` on these connections: a hit is not worth an fsync (after a
  power cut a few seconds of counts may be gone; sessions and the audit log keep their
  own, stricter connections).
- ``namespace`` separates the counts of one server (every worker of one ``gridcmd serve``:
  the app is built once in the gunicorn arbiter and forked) from another app using the
  same file (another server, the many apps of a test run): each counts its own clients,
  as separate in-memory limiters did.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_hits (
    key      TEXT NOT NULL,
    at       REAL NOT NULL,
    expires  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_hits_key ON rate_hits(key, at);
CREATE INDEX IF NOT EXISTS rate_hits_expires ON rate_hits(expires);
"""


class SqliteStorage(Storage, MovingWindowSupport):
    """A ``limits`` moving-window storage in the SQLite file ``path`` (see the module
    docstring); use it with :class:`limits.strategies.MovingWindowRateLimiter`."""

    STORAGE_SCHEME = ["gridcmd-sqlite"]

    def __init__(self, path: str | Path, namespace: str = "", clock=time.time, **_):
        super().__init__()
        self.path = Path(path)
        self.namespace = namespace
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout = 10000")
            con.execute("PRAGMA synchronous = NORMAL")
            yield con
        finally:
            con.close()

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    @property
    def base_exceptions(self):
        return sqlite3.Error

    # --- moving window -------------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take ``amount`` entries of the window if it has room; False otherwise."""
        if amount > limit:
            return False
        now = self.clock()
        k = self._key(key)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("DELETE FROM rate_hits WHERE expires <= ?", (now,))
                taken = con.execute("SELECT count(*) FROM rate_hits WHERE key = ? AND at > ?",
                                    (k, now - expiry)).fetchone()[0]
                ok = taken + amount <= limit
                if ok:
                    con.executemany("INSERT INTO rate_hits VALUES (?, ?, ?)",
                                    [(k, now, now + expiry)] * amount)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return ok

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(start of the window, entries taken in it)."""
        now = self.clock()
        with self._connect() as con:
            oldest, taken = con.execute(
                "SELECT min(at), count(*) FROM rate_hits WHERE key = ? AND at > ?",
                (self._key(key), now - expiry)).fetchone()
        return (oldest if oldest is not None else now), int(taken)

    # --- the rest of the Storage interface (fixed windows are not used) -------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self.clock()
        with self._connect() as con:
            con.executemany("INSERT INTO rate_hits VALUES (?, ?, ?)",
                            [(self._key(key), now, now + expiry)] * amount)
        return self.get(key)

    def get(self, key: str) -> int:
        with self._connect() as con:
            return con.execute("SELECT count(*) FROM rate_hits WHERE key = ? AND expires > ?",
                               (self._key(key), self.clock())).fetchone()[0]

    def get_expiry(self, key: str) -> float:
        with self._connect() as con:
            row = con.execute("SELECT max(expires) FROM rate_hits WHERE key = ?",
                              (self._key(key),)).fetchone()
        return row[0] if row and row[0] is not None else self.clock()

    def check(self) -> bool:
        try:
            with self._connect() as con:
                con.execute("SELECT 1 FROM rate_hits LIMIT 1")
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        with self._connect() as con:
            return con.execute("DELETE FROM rate_hits WHERE key LIKE ? ESCAPE '\\'",
                               (_like_prefix(self.namespace),)).rowcount

    def clear(self, key: str) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM rate_hits WHERE key = ?", (self._key(key),))


def _like_prefix(namespace: str) -> str:
    escaped = namespace.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + ":%"
