"""The DuckDB store: creating it safely, and sharing one connection per process.

DuckDB allows one read-write process or many read-only processes on a file, never both.
By default the dashboard only reads: it opens the file read-only, lazily on the first
request (never before a server forks), and hands each thread its own cursor. Demo builds
write a new file beside the old one and swap it in with an atomic rename, so a reader or a
crash never sees a half-written store.

When live intake is on (``intake_token`` set, docs/ingest.md), the serving process is the
store's single writer instead: the one connection is opened read-write, readers keep their
per-thread cursors (DuckDB's MVCC gives each query a committed snapshot, so a reader never
waits for a writer nor sees half a batch) and writers take :meth:`Store.writer`, which
serialises them in the process.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb

from queries import sql

SCHEMA_VERSION = "1"
TIMEZONE = "Asia/Shanghai"
# DuckDB takes up to 80% of RAM by default; a bulk build is bounded instead and spills to
# disk beside the store, so building 10M+ rows does not crowd out a serving process.
BUILD_MEMORY_LIMIT = "3GB"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of ``queries/schema.sql`` on an empty database."""
    con.execute(sql("schema"))
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', $v), ('timezone', $tz)",
        {"v": SCHEMA_VERSION, "tz": TIMEZONE},
    )


def check_writable(path: Path) -> None:
    """Fail early, with a clear message, when ``path`` cannot be created or replaced."""
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f"cannot create directory {parent}: {exc.strerror}") from exc
    if path.exists() and path.is_dir():
        raise IsADirectoryError(f"store path is a directory: {path}")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"directory is not writable: {parent}")


@contextmanager
def building(path: str | Path):
    """Yield a connection to a fresh file beside ``path``; swap it in only on success.

    The old store, if any, stays untouched until the new one is complete and closed; on any
    error the partial file is removed and the error propagates.
    """
    path = Path(path)
    check_writable(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"SET memory_limit = '{BUILD_MEMORY_LIMIT}'")
        con.execute("SET temp_directory = $dir", {"dir": str(path.parent / ".duckdb_tmp")})
        create_schema(con)
        yield con
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, path)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise


class Store:
    """A lazily opened, read-only store shared by the threads of one process.

    Parameters
    ----------
    path : Path
        The DuckDB file. It is opened on first use, so creating a ``Store`` before a server
        forks is safe.
    """

    def __init__(self, path: str | Path, writable: bool = False):
        self.path = Path(path)
        self.writable = writable
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()

    def enable_writes(self) -> None:
        """Open the store read-write when it is first opened (the intake endpoint asks).

        Raises
        ------
        RuntimeError
            When the store is already open read-only in this process.
        """
        with self._lock:
            if self._con is not None and not self.writable:
                raise RuntimeError("store already opened read-only; enable writes first")
            self.writable = True

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            if not self.path.is_file():
                raise FileNotFoundError(f"store not found: {self.path}")
            self._con = duckdb.connect(str(self.path), read_only=not self.writable)
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            with self._lock:
                cur = self._connect().cursor()
            self._local.cursor = cur
        return cur

    @contextmanager
    def writer(self):
        """A fresh cursor for one writer at a time (loads are serialised in the process).

        The cursor is closed afterwards, so TEMP tables of a load never outlive it.
        """
        if not self.writable:
            raise RuntimeError("store is read-only; set intake_token to accept writes")
        with self._write_lock:
            with self._lock:
                cur = self._connect().cursor()
            try:
                cur.execute("SET enable_progress_bar = false")
                yield cur
            finally:
                cur.close()

    def meta(self) -> dict[str, str]:
        """The store's ``meta`` table as a dict (build id, seed, time zone ...)."""
        return dict(self.cursor().execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
