"""Production serving: gunicorn with worker processes, and one writer for live intake.

``gridcmd serve --workers N`` and ``python app.py`` run :func:`run`: gunicorn's arbiter with
N ``gthread`` workers (``worker_threads`` threads each). The Dash app is built once, in the
arbiter, before the workers fork (preloading): the store is opened lazily per process, the
accounts database (sessions, kiosk tokens, lockout and, through
:mod:`dashboard.auth.ratelimit`, the rate limits) is one SQLite file every worker shares.

**Live intake with several workers** (docs/deploy.md). DuckDB lets one process write a file
or many read it, never both. So with ``intake_token`` set and more than one worker:

- the *writer* is one gunicorn "dirty" worker (:class:`IntakeWriter`, gunicorn's dirty
  arbiter keeps exactly one alive and starts a new one after a crash). It alone opens the
  store read-write; every intake request a worker takes is checked there and handed over
  (:class:`WriterProxy`: the batch is spooled to a file, the writer is told its path);
- after committed batches the writer *publishes* the store into ``<store>.snapshots/``
  (:func:`publish`): usually a hard link to the last whole copy (the *base*) with the
  store's write-ahead log beside it, which a reader replays when it opens the copy; a
  whole copy of the file when the file itself changed since the base or the log grew
  long (an idle writer *rebases*: it checkpoints, copies the file off its write lock
  while batches go on, and ships on that copy). The copy is opened and its version
  checked, then the pointer file ``CURRENT``
  (name and store version) is replaced atomically; batches that arrive together share
  one publish (:class:`IntakeWriter`);
- the HTTP workers read the newest published copy (:class:`SnapshotStore`): at most once a
  second they read ``CURRENT`` and, when it names a new copy, open it read-only; queries
  already running finish on the copy they started on (its file stays readable until the
  last cursor on it is gone, even after it is pruned).

A batch is answered only once it is committed and published, so every worker sees it at
its next check (within ``Store.VERSION_TTL``, 1 s). A reader never sees half a batch (a
copy is taken between transactions and appears by rename); nobody opens the writer's file
but the writer (no lock errors); a writer killed after its commit publishes the batch when
it starts again (:meth:`IntakeWriter.init`), and a killed reader simply opens ``CURRENT``
again. A publish costs the log written since the base; a whole copy, the store's size
(docs/deploy.md).

The at-risk rescoring and surge detection of a batch of incidents run after its answer
(``foresight.run.Rescorer``: a background round reads off the write lock and stores in a
short write). What a background round writes rides the next batch's copy, or a copy of its
own once ``BACKGROUND_PUBLISH_SECONDS`` pass without one: under steady intake every new
copy makes every worker open a new database and compute every page again, and a copy per
round doubled that. A writer killed before a batch's round runs it when it starts again,
and publishes at start what an earlier round left unpublished.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import duckdb
import orjson

import queries
from dashboard.ingest.intake import Intake, IntakeRejected, WriterUnavailable
from dashboard.ingest.intake import register as register_intake_routes
from dashboard.ingest.load import IMPORT_MEMORY_LIMIT, limit_bytes
from dashboard.store import Store, _connect_file
from queries import names as Q
from queries.shared_cache import alive as _alive  # the writer's watch (and the cache's)

SERVER_NAME = "GridCommand"
SNAPSHOT_SUFFIX = ".snapshots"
CURRENT = "CURRENT"
BASE = "BASE"  # file in the snapshots folder: the copy sharing the base file, and the store
# file's identity when that base was copied (publish ships the WAL while it still matches)
# a publish ships at most this much WAL (readers replay it when they open the copy); past it,
# and past DuckDB's own checkpoint threshold in the writer (set to the same), the store is
# copied whole
WAL_SHIP_LIMIT = 64 * 2**20
# an idle writer copies the store whole once its WAL is past this, so that readers replay
# little when they open a copy (IntakeWriter._rebase_when_idle)
WAL_REBASE = 16 * 2**20
REBASE_IDLE_SECONDS = 2.0  # ... after this long without a batch
KEEP_SNAPSHOTS = 3  # published copies kept; older ones are removed (open ones stay readable)
WRITER_APP = "dashboard.serving:IntakeWriter"
WRITE_TIMEOUT = 3600.0  # seconds a worker waits for the writer on a file (minutes when large)
# ... and on a JSON batch
RECORDS_TIMEOUT = 120.0
# gunicorn's dirty arbiter never answers a request that was queued for (or taken by) a
# writer that died, so a waiting worker looks at the writer's pid this often and answers
# 503 as soon as it is gone, instead of at the time limit
WRITER_WATCH_SECONDS = 0.5
WRITER_PID = "WRITER"  # file in the snapshots folder: the pid of the live writer
# how long a worker waits for a dead writer's successor to name itself before it answers 503
SUCCESSOR_SECONDS = 60.0
# requests the writer takes at once (gunicorn's dirty_threads): their batches are written one
# at a time and published together (IntakeWriter, grouped publishing)
WRITER_THREADS = 8
GROUP_SECONDS = 1.0  # how long a publish waits for the batches queued behind it
# what a background write (a rescoring round, an at-risk refit) stored waits this long for the
# next batch's publish to carry it, then is published by a copy of its own
BACKGROUND_PUBLISH_SECONDS = 10.0
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'

_settings_for_writer = None  # set by run() in the arbiter; the writer is forked from it


def split_writer(settings) -> bool:
    """Whether writes go to a separate writer process: intake on, several workers (and not
    Werkzeug's one-process development server, ``debug``)."""
    return bool(settings.intake_token) and settings.workers > 1 and not settings.debug


def make_store(settings) -> Store:
    """The store object of the app: the file itself, or the writer's published copies.

    DuckDB's memory is ``duckdb_memory_limit`` (the readers' bound), except in a process
    that also writes (intake on, one worker): its imports and intake batches take the
    import budget (``IMPORT_MEMORY_LIMIT``, as the separate writer process has), when that
    is larger; an import's summary refresh does not fit the readers' bound."""
    split = split_writer(settings)
    limit = settings.duckdb_memory_limit
    if settings.intake_token and not split and limit and (
            limit_bytes(limit) < limit_bytes(IMPORT_MEMORY_LIMIT)):
        limit = IMPORT_MEMORY_LIMIT
    cls = SnapshotStore if split else Store
    return cls(settings.store, memory_limit=limit, threads=settings.duckdb_threads)


def register_intake(server, store, settings):
    """The intake routes; writing in this process, or through the writer process."""
    writer = WriterProxy(settings) if split_writer(settings) else None
    return register_intake_routes(server, store, settings, writer=writer)


# --- published snapshots -------------------------------------------------------------------


def snapshots_dir(store: str | Path) -> Path:
    store = Path(store)
    return store.with_name(store.name + SNAPSHOT_SUFFIX)


def current(store: str | Path) -> tuple[str, str] | None:
    """(file name, store version) of the newest published copy, or None before any."""
    try:
        text = (snapshots_dir(store) / CURRENT).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    name, _, version = text.partition("\n")
    return (name.strip(), version.strip()) if name.strip() else None


def publish(con: duckdb.DuckDBPyConnection, store: str | Path, force: bool = False,
            whole: bool = False, rebased: tuple[Path, str] | None = None) -> str | None:
    """Publish the store that ``con`` holds read-write as its newest read-only copy.

    Call it between transactions (the writer's writes are serialised). A copy is a *base*
    file plus the store's write-ahead log since it:

    - **shipped** (the usual case): when the store file itself has not changed since the
      last base was copied (only its WAL grew: small commits write nothing else until a
      checkpoint), the new copy is a hard link to that base and a copy of the WAL beside
      it, ``N.duckdb.wal``. A reader opening ``N.duckdb`` read-only replays that WAL in
      memory; the base file is never written. The cost is the WAL's size, not the store's.
    - **whole**: otherwise (no base yet; the store file changed: a checkpoint, DuckDB's
      direct writes of a large batch, a crash replayed at open; the WAL past
      :data:`WAL_SHIP_LIMIT`; or ``whole``), ``CHECKPOINT`` and a copy of the store file,
      which becomes the new base.

    - **rebased**: ``rebased`` is ``(file, identity)``, a copy of the store file made after
      a ``CHECKPOINT`` (:func:`checkpoint` gave the identity) while the writer went on
      writing (:meth:`IntakeWriter._rebase_when_idle`). When the store file is still that
      identity (every commit since went to the WAL only), the file becomes the new base and
      the copy ships the WAL written since the checkpoint; otherwise it is dropped and the
      copy is made whole.

    Either copy is opened read-only here and its version checked before ``CURRENT`` names
    it: a shipped copy whose WAL does not replay to the store's version (cut short, say) is
    removed and a whole copy made instead. Skipped when the
    newest copy already has the store's version, unless ``force`` or ``rebased``. Returns
    how it was published ("shipped", "rebased" or "whole"), or None when skipped.
    """
    store = Path(store)
    version = queries.run(con, Q.STORE_VERSION, form="rows")[0][0]
    found = current(store)
    folder = snapshots_dir(store)
    if found is not None and found[1] == version and not (force or rebased) \
            and (folder / found[0]).is_file():
        return None
    folder.mkdir(exist_ok=True)
    adopted = _adopt_base(con, store, folder, *rebased) if rebased and not whole else None
    name = _next_name(folder)
    base = None if whole else adopted or _base(con, folder, store)
    how = "whole"
    if base is not None and wal_size(store) <= WAL_SHIP_LIMIT:
        if _ship(store, folder, base[0], name, version):
            how = "rebased" if adopted else "shipped"
            _write_atomically(folder / BASE, f"{name}\n{base[1]}\n")
    if how == "whole":
        _copy_whole(con, store, folder, name, version)
    _write_atomically(folder / CURRENT, f"{name}\n{version}\n")
    for old in sorted(p for p in folder.glob("*.duckdb") if p.stem.isdigit())[:-KEEP_SNAPSHOTS]:
        old.unlink(missing_ok=True)  # a reader still on it keeps reading its open file
        _wal_of(old).unlink(missing_ok=True)  # replayed when the copy was opened
    for stale in folder.glob(".*.tmp"):
        if not stale.name.endswith(f".{os.getpid()}.tmp"):
            stale.unlink(missing_ok=True)  # left by a writer killed while copying
    return how


def _wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def wal_size(store: str | Path) -> int:
    """Bytes in the store's write-ahead log (0 when there is none)."""
    try:
        return _wal_of(Path(store)).stat().st_size
    except FileNotFoundError:
        return 0


def _identity(con, path: Path) -> str:
    """What changes whenever the store file itself is written: its inode, size and
    modification time, and the blocks the writer's connection has allocated in it (a large
    batch's row groups are written into the file before they commit)."""
    st = path.stat()
    total, free = queries.run(con, Q.STORE_BLOCKS, form="rows")[0]
    return f"{st.st_ino} {st.st_size} {st.st_mtime_ns} {total} {free}"


def _base(con, folder: Path, store: Path) -> tuple[str, str] | None:
    """(newest copy sharing the base file, the store file's identity when the base was
    copied), if the store file is still exactly that (only its WAL has grown since)."""
    try:
        name, _, identity = (folder / BASE).read_text(encoding="utf-8").partition("\n")
    except FileNotFoundError:
        return None
    name, identity = name.strip(), identity.strip()
    if not name or identity != _identity(con, store) or not (folder / name).is_file():
        return None
    return name, identity


def _place_wal(store: Path, folder: Path, name: str) -> None:
    """The store's WAL as it is now (between transactions), beside copy ``name``."""
    target = _wal_of(folder / name)
    target.unlink(missing_ok=True)
    if wal_size(store):
        tmp = folder / f".{target.name}.{os.getpid()}.tmp"
        # another file than the store's: DuckDB's record lock on the store is unaffected
        shutil.copyfile(_wal_of(store), tmp)
        os.replace(tmp, target)


def _opens_at(path: Path, version: str) -> bool:
    """Whether the copy at ``path`` opens read-only (replaying its WAL) at ``version``."""
    try:
        with duckdb.connect(str(path), read_only=True) as check:
            return queries.run(check, Q.STORE_VERSION, form="rows")[0][0] == version
    except duckdb.Error:
        return False


def _ship(store: Path, folder: Path, base: str, name: str, version: str) -> bool:
    """Copy ``name``: a hard link to the base ``base`` and the store's WAL; False (and
    nothing left) when it does not open at ``version``."""
    _place_wal(store, folder, name)
    os.link(folder / base, folder / name)
    if _opens_at(folder / name, version):
        return True
    (folder / name).unlink(missing_ok=True)
    _wal_of(folder / name).unlink(missing_ok=True)
    return False


def _next_name(folder: Path) -> str:
    numbers = [int(p.stem) for p in folder.glob("*.duckdb") if p.stem.isdigit()]
    return f"{max(numbers, default=0) + 1:010d}.duckdb"


def checkpoint(con, store: Path) -> str:
    """``CHECKPOINT`` (everything committed into the file, the WAL emptied unless the
    checkpoint was refused) and the store file's identity after it."""
    con.execute("CHECKPOINT")
    return _identity(con, store)


def copy_file(store: Path, target: Path) -> None:
    """Copy the store file to ``target`` byte for byte, in another process: DuckDB's lock on
    the store is a POSIX record lock, which this process would lose the moment it closed
    any descriptor of the file of its own (another process could then open the store
    read-write beside the writer). ``--reflink=auto``: a near-free copy on a filesystem
    that shares blocks (XFS, btrfs)."""
    subprocess.run(["cp", "--reflink=auto", "--", str(store), str(target)], check=True)


def _adopt_base(con, store: Path, folder: Path, copied: Path,
                identity: str) -> tuple[str, str] | None:
    """Make ``copied`` (the store file copied when it had ``identity``) the base, if the
    store file still has that identity, and return it as :func:`_base` would; otherwise
    remove it and return None."""
    if not copied.is_file() or _identity(con, store) != identity:
        copied.unlink(missing_ok=True)
        return None
    name = _next_name(folder)
    os.replace(copied, folder / name)
    _write_atomically(folder / BASE, f"{name}\n{identity}\n")
    return name, identity


def _copy_whole(con, store: Path, folder: Path, name: str, version: str) -> None:
    """Copy ``name``: ``CHECKPOINT``, then the store file copied; it becomes the base."""
    identity = checkpoint(con, store)
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    copy_file(store, tmp)
    _place_wal(store, folder, name)  # empty after a CHECKPOINT, unless one was refused
    os.replace(tmp, folder / name)
    if not _opens_at(folder / name, version):
        raise RuntimeError(f"the copy {folder / name} of {store} does not open at its "
                           "version")
    if _identity(con, store) == identity:  # unchanged while copied (nothing else writes it)
        _write_atomically(folder / BASE, f"{name}\n{identity}\n")
    else:
        (folder / BASE).unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text``: readers see the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def prepare_snapshots(store: str | Path) -> None:
    """Before the workers start: publish the store if no copy has its version yet (the
    store file is opened read-write here, which also replays a WAL left by a crash)."""
    with duckdb.connect(str(store)) as con:
        con.execute("SET enable_progress_bar = false")
        publish(con, store)


class SnapshotStore(Store):
    """A read-only :class:`~dashboard.store.Store` on the writer's newest published copy.

    ``path`` is the store file itself (its identity, the spool beside it); what is read is
    ``<store>.snapshots/<CURRENT>``. :meth:`cursor` and :meth:`version` look at ``CURRENT``
    at most once per ``VERSION_TTL`` and move to a new copy when it names one: each thread
    takes a cursor on the new connection at its next request, and the old connection
    closes when its last cursor is gone.
    """

    def __init__(self, path, **kwargs):
        super().__init__(path, **kwargs)
        self._snapshot: str | None = None
        self._snapshot_version: str | None = None
        self._generation = 0
        self._looked = float("-inf")
        self._follow_lock = threading.Lock()

    def _open_snapshot(self, name: str, version: str) -> None:
        con = _connect_file(snapshots_dir(self.path) / name, read_only=True)
        if self.memory_limit:
            con.execute("SET memory_limit = $v", {"v": str(self.memory_limit)})
        if self.threads:
            con.execute("SET threads = $v", {"v": int(self.threads)})
        self._con, self._snapshot, self._snapshot_version = con, name, version
        self._generation += 1

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            found = current(self.path)
            if found is None:
                raise FileNotFoundError(f"no published copy of {self.path} (the writer "
                                        "publishes one at start)")
            self._open_snapshot(*found)
        return self._con

    def follow(self) -> None:
        """Move to the newest published copy if ``CURRENT`` names another.

        One thread looks at a time, and the look counts only once its copy is open: a
        thread that arrives while another opens the new copy waits for it instead of
        reading on from the old one (a request begun a second after a publish always
        reads the published copy).
        """
        if time.monotonic() - self._looked < self.VERSION_TTL:
            return
        with self._follow_lock:
            started = time.monotonic()
            if started - self._looked < self.VERSION_TTL:
                return  # another thread looked while this one waited
            found = current(self.path)
            if found is not None and found[0] != self._snapshot:
                with self._lock:
                    if self._con is not None:
                        try:
                            self._open_snapshot(*found)
                        except FileNotFoundError:
                            return  # already replaced by a newer one: look again next time
            self._looked = started

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self.follow()
        local = self._local
        if getattr(local, "generation", None) != self._generation \
                or getattr(local, "cursor", None) is None:
            with self._lock:
                cur = self._connect().cursor()
                generation = self._generation
            local.cursor, local.generation = cur, generation
        return local.cursor

    def version(self) -> str:
        """The version ``CURRENT`` recorded with the copy this process reads (the writer
        computed it on the store it copied): it moves with the copy, never before it."""
        self.cursor()
        with self._lock:
            return self._snapshot_version

    def enable_writes(self) -> None:
        raise RuntimeError("the workers read published copies; the writer process writes")


# --- the writer process ----------------------------------------------------------------------


def _writer_settings():
    from dashboard.settings import Settings

    return _settings_for_writer or Settings.load()


try:
    from gunicorn.dirty.app import DirtyApp
except ImportError:  # gunicorn is a dependency; this keeps the module importable without it
    DirtyApp = object


class IntakeWriter(DirtyApp):
    """The one process that writes the store (a gunicorn dirty worker, ``workers = 1``).

    Actions (called by :class:`WriterProxy` in the HTTP workers): ``records`` and
    ``upload``, each answering ``{"summary": …}`` or ``{"rejected": reason}`` once its
    committed batch is published (:func:`publish`).

    **Grouped publishing.** The writer takes up to ``WRITER_THREADS`` requests at once
    (gunicorn's ``dirty_threads``); their batches are written one at a time under
    ``lock``, and one copy publishes every batch committed before it. The first batch to
    need a publish waits for the batches already queued behind the lock (at most
    ``GROUP_SECONDS``), then copies the store once, under the lock, for all of them; the
    others wait for that copy and answer with it. So a burst of N batches costs one or two
    copies of the store instead of N, which is what keeps intake ahead of its arrivals when
    a copy takes seconds (a large store, docs/deploy.md).
    """

    workers = 1

    def init(self):
        settings = _writer_settings()
        # before DuckDB starts its threads, which inherit the priority of their creator
        lower_priority(settings.writer_nice)
        # the import budget, not the readers' duckdb_memory_limit (350 MB): this process
        # only writes, and a large batch's summary refresh ran out of memory under the
        # readers' limit (a 1M-case upload into the 10M store)
        self.store = Store(settings.store, writable=True, memory_limit=IMPORT_MEMORY_LIMIT,
                           threads=settings.duckdb_threads)
        self.intake = Intake(self.store, settings)
        self.lock = threading.Lock()  # one write or one copy of the store at a time
        self.state = threading.Condition()  # guards the counters below
        self.committed = 0  # batches committed by this process
        self.published = 0  # ... of which the newest published copy holds this many
        self.publishing = False  # a thread is copying (or about to) for everyone
        self.queued = 0  # threads waiting for the lock to write a batch
        # a rescoring round or an at-risk refit wrote in the background: publish that too,
        # with the next batch or after BACKGROUND_PUBLISH_SECONDS
        self.background = 0  # background writes finished
        self.background_published = 0  # ... of which the newest published copy holds this many
        self.background_waiting = False  # a thread waits to publish them
        self.closing = False  # ... then leaves them to the next writer's init
        self.intake.after_background_write = self._background_wrote
        self.rebase_pending = False  # a thread waits to copy the store whole when idle
        self.rebasing = False  # ... and is copying it now, off the lock (publishes wait)
        # DuckDB checkpoints by itself once its WAL passes checkpoint_threshold (16 MB by
        # default), which rewrites the store file and so makes the next publish a whole
        # copy: let the WAL grow to the ship limit instead (publish, _rebase_when_idle)
        self.store.cursor().execute(
            f"SET checkpoint_threshold = '{WAL_SHIP_LIMIT // 2**20}MB'")
        _write_atomically(snapshots_dir(self.store.path) / WRITER_PID, str(os.getpid()))
        # a batch committed by a writer killed before it published is published now
        with self.store.still() as con:
            publish(con, self.store.path)
        # ... and rescored now, when it was killed before its rescoring round stored
        self.intake.rescorer.catch_up()
        # the point-in-polygon index of the grids, built now rather than by the first batch
        # (1.8 s of its answer at 10M, in a fresh writer process)
        cur = self.store.cursor()
        self.intake.area(cur)

    def _copy(self, rebased: tuple[Path, str] | None = None) -> None:
        """Publish a copy of the store under the write lock for every batch committed so
        far, then record that the published copy holds them and wake the threads waiting
        for it. Called by :meth:`_publish_through`, after a write that was not a batch (a
        background at-risk refit) and, with the file it copied, by the rebase. While a
        rebase copies the store it waits for it: the rebase publishes on its new base."""
        while True:
            if rebased is None:
                self._wait_for_rebase()
            with self.lock, self.store.still() as con:  # a background refit may write too
                if self.rebasing and rebased is None:
                    continue  # a rebase began while this thread waited for the lock
                upto, background = self.committed, self.background
                publish(con, self.store.path, rebased=rebased)
                long_wal = wal_size(self.store.path) > WAL_REBASE
                break
        with self.state:
            if rebased is not None:
                self.rebasing = False  # the publishes that waited for it find it holds them
            self.published = max(self.published, upto)
            self.background_published = max(self.background_published, background)
            self.state.notify_all()
            if long_wal and not self.rebase_pending:
                self.rebase_pending = True
                threading.Thread(target=self._rebase_when_idle, daemon=True,
                                 name="gridcmd-rebase").start()

    def _background_wrote(self) -> None:
        """A background write finished (its commit done): publish it with the next copy,
        or by one of its own after ``BACKGROUND_PUBLISH_SECONDS``."""
        with self.state:
            self.background += 1
            if self.background_waiting:
                return
            self.background_waiting = True
        threading.Thread(target=self._publish_background, daemon=True,
                         name="gridcmd-background-publish").start()

    def _publish_background(self) -> None:
        try:
            with self.state:
                self.state.wait_for(lambda: self.closing
                                    or self.background_published >= self.background,
                                    BACKGROUND_PUBLISH_SECONDS)
                self.background_waiting = False
                due = self.background_published < self.background and not self.closing
            if due:  # no batch came to carry it
                self._copy()
        except Exception:  # the next batch's copy carries it; keep the writer up
            logging.getLogger(__name__).exception("publishing a background write failed")

    def background_settled(self, timeout: float) -> bool:
        """Wait until a published copy holds every background write finished so far
        (tests); False on ``timeout``."""
        with self.state:
            target = self.background
            return self.state.wait_for(lambda: self.background_published >= target, timeout)

    def _idle(self) -> int:
        """Wait until no batch was committed, queued or published for
        ``REBASE_IDLE_SECONDS``; the number of batches committed then."""
        while True:
            seen = self.committed
            time.sleep(REBASE_IDLE_SECONDS)
            with self.state:
                if self.committed == seen and not self.queued and not self.publishing:
                    return seen

    def _wait_for_rebase(self) -> None:
        with self.state:
            while self.rebasing:
                self.state.wait(timeout=1.0)

    def _rebase_when_idle(self) -> None:
        """Copy the store whole once no batch has come for ``REBASE_IDLE_SECONDS``: the
        WAL the copies ship (and every reader replays when it opens one) starts again from
        empty.

        Only the ``CHECKPOINT`` holds the write lock. The file is copied off it: batches
        arriving meanwhile are written (their commits go to the WAL, the file stays as
        checkpointed) and wait only for their publish, which ships on the new base once
        the copy is done (:func:`publish` with ``rebased``; a copy whose store file changed
        meanwhile, by a large batch's direct writes, is dropped and the publish is whole).
        Under a steady stream of batches the WAL reaches ``WAL_SHIP_LIMIT`` and the next
        publish copies whole."""
        folder = snapshots_dir(self.store.path)
        copied = folder / f".rebase.{os.getpid()}.tmp"
        try:
            identity = None
            while identity is None:
                seen = self._idle()
                with self.lock, self.store.still() as con:
                    if self.committed != seen:
                        # a batch being written when the writer looked idle (it holds the
                        # lock, so nothing counts it as queued): its publish goes first
                        continue
                    if wal_size(self.store.path) <= WAL_REBASE:
                        return
                    began = time.monotonic()
                    identity = checkpoint(con, self.store.path)
                    if wal_size(self.store.path):
                        return  # the checkpoint was refused: try again after the next batch
                    with self.state:
                        self.rebasing = True
            started = time.monotonic()
            copy_file(self.store.path, copied)
            self._copy(rebased=(copied, identity))
            logging.getLogger(__name__).info(
                "rebased the published copies: checkpoint %.2f s under the write lock, "
                "copy and publish %.2f s off it", started - began, time.monotonic() - started)
        except Exception:  # the next publish copies whole if it must; keep the writer up
            logging.getLogger(__name__).exception("copying the store whole failed")
        finally:
            copied.unlink(missing_ok=True)
            with self.state:
                self.rebase_pending = self.rebasing = False
                self.state.notify_all()

    def _publish_through(self, batch: int) -> None:
        """Return once a published copy holds committed batch number ``batch``: wait for a
        copy under way, or make one for every batch committed so far."""
        while True:
            with self.state:
                if self.published >= batch:
                    return
                if self.publishing:  # a copy under way may hold it, or the next will
                    self.state.wait(timeout=1.0)
                    continue
                self.publishing = True
                # the batches already waiting to write go into the same copy
                deadline = time.monotonic() + GROUP_SECONDS
                while self.queued and time.monotonic() < deadline:
                    self.state.wait(timeout=deadline - time.monotonic())
            try:
                self._copy()
            finally:  # done or failed: the next thread to need a copy makes one
                with self.state:
                    self.publishing = False
                    self.state.notify_all()

    def _write(self, action, *args) -> str:
        with self.state:
            self.queued += 1
        with self.lock:
            with self.state:
                self.queued -= 1
                self.state.notify_all()
            try:
                summary = action(*args)
            except IntakeRejected as exc:
                return orjson.dumps({"rejected": str(exc)}).decode()
            self.committed += 1
            batch = self.committed
        self._publish_through(batch)
        return orjson.dumps({"summary": summary}, default=str).decode()

    def records(self, kind: str, path: str, source: str) -> str:
        records = orjson.loads(Path(path).read_bytes())
        return self._write(self.intake.write_records, kind, records, source)

    def upload(self, kind: str, mapping_text: str | None, path: str, name: str,
               replace: bool) -> str:
        return self._write(self.intake.write_file, kind, mapping_text, path, name, replace)

    def close(self):
        state = getattr(self, "state", None)
        if state is not None:
            with state:
                self.closing = True
                state.notify_all()
        store = getattr(self, "store", None)
        if store is not None:
            store.close()


class WriterDied(RuntimeError):
    """The writer a request waited for is gone (see :func:`_execute_watched`)."""


class NoWriter(RuntimeError):
    """No live writer to send a request to: the last one died and no successor named
    itself in time (see :func:`_execute_watched`). Nothing was sent."""


def _writer_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _execute_watched(pidfile: Path, action: str, args: tuple, timeout: float):
    """One call of the writer's ``action`` through gunicorn's dirty arbiter, like
    ``DirtyClient.execute`` but watching the writer while it waits: when the writer named in
    ``pidfile`` at the start dies (or another took its place), :class:`WriterDied` is raised
    within :data:`WRITER_WATCH_SECONDS`; the arbiter would never answer.

    A writer named there that is dead already means its successor is starting: the
    request is sent only once the successor has named itself (within
    :data:`SUCCESSOR_SECONDS`, else :class:`NoWriter`: nothing was sent). Sent at once, it
    went either to the successor, and answering "died" then was wrong (the batch was
    stored after its sender was told to send it again), or into the dead writer's queue,
    which the arbiter drops without an answer (the sender waited for the time limit);
    once the successor has named itself the arbiter has reaped the dead one."""
    from gunicorn.dirty.client import get_dirty_socket_path
    from gunicorn.dirty.errors import DirtyError
    from gunicorn.dirty.protocol import DirtyProtocol, make_request

    deadline = time.monotonic() + timeout
    writer = _writer_pid(pidfile)
    if writer is not None and not _alive(writer):  # its successor is starting
        until = time.monotonic() + min(SUCCESSOR_SECONDS, timeout)
        while writer is None or not _alive(writer):
            if time.monotonic() >= until:
                raise NoWriter(f"no writer process named itself within "
                               f"{min(SUCCESSOR_SECONDS, timeout):.0f} s")
            time.sleep(WRITER_WATCH_SECONDS / 5)
            writer = _writer_pid(pidfile)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(min(timeout, 30.0))
        sock.connect(get_dirty_socket_path())
        DirtyProtocol.write_message(sock, make_request(
            request_id=uuid.uuid4().hex, app_path=WRITER_APP, action=action, args=args,
            kwargs={}))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([sock], [], [], min(WRITER_WATCH_SECONDS, left))
            if ready:
                break
            if writer is not None and (not _alive(writer) or _writer_pid(pidfile) != writer):
                raise WriterDied(writer)
        sock.settimeout(max(deadline - time.monotonic(), 1.0))
        response = DirtyProtocol.read_message(sock)
    if response.get("type") == DirtyProtocol.MSG_TYPE_RESPONSE:
        return response.get("result")
    if response.get("type") == DirtyProtocol.MSG_TYPE_ERROR:
        raise DirtyError.from_dict(response.get("error", {}))
    raise DirtyError(f"unknown answer from the writer: {response.get('type')}")


class WriterProxy:
    """The HTTP workers' side of :class:`IntakeWriter`: the same two methods as
    :class:`~dashboard.ingest.intake.Intake`, carried out by the writer process."""

    def __init__(self, settings):
        self.spool = Path(settings.store).parent / "spool"
        self.pidfile = snapshots_dir(settings.store) / WRITER_PID

    def _call(self, action: str, timeout: float, *args):
        from gunicorn.dirty.errors import DirtyAppError, DirtyError, DirtyWorkerError

        try:
            answer = _execute_watched(self.pidfile, action, args, timeout)
        except DirtyAppError as exc:
            raise RuntimeError(f"the writer failed: {exc}") from None
        except (WriterDied, DirtyWorkerError):
            raise WriterUnavailable("the writer process died while the batch waited for it or "
                                    "was written; it may be stored or not: send it again "
                                    "(records are upserted by their key)") from None
        except TimeoutError:
            raise WriterUnavailable(f"the writer did not answer within {timeout:.0f} s; "
                                    "the batch may still be stored: send it again (records "
                                    "are upserted by their key)") from None
        except (DirtyError, OSError, NoWriter) as exc:
            raise WriterUnavailable(f"the writer process is not available ({exc}); nothing "
                                    "was stored, send the batch again") from None
        answer = orjson.loads(answer)
        if "rejected" in answer:
            raise IntakeRejected(answer["rejected"])
        return answer["summary"]

    def write_records(self, kind: str, records: list, source: str) -> dict:
        self.spool.mkdir(parents=True, exist_ok=True)
        path = self.spool / f"{uuid.uuid4().hex}.json"
        path.write_bytes(orjson.dumps(records))
        try:
            return self._call("records", RECORDS_TIMEOUT, kind, str(path), source)
        finally:
            path.unlink(missing_ok=True)

    def write_file(self, kind: str, mapping_text: str | None, path: str, name: str,
                   replace: bool) -> dict:
        return self._call("upload", WRITE_TIMEOUT, kind, mapping_text, str(path), name,
                          bool(replace))


# --- gunicorn ---------------------------------------------------------------------------------


def _one_server_header(wsgi):
    """gunicorn writes ``Server`` itself (set to GridCommand in :func:`run`); the app's own
    copy of the header is dropped so a response carries it once."""

    def app(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [(k, v) for k, v in headers
                                           if k.lower() != "server"], exc_info)

        return wsgi(environ, start)

    return app


def gunicorn_options(settings) -> dict:
    """gunicorn's configuration for ``settings`` (docs/deploy.md lists each choice)."""
    options = {
        "bind": [f"{settings.host}:{settings.port}"],
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.worker_threads,
        "preload_app": True,
        # one name per address: gunicorn finds an orphaned dirty arbiter by it
        "proc_name": f"gridcmd-{settings.host}-{settings.port}",
        "control_socket_disable": True,
        "timeout": 60,
        "graceful_timeout": 10,
        # longer than a user's pause between clicks: a client that reuses a connection the
        # server has just closed gets a reset (seen once in the load mix at 5 s)
        "keepalive": 65,
        "errorlog": "-",
        "loglevel": "warning",
        "accesslog": settings.access_log or None,
        "access_log_format": ACCESS_LOG_FORMAT,
    }
    if split_writer(settings):
        options.update(dirty_apps=[WRITER_APP], dirty_workers=1, dirty_threads=WRITER_THREADS,
                       dirty_timeout=int(WRITE_TIMEOUT), dirty_graceful_timeout=10)
    return options


def limit_malloc_arenas(n: int) -> bool:
    """Cap glibc's malloc arenas at ``n`` for this process and the workers it forks
    (``mallopt(M_ARENA_MAX, n)``); False when ``n`` is 0 or this is not glibc. The gthread
    workers' request threads each get an arena of their own by default (up to 8 per core),
    and memory freed in one arena is kept for it, so a worker's RSS grows with the largest
    frames each of its threads ever held."""
    import ctypes
    import ctypes.util

    if n <= 0:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, int(n)))


M_ARENA_MAX = -8  # glibc's malloc.h


def lower_priority(nice: int) -> int:
    """Lower the CPU priority of this process to ``nice`` (never raise it): every thread
    it has now, and so every thread they start later (a new thread inherits its creator's
    priority). Linux keeps a nice value per thread, so ``os.nice`` alone would move only
    the calling one. The number of threads moved; 0 when ``nice`` is 0 or below."""
    if nice <= 0:
        return 0
    tasks = Path("/proc/self/task")
    tids = [int(t) for t in os.listdir(tasks)] if tasks.is_dir() else [0]
    moved = 0
    for tid in tids:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                moved += 1
        except (ProcessLookupError, PermissionError):  # a thread that has just ended
            continue
    return moved


def run(app, settings=None) -> None:
    """Serve the Dash ``app`` with gunicorn until the arbiter is stopped (SIGTERM/SIGINT)."""
    import gunicorn.http.wsgi
    from gunicorn.app.base import BaseApplication

    global _settings_for_writer
    settings = settings or app.server.config["GRIDCMD_SETTINGS"]
    _settings_for_writer = settings
    gunicorn.http.wsgi.SERVER = SERVER_NAME  # its Server header, instead of "gunicorn"
    limit_malloc_arenas(settings.malloc_arena_max)  # before the workers fork
    if split_writer(settings):
        prepare_snapshots(settings.store)
    wsgi = _one_server_header(app.server)
    options = gunicorn_options(settings)
    if settings.report_levels or settings.report_week_levels:
        # the 通报 schedule: one scheduler per worker, runs under a file lock
        # (dashboard/report/schedule.py); started after the fork, never before
        from dashboard.report import schedule

        store = app.server.extensions["gridcmd_store"]
        options["post_worker_init"] = lambda worker: schedule.start(store, settings)

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return wsgi

    Server().run()
