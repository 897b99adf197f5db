"""What every page's callbacks share: the store's clock and the refusal of bad requests."""

from __future__ import annotations

import functools
import inspect
import logging
import math
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import duckdb
from flask import abort

from dashboard import access
from dashboard.clock import store_now
from queries import QueryTimeout

logger = logging.getLogger(__name__)


def stale_days() -> float:
    """The ``asof_stale_days`` setting of the app serving the request (the default
    outside one)."""
    from flask import current_app, has_app_context

    from dashboard.settings import Settings

    settings = current_app.config.get("GRIDCMD_SETTINGS") if has_app_context() else None
    return (settings or Settings()).asof_stale_days


def analysis_now(con) -> datetime:
    """The moment the analysis pages read the store at: now on a live store; on a store
    whose data ended more than ``asof_stale_days`` ago, the end of its last data day
    (``dashboard/periods.py``), so the default periods (近30天 …) end where the data does and
    a fresh visit to a past city's store is not empty.

    As on the overview's screens, the moment is taken once per store version and minute
    (kept in the result cache, so the workers share it) and every request of that minute
    reads the same moment: their query results are cached and shared. A write changes the
    version, and the next request takes a fresh moment, so a committed batch is read at
    once (a moment floored to the minute would leave out what was reported since).
    Outside a callback's reading block (no version) it is now, to the microsecond.
    """
    import queries
    from dashboard.overview_data import as_of  # the panels' module; imported late
    from dashboard.pagememo import digest

    now, stale = store_now(con), stale_days()
    version = queries.current().version
    if version is None:
        return as_of(con, now, None, stale).moment
    cache = queries.result_cache()
    key = digest(("analysis_now", version, now.replace(second=0, microsecond=0), stale))
    moment = cache.get(key)
    if moment is None:
        moment = as_of(con, now, None, stale).moment
        cache.set(key, moment)
    return moment


@dataclass(frozen=True)
class AnalysisRequest:
    """What an analysis page's callback works from: the language, a cursor, the user's
    scope (from the session), the filters (from the URL, validated; a source region code
    resolved to the internal one) narrowed to ``scope`` (``Forbidden`` outside the
    jurisdiction), and the moment read (:func:`analysis_now`)."""

    lang: str
    con: object
    user: object
    filters: object
    scope: object
    now: datetime


def analysis_request(store, search: str | None) -> AnalysisRequest:
    from dashboard.filters import Filters
    from dashboard.i18n import current_lang

    user = access.user_scope()
    con = store.cursor()
    filters = Filters.from_query(search or "", con=con)
    return AnalysisRequest(current_lang(), con, user, filters, filters.scope(user),
                           analysis_now(con))


# --- the shapes of callback inputs ------------------------------------------------------
#
# Every callback is an HTTP endpoint anyone logged in can POST anything to. ``guarded``
# checks each argument against the callback function's annotations before the function
# runs: wrong types are a 400, never a 500 deep inside. The annotations name what the
# browser sends for each property (Dash's component props), with the TypedDicts below for
# the structured ones.

MAX_INT = 2**31 - 1  # larger "integers" (page numbers, clicks) are not a browser's


class SortBy(TypedDict):
    """One entry of a DataTable's ``sort_by``."""

    column_id: str
    direction: str


class ActiveCell(TypedDict, total=False):
    """A DataTable's ``active_cell``."""

    row: int
    column: int
    column_id: str
    row_id: int | str | None


class ClickPoint(TypedDict, total=False):
    customdata: Any


class ClickData(TypedDict, total=False):
    """A graph's ``clickData``."""

    points: list[ClickPoint]


class Feature(TypedDict, total=False):
    """A GeoJSON feature as a map reports it (``clickData`` of a layer)."""

    type: str
    properties: dict[str, Any] | None
    geometry: dict[str, Any] | None


class FeatureCollection(TypedDict, total=False):
    """A drawn layer (``geojson`` of the draw control)."""

    type: str
    features: list[Feature]


class Option(TypedDict, total=False):
    """One option of a dropdown."""

    label: Any
    value: str | int | float | None


def conforms(value, hint) -> bool:
    """Whether ``value`` (decoded JSON) has the shape the annotation ``hint`` names."""
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arg) for arg in typing.get_args(hint))
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and \
            abs(value) <= MAX_INT
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and \
            math.isfinite(value) and abs(value) <= 1e15
    if hint is str:
        return isinstance(value, str)
    if hint is list or origin is list:
        if not isinstance(value, list):
            return False
        args = typing.get_args(hint)
        return not args or all(conforms(v, args[0]) for v in value)
    if hint is dict or origin is dict:
        if not isinstance(value, dict):
            return False
        args = typing.get_args(hint)
        return not args or all(conforms(v, args[1]) for v in value.values())
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return False
        fields = typing.get_type_hints(hint)
        if any(k not in value for k in hint.__required_keys__):
            return False
        return all(conforms(value[k], t) for k, t in fields.items() if k in value)
    raise TypeError(f"no shape check for the annotation {hint!r}")


def guarded(func):
    """Answer 400 for inputs of the wrong shape (by the function's annotations, which
    every callback must give), 403 for a region outside the jurisdiction and 400 for a
    malformed one.

    Dash would turn the exceptions into a bare 500; a refusal is not a server error, and
    it must not read or return anything either way.
    """
    signature = inspect.signature(func)
    hints = typing.get_type_hints(func)
    missing = [n for n in signature.parameters if n not in hints]
    if missing:
        raise TypeError(f"callback {func.__name__}: annotate every input ({missing})")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            if not conforms(value, hints[name]):
                logger.info("400 in %s: %s is not %s", func.__name__, name, hints[name])
                abort(400)
        try:
            return func(*args, **kwargs)
        except access.Forbidden as exc:
            logger.info("403 in %s: %s", func.__name__, exc)
            abort(403)
        except ValueError as exc:
            logger.info("400 in %s: %s", func.__name__, exc)
            abort(400)
        except QueryTimeout as exc:  # the read path's time limit (queries.run)
            logger.warning("503 in %s: %s", func.__name__, exc)
            abort(503, description=str(exc))
        except duckdb.OutOfMemoryException as exc:  # beyond duckdb_memory_limit
            logger.warning("503 in %s: out of memory: %s", func.__name__, exc)
            abort(503, description="the query needs more memory than the server's "
                                   "duckdb_memory_limit: narrow the period or the region")

    return wrapper
