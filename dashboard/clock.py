"""The store's clock: its time zone, and "now" as the store's TIMESTAMP columns hold it.

Every TIMESTAMP of a store is naive wall-clock time in the store's own time zone (the
``meta`` row ``timezone``; Asia/Shanghai unless the store was built for another city).
Screens, the loader and reports ask this module for "now" and for the zone, so a foreign
city's store reads its own local time everywhere (docs/schema.md).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queries import names as Q
from queries import run

DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (the default zone for an empty name).

    Raises
    ------
    ValueError
        ``name`` is not an IANA zone name such as ``Asia/Shanghai`` or ``America/Chicago``.
    """
    name = (name or DEFAULT_TIMEZONE).strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as "
                         f"Asia/Shanghai or America/Chicago") from None


def store_zone(con) -> ZoneInfo:
    """The time zone of the store behind ``con`` (meta ``timezone``)."""
    rows = run(con, Q.STORE_TIMEZONE, form="rows")
    return zone(rows[0][0] if rows else None)


def now_in(tz: ZoneInfo | str | None = None) -> datetime:
    """Wall-clock time now in ``tz`` (default Asia/Shanghai), naive, to the microsecond."""
    if not isinstance(tz, ZoneInfo):
        tz = zone(tz)
    return datetime.now(tz).replace(tzinfo=None)


def store_now(con) -> datetime:
    """Now in the store's own time zone, naive (compare with its TIMESTAMP columns)."""
    return now_in(store_zone(con))
