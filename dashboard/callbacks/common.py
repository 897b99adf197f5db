"""What every page's callbacks share: the store's clock and the refusal of bad requests."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort

from dashboard import access
from dashboard.store import TIMEZONE

TZ = ZoneInfo(TIMEZONE)
logger = logging.getLogger(__name__)


def now_local() -> datetime:
    """Wall-clock time in Asia/Shanghai, naive, as the store's TIMESTAMP columns hold it."""
    return datetime.now(TZ).replace(tzinfo=None)


@dataclass(frozen=True)
class AnalysisRequest:
    """What an analysis page's callback works from: the language, a cursor, the user's
    scope (from the session), the filters (from the URL, validated) narrowed to ``scope``
    (``Forbidden`` outside the jurisdiction), and now."""

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
    filters = Filters.from_query(search or "")
    return AnalysisRequest(current_lang(), store.cursor(), user, filters, filters.scope(user),
                           now_local())


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
