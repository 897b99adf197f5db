"""A page's data, computed once and shared by its callbacks (a memo with single flight).

One click on the overview fires three server callbacks at once (map, league, panels); each
needs the region in view, the as-of moment and the store's levels, two need the map's
units. :class:`Memo` computes each such value once per key and hands the same result to
every callback asking for it; a callback that asks while another is computing the value
waits for that computation instead of starting its own (*single flight*).

A key names everything the value depends on, and always:

* **who asks**: the user's jurisdiction (scope prefix and role) and key-person clearance,
  so one user's page data never answers another's (:func:`who`);
* **the store version** (``Store.version``), so a write makes every older value
  unreachable;
* the inputs (region, indicator, as-of day, period, language) and the minute of the
  store's clock, so a live screen moves on at least once a minute.

Below the memo, :func:`install` opens a :func:`queries.reading` block around every callback
request: each ``queries.run`` in it is cached by (query, parameters, store version) and
stopped after ``query_timeout_seconds``.

Values are kept in the same kind of bounded LRU as query results
(:class:`queries.LruCache`, a flask-caching backend's interface); callers must not mutate
what :meth:`Memo.get` returns (the overview's memoised functions return finished values:
masked, formatted).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import queries
from queries import LruCache, ResultCache

T = TypeVar("T")


def digest(key: tuple) -> str:
    """The cache key (hex) of a page key tuple."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


class _Flight:
    __slots__ = ("done", "value", "error")

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


class Memo:
    """A keyed memo with single flight.

    Parameters
    ----------
    backend : ResultCache, optional
        Where finished values are kept (a bounded in-process LRU by default).
    """

    def __init__(self, backend: ResultCache | None = None):
        self.backend = backend if backend is not None else LruCache(64 << 20, 2048)
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self.computed: Counter = Counter()  # computations per key kind (tests count them)


    def get(self, key: tuple, compute: Callable[[], T],
            size: Callable[[T], int] | None = None) -> T:
        """The value of ``key``: cached, awaited from a computation under way, or
        computed now by ``compute()`` (an error reaches every waiter and is not kept).

        ``key[0]`` names the kind of value (counted in :attr:`computed`). ``size(value)``,
        when given, is the value's size in bytes for a backend that takes one
        (``set(..., size=)``); otherwise the backend estimates it.
        """
        k = digest(key)
        hit = self.backend.get(k)
        if hit is not None:
            return hit
        with self._lock:
            flight = self._flights.get(k)
            owner = flight is None
            if owner:
                flight = self._flights[k] = _Flight()
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            hit = self.backend.get(k)  # finished between the first look and the flight
            if hit is not None:
                flight.value = hit
                return hit
            once = getattr(self.backend, "once", None)
            if once is not None:  # shared by processes: computed by one of them
                def counted():
                    self.computed[key[0]] += 1
                    return compute()
                value = once(k, counted, size, kind=key[0])
            else:
                self.computed[key[0]] += 1
                value = compute()
                if size is not None and isinstance(self.backend, LruCache):
                    self.backend.set(k, value, size=size(value))
                else:
                    self.backend.set(k, value)
            flight.value = value
            return value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(k, None)
            flight.done.set()

    def clear(self) -> None:
        self.backend.clear()
        self.computed.clear()


def outputs_json(value) -> str:
    """The JSON text of a callback's outputs (components, figures, numpy, dates; NaN as
    null), the values Dash's own ``to_json`` writes. Dash's picks plotly's orjson engine,
    which first walks every dict and list of the component tree in Python; the standard
    library's C encoder with plotly's encoder as the fallback for what JSON lacks writes
    the same values in about half the time (a county's panels: 4.3 against 8.3 ms)."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(value, engine="json")


def json_outputs(memo: Memo, key: tuple, compute: Callable[[], object]):
    """A callback's finished outputs for ``key``, memoised as plain JSON values: a repeated
    request skips building the components and turning them into JSON (the largest part of
    a warm answer). Kept with the JSON text's length as their size (no walk over the
    component tree)."""
    def made():
        text = outputs_json(compute())
        return len(text), json.loads(text)
    return memo.get(key, made, size=lambda got: got[0] + 256)[1]


def request_outputs(server, kind: str, parts: tuple, compute: Callable[[], object]):
    """:func:`json_outputs` keyed by what the current callback request reads besides
    ``parts``: who asks, the store version of its reading block, the language. Outside a
    reading block (no version) the outputs are computed, never kept."""
    from dashboard.i18n import current_lang

    version = queries.current().version
    if version is None:
        return compute()
    return json_outputs(memo_of(server), (kind, who(), version, current_lang(), *parts),
                        compute)


def memo_of(server) -> Memo:
    """The page memo of the Flask ``server`` (one per app: an app's settings are part of
    what its pages show)."""
    return server.extensions.setdefault("gridcmd_memo", Memo())


def clear(server=None) -> None:
    """Forget the cached query results and the page values of ``server`` (a cold cache)."""
    queries.clear_cache()
    if server is not None:
        memo_of(server).clear()


def who() -> tuple[str, str, bool]:
    """The part of every page key that says who asks: jurisdiction prefix, role and
    key-person clearance of the request's user (raises ``Forbidden`` without one)."""
    from dashboard import access

    scope = access.user_scope()
    clearance = bool(getattr(access.current_user(), "pii_clearance", False))
    return (scope.prefix, scope.role, clearance)


def install(server, store, settings) -> None:
    """Open a :func:`queries.reading` block (the store version, the time limit) around
    every Dash callback request of ``server``, and size the result cache."""
    from flask import g, request

    timeout = settings.query_timeout_seconds or None
    local = max(1, settings.query_cache_mb) << 20
    if settings.workers > 1 and settings.shared_cache_mb > 0:
        # one cache for the workers (built in the arbiter before they fork, emptied then):
        # query results and page values alike, each computed by one worker
        from queries.shared_cache import SharedCache, folder_of

        shared = SharedCache(folder_of(settings.store), settings.shared_cache_mb << 20,
                             local_bytes=local, wait_seconds=max(30.0, 2 * (timeout or 60)),
                             fresh=True)
        queries.use_cache(shared)
        server.extensions["gridcmd_memo"] = Memo(shared)
    else:
        queries.use_cache(LruCache(local))
    memo_of(server)

    @server.before_request
    def _open_reading():
        if request.path.endswith("/_dash-update-component"):
            try:
                version = store.version()
            except FileNotFoundError:
                return  # the callback answers the missing store itself
            block = queries.reading(version, timeout)
            block.__enter__()
            g._gridcmd_reading = block

    @server.teardown_request
    def _close_reading(_exc):
        block = g.pop("_gridcmd_reading", None)
        if block is not None:
            try:
                block.__exit__(None, None, None)
            except ValueError:  # another context: leave nothing behind in this one
                queries._READING.set(None)
