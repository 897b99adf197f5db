"""What every page's callbacks share: the store's clock and the refusal of bad requests."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import abort

from dashboard import access
from dashboard.clock import now_in, store_now

logger = logging.getLogger(__name__)


def now_local(con=None) -> datetime:
    """Now in the store's own time zone (meta ``timezone``), naive, as its TIMESTAMP
    columns hold it; without a connection, in the default zone (Asia/Shanghai)."""
    return store_now(con) if con is not None else now_in(None)


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
    (``dashboard/asof.py``), so the default periods (近30天 …) end where the data does and
    a fresh visit to a past city's store is not empty."""
    from dashboard.overview_data import as_of  # the panels' module; imported late

    return as_of(con, now_local(con), None, stale_days()).moment


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


def guarded(func):
    """Answer 403 for a region outside the jurisdiction and 400 for a malformed one.

    Dash would turn the exceptions into a bare 500; a refusal is not a server error, and
    it must not read or return anything either way.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except access.Forbidden as exc:
            logger.info("403 in %s: %s", func.__name__, exc)
            abort(403)
        except ValueError as exc:
            logger.info("400 in %s: %s", func.__name__, exc)
            abort(400)

    return wrapper
