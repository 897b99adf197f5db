"""SQL files and the thin runner that binds their ``$named`` parameters.

Every query lives in its own ``.sql`` file with a header comment (purpose, parameters,
columns). Values are always bound by DuckDB, never formatted into the text. The only
identifiers that vary are *slots*: a file that serves several tables of the same shape
(town, county and city rollups) writes ``{{level}}`` where the table differs and declares
the words a slot may take in a header line ``-- @slot level: town county city``; the runner
fills a slot only with one of those words, and refuses a missing, extra or undeclared one.
A line ``-- @include name`` stands for the text of ``name.sql``; ``-- @include name
level=village`` also fills that file's slots (with declared words) at the include.

:func:`run` is the one way to run a query file. Inside a :func:`reading` block (the server
opens one per callback request, ``dashboard/pagememo.py``) it also

* stops a statement that runs longer than the block's time limit (DuckDB has no
  ``statement_timeout``: a watchdog thread calls the cursor's ``interrupt()``) and raises
  :class:`QueryTimeout`;
* answers a read query (``SELECT``/``WITH``) from a result cache keyed by the query text,
  its parameters and the *store version* the block names (``Store.version``: the store id,
  the newest import batch and a counter every in-process write bumps), so a write makes
  every older entry unreachable. The cache sits behind :class:`ResultCache` (``get``,
  ``set``, ``clear``: the interface of flask-caching's backends), so a FileSystemCache or
  Redis backend shared by several worker processes can replace the in-process LRU.

Results from the cache are never shared mutable objects: a DataFrame is returned as a copy,
arrays (``form="arrays"``) are read-only.
"""

from __future__ import annotations

import contextvars
import hashlib
import heapq
import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

SQL_DIR = Path(__file__).resolve().parent
# a query's name: its file's path under queries/ without .sql, one folder deep at most
# (``overview/alerts``); the migrations folder is not a query folder
_NAME = r"[a-z][a-z0-9_]*(?:/[a-z][a-z0-9_]*)?"
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+(" + _NAME + r")"
                      r"((?:[ \t]+[a-z][a-z0-9_]*=[a-z0-9_]+)*)[ \t]*$", re.M)
_PARAM = re.compile(r"(?<![:$\w])\$([A-Za-z_]\w*)")
_SLOT = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
_SLOT_DECL = re.compile(r"^[ \t]*--[ \t]*@slot[ \t]+([a-z][a-z0-9_]*):[ \t]*(.*?)[ \t]*$",
                        re.M)
_WORD = re.compile(r"[a-z0-9_]+")


@cache
def sql(name: str, **slots) -> str:
    """Return the text of ``queries/<name>.sql`` with its ``{{slot}}`` words filled in.

    Parameters
    ----------
    name : str
        The file's path under ``queries/`` without ``.sql``: a plain identifier, or a folder
        and an identifier (``overview/alerts``), so a caller can never reach outside the
        folder (nor into ``migrations/``).
    **slots
        A word for every slot the text uses, each one of the words its ``-- @slot`` line
        declares (so an identifier only ever comes from that list, never from input).

    Raises
    ------
    TypeError
        A slot missing or not used by the query.
    ValueError
        A word the query does not declare for its slot.
    """
    return _fill(name, _text(name), slots)


def _fill(name: str, text: str, slots: dict) -> str:
    used = set(_SLOT.findall(text))
    if used != set(slots):
        raise TypeError(f"query {name} has slots {sorted(used)}, got {sorted(slots)}")
    if not slots:
        return text
    allowed: dict[str, set[str]] = {}
    for key, words in _SLOT_DECL.findall(text):  # declared twice (an include): both hold
        allowed[key] = allowed.get(key, set(words.split())) & set(words.split())
    for key, word in slots.items():
        word = str(word)
        if not _WORD.fullmatch(word) or word not in allowed.get(key, ()):
            raise ValueError(f"query {name}: slot {key} takes one of "
                             f"{sorted(allowed.get(key, ()))}, not {word!r}")
    return _SLOT.sub(lambda m: str(slots[m.group(1)]), text)


@cache
def _text(name: str) -> str:
    if not re.fullmatch(_NAME, name) or name.startswith("migrations/"):
        raise ValueError(f"invalid query name: {name!r}")
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no such query: {name} (nor a generated block: those of the "
                       "rollups are registered by importing dashboard.kpi)")
    text = path.read_text(encoding="utf-8")
    # A line `-- @include other` stands for the text of queries/other.sql, so a block that
    # several queries must share exactly (the analyst filters) is written once; words after
    # the name fill the block's slots there.
    def include(m: re.Match) -> str:
        slots = dict(pair.split("=") for pair in m.group(2).split())
        if m.group(1) in _GENERATED:
            return _GENERATED[m.group(1)](**slots).rstrip("\n")
        block = _text(m.group(1))
        return _fill(m.group(1), block, slots) if slots else block

    return _INCLUDE.sub(include, text)


_GENERATED: dict[str, Callable[..., str]] = {}


def generated(name: str):
    """Register a function as the text of ``-- @include <name> [word=word …]``.

    A block of SQL whose words are data elsewhere (the region rollups' column lists, from the
    KPI registry: ``dashboard/kpi/rollup_sql.py``) is generated instead of copied; the
    include's words are the function's keyword arguments, which it must check against a
    fixed list (they are strings). A name must not also be a file.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or (SQL_DIR / f"{name}.sql").exists():
        raise ValueError(f"invalid generated block name: {name!r}")

    def register(fn: Callable[..., str]) -> Callable[..., str]:
        _GENERATED[name] = fn
        _text.cache_clear()
        sql.cache_clear()
        return fn

    return register


def parameters(text: str) -> set[str]:
    """Names of the ``$named`` parameters a query text uses (comments excluded)."""
    body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    return set(_PARAM.findall(body))


class QueryTimeout(RuntimeError):
    """A query ran longer than the time limit of its :func:`reading` block."""


class ResultCache(Protocol):
    """What :func:`run` needs of a cache (flask-caching's ``BaseCache`` has it)."""

    def get(self, key: str): ...

    def set(self, key: str, value, timeout: int | None = None): ...

    def clear(self): ...


class LruCache:
    """A thread-safe in-process LRU bounded by entries and by (estimated) bytes.

    Parameters
    ----------
    max_bytes : int
        Total size of the values kept; the least recently used go first. A value larger
        than an eighth of it is not kept at all.
    max_entries : int
        Most values kept.
    """

    def __init__(self, max_bytes: int = 128 << 20, max_entries: int = 4096):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str):
        with self._lock:
            got = self._data.get(key)
            if got is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return got[0]

    def set(self, key: str, value, timeout: int | None = None, size: int | None = None
            ) -> bool:
        """Keep ``value``; ``size`` when the caller knows it (the page memo gives a
        callback's JSON length), else estimated (:func:`size_of`)."""
        size = size_of(value) if size is None else size
        if size > self.max_bytes // 8:
            return False
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while self._data and (self._bytes > self.max_bytes
                                  or len(self._data) > self.max_entries):
                _, (_, gone) = self._data.popitem(last=False)
                self._bytes -= gone
        return True

    def clear(self) -> bool:
        with self._lock:
            self._data.clear()
            self._bytes = 0
        return True

    def __len__(self) -> int:
        return len(self._data)

    @property
    def nbytes(self) -> int:
        return self._bytes


def size_of(value) -> int:
    """Rough bytes of a cached value (frames, arrays, dicts and lists of them)."""
    if isinstance(value, pd.DataFrame):
        # the blocks' buffers (and 48 bytes per object cell): DataFrame.memory_usage and
        # select_dtypes cost milliseconds per frame, paid on every result kept
        try:
            blocks = value._mgr.blocks
        except AttributeError:  # not a block manager: the public, slower way
            return int(value.memory_usage(index=True, deep=False).sum()) + 512
        size = 512 + 8 * len(value)
        for block in blocks:
            arr = block.values
            size += int(getattr(arr, "nbytes", 0))
            if isinstance(arr, np.ndarray) and arr.dtype.kind == "O":
                size += 48 * int(arr.size)
        return size
    if isinstance(value, np.ndarray):
        return value.nbytes + (48 * value.size if value.dtype == object else 0) + 112
    if isinstance(value, dict):
        return sum(size_of(v) for v in value.values()) + 64 * len(value) + 64
    if isinstance(value, list | tuple):
        return sum(size_of(v) for v in value) + 8 * len(value) + 64
    return 64


@dataclass(frozen=True)
class Reading:
    """The read path's settings in force: the store version results are cached under
    (None: no caching) and the statement time limit in seconds (None: none)."""

    version: str | None = None
    timeout: float | None = None


_READING: contextvars.ContextVar[Reading | None] = contextvars.ContextVar(
    "gridcmd_reading", default=None)
_NOT_READING = Reading()
_CACHE: list[ResultCache] = [LruCache()]


def use_cache(backend: ResultCache) -> None:
    """Replace the result cache of this process (e.g. a flask-caching FileSystemCache or
    RedisCache shared by the workers; keys are hex strings, values pickle)."""
    _CACHE[0] = backend


def result_cache() -> ResultCache:
    """The result cache :func:`run` uses."""
    return _CACHE[0]


def clear_cache() -> None:
    """Drop every cached result (benchmarks measure a cold cache with it)."""
    _CACHE[0].clear()


@contextmanager
def reading(version: str | None = None, timeout: float | None = None):
    """Within the block, :func:`run` caches read results under ``version`` and stops a
    statement after ``timeout`` seconds (``None``: no cache / no limit).

    The settings are a context variable: they follow the code of this thread (and of a
    task started with ``contextvars.copy_context()``), never another request's.
    """
    token = _READING.set(Reading(version, timeout))
    try:
        yield
    finally:
        _READING.reset(token)


def current() -> Reading:
    """The :class:`Reading` in force here."""
    return _READING.get() or _NOT_READING


class _Watchdog:
    """One daemon thread that interrupts the cursors whose deadline has passed."""

    def __init__(self):
        self._cv = threading.Condition()
        self._heap: list = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, con, seconds: float) -> list:
        # entry: [deadline, seq, con (None once disarmed), fired]
        entry = [time.monotonic() + seconds, next(self._seq), con, False]
        with self._cv:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="query-watchdog",
                                                 daemon=True)
                self._thread.start()
            self._cv.notify()
        return entry

    def disarm(self, entry: list) -> bool:
        """Stop watching; True when the deadline had already fired."""
        with self._cv:
            entry[2] = None
            return entry[3]

    def _loop(self):
        with self._cv:
            while True:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cv.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                entry = heapq.heappop(self._heap)
                entry[3] = True
                try:
                    entry[2].interrupt()  # under the lock: never after disarm
                except Exception:  # noqa: BLE001 - a closed cursor has nothing to stop
                    pass


_WATCHDOG = _Watchdog()
_READ = re.compile(r"\s*(?:--[^\n]*\n\s*)*(?:SELECT|WITH|FROM|\()", re.I)


@cache
def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _freeze(value):
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return tuple(_freeze(v) for v in items)
    if isinstance(value, np.generic):
        return value.item()
    return value


def cache_key(text: str, params: dict, version: str, form: str) -> str:
    """The cache key of a query run: text, parameters, store version and result form."""
    frozen = repr(sorted((k, _freeze(v)) for k, v in params.items()))
    raw = f"{_digest(text)}|{form}|{version}|{frozen}"
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _copy(value, form: str):
    if form == "frame":
        out = value.copy()
        out.attrs = dict(value.attrs)
        return out
    if form == "rows":
        return list(value)
    return dict(value)  # arrays: read-only already


def run(con, name: str, *, slots: dict | None = None, form: str = "frame",
        **params):
    """Run a named query with bound parameters and return its result.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection or a per-thread cursor.
    name : str
        The query file stem.
    **params
        Exactly the parameters the query names; a missing or extra one is an error, so a
        typo cannot silently drop a filter (a scope filter least of all).
    slots : dict, optional
        Words for the query's ``{{slot}}`` identifiers (see :func:`sql`).
    form : {'frame', 'arrays', 'rows'}
        A DataFrame; a dict of read-only numpy arrays per column (``fetchnumpy``); a list
        of row tuples.

    Raises
    ------
    QueryTimeout
        The statement ran longer than the time limit of the :func:`reading` block.
    """
    text = _bound(name, slots, params)
    if form not in ("frame", "arrays", "rows"):
        raise ValueError(f"unknown form {form!r}")
    mode = _READING.get() or _NOT_READING
    if mode.version is None or not _READ.match(text):
        return _execute(con, name, text, params, form, mode.timeout)
    key = cache_key(text, params, mode.version, form)
    cache = _CACHE[0]
    hit = cache.get(key)
    if hit is None:
        def fresh():
            return _execute(con, name, text, params, form, mode.timeout)

        once = getattr(cache, "once", None)  # a cache shared by processes computes once
        if once is not None:
            hit = once(key, fresh, kind=name)
        else:
            hit = fresh()
            cache.set(key, hit)
    if form == "arrays":  # kept values are read-only (also when they came by pickle)
        for arr in hit.values():
            arr.flags.writeable = False
    return _copy(hit, form)


VECTOR_ROWS = 2048
"""Rows of one DuckDB vector: :func:`chunks` hands a result over in whole vectors."""


def chunks(con, name: str, *, rows: int, slots: dict | None = None,
           **params) -> Iterator[pd.DataFrame]:
    """A named query's result in DataFrames of about ``rows`` rows each (whole DuckDB
    vectors, the last one shorter), fetched one at a time: for a result too large to hold
    in Python at once (an export of millions of cases). Never cached, no time limit.

    The parameters are checked as :func:`run` checks them (exactly those the query names).
    The cells are DuckDB's conversion of each chunk, the same values as
    :func:`run`'s frame; a text column may come as ``object`` here where the whole frame
    has pandas' string dtype. A result without rows yields one empty frame (its columns).
    The query runs when the first frame is asked for; the cursor must run nothing else
    until the last one has been taken.
    """
    text = _bound(name, slots, params)
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    res = con.execute(text, params) if params else con.execute(text)
    vectors = -(-int(rows) // VECTOR_ROWS)
    frame = res.fetch_df_chunk(vectors)
    yield frame  # the first, empty or not: it carries the columns
    while not frame.empty:
        frame = res.fetch_df_chunk(vectors)
        if not frame.empty:
            yield frame


def batches(con, name: str, *, rows: int, slots: dict | None = None,
            **params) -> Iterator[pa.RecordBatch]:
    """A named query's result as Arrow record batches of at most ``rows`` rows, fetched one
    at a time (DuckDB's Arrow reader): for a large result whose cells Python need not
    hold as objects (the CSV export's lines, whose bytes are copied from the batch's
    buffer: :func:`text_bytes`). Never cached, no time limit; the parameters are checked
    as :func:`run` checks them. A result without rows yields no batch."""
    text = _bound(name, slots, params)
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    reader = con.sql(text, params=params or None).to_arrow_reader(int(rows))
    for batch in reader:
        if batch.num_rows:
            yield batch


def text_bytes(column: pa.Array) -> memoryview:
    """The UTF-8 bytes of every value of a text ``column`` one after the other, without a
    separator, as a view of its data buffer (no Python string is made). Nulls add
    nothing."""
    if pa.types.is_string_view(column.type) or not (
            pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.large_string())
    _, offsets, data = column.buffers()
    width = np.int64 if pa.types.is_large_string(column.type) else np.int32
    at = np.frombuffer(offsets, dtype=width)[column.offset:column.offset + len(column) + 1]
    if data is None or not len(column):
        return memoryview(b"")
    return memoryview(data)[int(at[0]):int(at[-1])]


def _bound(name: str, slots: dict | None, params: dict) -> str:
    """The text of query ``name`` (its ``slots`` filled), once ``params`` are exactly the
    parameters it names: a missing or extra one is an error, so a typo cannot silently
    drop a filter (a scope filter least of all)."""
    text = sql(name, **(slots or {}))
    wanted = parameters(text)
    if set(params) != wanted:
        raise TypeError(f"query {name} takes {sorted(wanted)}, got {sorted(params)}")
    return text


def _execute(con, name: str, text: str, params: dict, form: str, timeout: float | None):
    entry = _WATCHDOG.arm(con, timeout) if timeout else None
    try:
        res = con.execute(text, params) if params else con.execute(text)
        if form == "frame":
            out = res.df()
        elif form == "arrays":
            out = res.fetchnumpy()
        else:
            out = res.fetchall()
    except duckdb.InterruptException as exc:
        if entry is not None and _WATCHDOG.disarm(entry):
            raise QueryTimeout(
                f"query {name} stopped after the {timeout:g} s time limit "
                "(setting query_timeout_seconds): narrow the period or the region") from exc
        raise
    finally:
        if entry is not None:
            _WATCHDOG.disarm(entry)
    return out


def script(con, name: str, *, slots: dict | None = None, **params) -> None:
    """Run every statement of a multi-statement query file, binding ``$named`` parameters.

    DuckDB prepares one statement at a time, so the file is split at the semicolons that
    end a line and each statement gets exactly the parameters it names; together they must
    be exactly ``params`` (as :func:`run` insists); ``slots`` as for :func:`run`.
    """
    text = sql(name, **(slots or {}))
    wanted = parameters(text)
    if set(params) != wanted:
        raise TypeError(f"query {name} takes {sorted(wanted)}, got {sorted(params)}")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    for stmt in re.split(r";[ \t]*\n", body + "\n"):
        if not stmt.strip():
            continue
        used = parameters(stmt)
        if used:
            con.execute(stmt, {k: params[k] for k in used})
        else:
            con.execute(stmt)


@contextmanager
def transaction(con, own: bool = True):
    """``with transaction(con):`` commits at the end, rolls back on any error; with
    ``own=False`` the caller already holds one (a migration) and nothing is done here."""
    if not own:
        yield con
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
