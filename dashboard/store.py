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
import re
import threading
import time
import uuid
import weakref
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dashboard.clock import DEFAULT_TIMEZONE
from queries import SQL_DIR, run, sql
from queries import names as Q

TIMEZONE = DEFAULT_TIMEZONE
MIGRATIONS_DIR = SQL_DIR / "migrations"
_MIGRATION = re.compile(r"([0-9]{3})_[a-z0-9_]+\.sql")


class StoreVersionError(RuntimeError):
    """The store was written by another version of GridCommand (older: migrate it)."""


class StoreOpenError(OSError):
    """DuckDB cannot open the store file: not a database, no permission, or another process
    holds it (``locked``; DuckDB allows one writer or many readers)."""

    def __init__(self, message: str, locked: bool = False):
        super().__init__(message)
        self.locked = locked


def _first_line(exc: BaseException) -> str:
    """DuckDB errors span several lines; a message promises one."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _connect_file(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A bare connection to the existing store file at ``path``, errors made plain."""
    if not path.is_file():
        raise FileNotFoundError(f"store not found: {path}")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        how = "" if read_only else " read-write"
        locked = "lock" in str(exc).lower()
        raise StoreOpenError(f"cannot open store {path}{how}: {_first_line(exc)}",
                             locked=locked) from None


def migrations() -> list[tuple[int, Path]]:
    """The migration files ``queries/migrations/NNN_slug.sql``, in number order."""
    found = []
    for path in MIGRATIONS_DIR.glob("*.sql"):
        m = _MIGRATION.fullmatch(path.name)
        if m:
            found.append((int(m.group(1)), path))
    found.sort()
    numbers = [n for n, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number in {MIGRATIONS_DIR}")
    return found


SCHEMA_VERSION = max([1, *(n for n, _ in migrations())])
"""The version of a store this code reads and writes: the newest migration's number."""
# DuckDB takes up to 80% of RAM by default; a bulk build is bounded instead and spills to
# disk beside the store, so building 10M+ rows does not crowd out a serving process.
BUILD_MEMORY_LIMIT = "3GB"


def create_schema(con: duckdb.DuckDBPyConnection, timezone: str = TIMEZONE) -> None:
    """Create every table of ``queries/store/schema.sql`` on an empty database, at the newest
    version, with a new store id, the store's time zone and the built-in reference lists
    (``dashboard.taxonomy.load_builtin``: categories, sources, hazard types ...)."""
    from dashboard.taxonomy import load_builtin

    con.execute(sql(Q.STORE_SCHEMA))
    load_builtin(con)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', $v), ('timezone', $tz), ('store_id', $id)",
        {"v": str(SCHEMA_VERSION), "tz": timezone, "id": uuid.uuid4().hex},
    )


def schema_version(con) -> int:
    """The schema version a store says it has (meta ``schema_version``)."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        raise StoreVersionError("not a GridCommand store: it has no meta table") from None
    if row is None or not str(row[0]).isdigit():
        raise StoreVersionError("not a GridCommand store: meta has no schema_version")
    return int(row[0])


def check_version(con, path: str | Path = "store") -> None:
    """Refuse a store of another schema version, saying what to do.

    Raises
    ------
    StoreVersionError
        Older: ``gridcmd migrate`` brings it up to date; newer: this code is too old.
    """
    have = schema_version(con)
    if have < SCHEMA_VERSION:
        raise StoreVersionError(
            f"{path}: store schema version {have} is older than this GridCommand's "
            f"{SCHEMA_VERSION}; run `gridcmd migrate --store {path}` (imports do it too)")
    if have > SCHEMA_VERSION:
        raise StoreVersionError(
            f"{path}: store schema version {have} is newer than this GridCommand's "
            f"{SCHEMA_VERSION}; upgrade GridCommand")


def migrate(con) -> list[str]:
    """Bring a store opened read-write up to :data:`SCHEMA_VERSION`.

    Each pending migration runs in one transaction with the new ``schema_version``, so a
    crash leaves the store at the last completed version, never between two. A migration
    with the header ``-- @rebuild summaries`` also drops and refills the summary tables;
    one with ``-- @refill NAME`` creates and fills only the derived tables of one refresh
    (``overview_tables`` of 010, ``period_tables`` of 011 and 012, ``foresight``
    of 013: its tables, a fitted model and the scores; ``open_items`` of 014; ``surge`` of
    015: the surge model and alerts; ``satisfaction_city``, ``repeat_places`` and
    ``case_facets`` of 017; ``duration_ranks`` of 018), through the
    current refresh code, so the migration carries no copy of their SQL.

    Returns
    -------
    list of str
        File names of the migrations applied, in order (empty when current).
    """
    from dashboard import open_items
    from dashboard.foresight.run import refill as refill_foresight
    from dashboard.foresight.surge import refill as refill_surge
    from dashboard.kpi.summaries import (
        SUMMARY_TABLES,
        refresh_case_facets,
        refresh_duration_ranks,
        refresh_overview_tables,
        refresh_period_tables,
        refresh_repeat_places,
        refresh_satisfaction_city,
        refresh_summaries,
    )

    refills = {"overview_tables": lambda con: refresh_overview_tables(con, "all"),
               "period_tables": refresh_period_tables,
               "foresight": refill_foresight}
    refills["open_items"] = open_items.refresh  # 014
    refills["surge"] = refill_surge  # 015
    refills["satisfaction_city"] = refresh_satisfaction_city  # 017
    refills["repeat_places"] = refresh_repeat_places  # 017
    refills["case_facets"] = refresh_case_facets  # 017
    refills["duration_ranks"] = refresh_duration_ranks  # 018

    have = schema_version(con)
    if have > SCHEMA_VERSION:
        check_version(con)
    applied = []
    for number, path in migrations():
        if number <= have:
            continue
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines()
                         if not line.lstrip().startswith("--"))
        con.execute("BEGIN TRANSACTION")
        try:
            for stmt in re.split(r";[ \t]*\n", body + "\n"):
                if stmt.strip():
                    con.execute(stmt)
            if re.search(r"^--[ \t]*@rebuild[ \t]+summaries[ \t]*$", text, re.M):
                for table in SUMMARY_TABLES:
                    con.execute(f"DROP TABLE IF EXISTS {table}")
                refresh_summaries(con, transaction=False)
            for name in re.findall(r"^--[ \t]*@refill[ \t]+(\w+)[ \t]*$", text, re.M):
                if name not in refills:
                    raise RuntimeError(f"{path.name}: unknown @refill {name!r}; "
                                       f"known: {sorted(refills)}")
                refills[name](con)  # only these derived tables
            con.execute("UPDATE meta SET value = $v WHERE key = 'schema_version'",
                        {"v": str(number)})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        applied.append(path.name)
    return applied


def ensure_current(path: str | Path) -> list[str]:
    """Migrate the store file at ``path`` if it is older than this code (no-op if current).

    Opens the file read-only to read its version and read-write only when a migration is
    due, so a current store is never written. Call it before a server starts (the
    connection is closed again, nothing crosses a fork).

    Raises
    ------
    StoreVersionError
        The store is newer than this code, or older and held by another process.
    """
    path = Path(path)
    with _connect_file(path, read_only=True) as con:
        if schema_version(con) == SCHEMA_VERSION:
            write_id_file(path, store_id_of(con))
            return []
        if schema_version(con) > SCHEMA_VERSION:
            check_version(con, path)
    try:
        con = _connect_file(path, read_only=False)
    except StoreOpenError as exc:
        raise StoreVersionError(f"{path}: store needs migrating but another process holds "
                                f"it ({exc}); stop it and run `gridcmd migrate`") from exc
    try:
        applied = migrate(con)
        write_id_file(path, store_id_of(con))
        return applied
    finally:
        con.close()


def id_file(path: str | Path) -> Path:
    """The sidecar ``<store>.id`` beside a store: its ``meta.store_id`` in plain text, so a
    process can tell which store a file is while a server holds it (DuckDB's lock keeps
    even read-only connections out then)."""
    path = Path(path)
    return path.with_name(path.name + ".id")


def store_id_of(con) -> str:
    row = con.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    return str(row[0]) if row else ""


def write_id_file(path: str | Path, store_id: str) -> None:
    """Write (or correct) the ``<store>.id`` sidecar; a read-only directory is left alone."""
    if not store_id:
        return
    target = id_file(path)
    try:
        if target.is_file() and target.read_text(encoding="ascii").strip() == store_id:
            return
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        tmp.write_text(store_id + "\n", encoding="ascii")
        os.replace(tmp, target)
    except OSError:
        pass


def read_id_file(path: str | Path) -> str | None:
    """The store id the sidecar of ``path`` holds, or None without one."""
    try:
        text = id_file(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if re.fullmatch(r"[0-9a-f]{32}", text) else None


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
def building(path: str | Path, timezone: str = TIMEZONE,
             memory_limit: str = BUILD_MEMORY_LIMIT):
    """Yield a connection to a fresh file beside ``path``; swap it in only on success.

    The old store, if any, stays untouched until the new one is complete and closed; on any
    error the partial file is removed and the error propagates. ``timezone`` is the new
    store's zone (meta ``timezone``, see :func:`create_schema`). ``memory_limit`` bounds
    DuckDB while it builds (a DuckDB size such as ``'3GB'``); beyond it DuckDB spills to
    ``.duckdb_tmp`` beside ``path``.
    """
    path = Path(path)
    check_writable(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET memory_limit = $v", {"v": memory_limit})
        con.execute("SET temp_directory = $dir", {"dir": str(path.parent / ".duckdb_tmp")})
        # DuckDB draws a bar on standard output for every statement over 2 s (a 100M build
        # has many): it would mix into a command's output; the demo shows its own on stderr
        con.execute("SET enable_progress_bar = false")
        create_schema(con, timezone=timezone)
        yield con
        con.execute("CHECKPOINT")
        new_id = store_id_of(con)
        con.close()
        os.replace(tmp, path)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        write_id_file(path, new_id)
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

    VERSION_TTL = 1.0
    """Seconds a read of :meth:`version` is reused (writes in this process reset it)."""
    CLOSE_WAIT_SECONDS = 30.0
    """Seconds :meth:`close` waits for statements under way on other threads' cursors (a
    background publish or rebase finishing) before it interrupts them."""

    def __init__(self, path: str | Path, writable: bool = False,
                 memory_limit: str | None = None, threads: int | None = None):
        self.path = Path(path)
        self.writable = writable
        self.memory_limit = memory_limit
        self.threads = threads
        self._version: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
        # every live thread's cursor, for close; weak, so a thread's cursor goes with it
        # (the development server starts a thread per request)
        self._cursors: weakref.WeakSet = weakref.WeakSet()
        self._before_close: list = []

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
            con = duckdb.connect(str(self.path), read_only=not self.writable)
            # The server's bounds (settings duckdb_memory_limit, duckdb_threads): DuckDB
            # takes 80% of RAM and every core by default; docs/overview.md#memory. Set, not
            # passed to connect: another connection of the process to the file (a test's)
            # must not differ in its configuration.
            if self.memory_limit:
                con.execute("SET memory_limit = $v", {"v": str(self.memory_limit)})
            if self.threads:
                con.execute("SET threads = $v", {"v": int(self.threads)})
            self._con = con
        return self._con

    def version(self) -> str:
        """The store version: a short text that changes whenever committed data changes
        (``queries/store/version.sql``: store id, newest import batch, write counter).

        Read at most once per :data:`VERSION_TTL` seconds; a write through :meth:`writer`
        forgets the value at once, so the next read in this process sees the write.
        """
        now = time.monotonic()
        got = self._version
        if got is not None and now - got[0] < self.VERSION_TTL:
            return got[1]
        value = run(self.cursor(), Q.STORE_VERSION, form="rows")[0][0]
        self._version = (now, value)
        return value

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            with self._lock:
                cur = self._connect().cursor()
                self._cursors.add(cur)
            self._local.cursor = cur
        return cur

    @contextmanager
    def still(self):
        """This thread's cursor while no write of this process is under way (the write lock
        held): for work that needs the store unchanged throughout, such as copying it
        (``serving.publish``; a background at-risk refit writes through :meth:`writer`)."""
        if not self.writable:
            raise RuntimeError("store is read-only; set intake_token to accept writes")
        with self._write_lock:
            yield self.cursor()

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
                try:
                    # after the writer's own commits: a read that saw the new data under
                    # the old version only ever cached newer data (docs/overview.md#cache)
                    cur.execute(sql(Q.STORE_BUMP_VERSION))
                except duckdb.Error:
                    pass  # a failed transaction left open: the error propagating says so
                finally:
                    self._version = None
                    cur.close()

    def meta(self) -> dict[str, str]:
        """The store's ``meta`` table as a dict (build id, seed, time zone ...)."""
        return dict(self.cursor().execute("SELECT key, value FROM meta").fetchall())

    def before_close(self, hook) -> None:
        """``hook()`` runs first when the store is closed: background work on it (a
        rescoring round after intake) finishes before its connection goes."""
        self._before_close.append(hook)

    def close(self) -> None:
        """Close the connection, after the ``before_close`` hooks. DuckDB refuses to close
        it while a statement runs on one of its cursors (another thread's), so close waits
        for those statements to end, up to :data:`CLOSE_WAIT_SECONDS`, then interrupts
        them and waits once more as long."""
        for hook in self._before_close:
            hook()
        with self._lock:
            if self._con is None:
                return
            interrupted = False
            deadline = time.monotonic() + self.CLOSE_WAIT_SECONDS
            while True:
                try:
                    self._con.close()
                    break
                except duckdb.ResourceInUseException:
                    if time.monotonic() < deadline:
                        time.sleep(0.02)
                    elif not interrupted:
                        for cur in list(self._cursors):
                            cur.interrupt()
                        interrupted = True
                        deadline = time.monotonic() + self.CLOSE_WAIT_SECONDS
                    else:
                        raise
            self._con = None
            self._cursors.clear()

    @classmethod
    def open(cls, path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """The store file at ``path`` opened for one job (a command, a script), checked.

        Use it as ``with Store.open(path) as con: ...``; the connection closes at the end of
        the block. The serving process shares one connection through a ``Store`` instead.

        Parameters
        ----------
        path : path
            An existing store file.
        read_only : bool
            True (the default): refuse a store of another schema version, so a reader never
            reads an older layout, and refuse every write. False: the single writer; an
            older store is migrated first (:func:`migrate`), the ``<store>.id`` sidecar is
            written, DuckDB's progress bar is off.

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        StoreOpenError
            DuckDB cannot open it: not a database, or held by another process (``locked``).
        StoreVersionError
            Not a GridCommand store, a store of another version (read-only), or one newer
            than this code.
        """
        path = Path(path)
        con = _connect_file(path, read_only=read_only)
        try:
            if read_only:
                check_version(con, path)
            else:
                con.execute("SET enable_progress_bar = false")
                migrate(con)
                write_id_file(path, store_id_of(con))
        except BaseException:
            con.close()
            raise
        return con
