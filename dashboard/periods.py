"""Periods: the as-of moment, calendar months, the period a screen or report covers, and
its 环比/同比 bases. One home for date arithmetic, shared by the screens, the 通报 and the
command line; every rule is a pure function of dates, so tests pin it without a store.

As of
    A store's figures are always read relative to a moment: cases open *at* it, overdue
    *at* it, reported in a period *ending* at it. For a live store that moment is now (the
    store's own clock, :func:`dashboard.clock.store_now`). A store whose newest record is
    days old (a city's export of last year, a feed that stopped long ago) read "as of now"
    shows nothing but zeros and every open case overdue; such a store is shown as of the
    end of its last data day instead, with a banner saying so. A leader may also pick any
    earlier day (:func:`resolve`). The callers read the clock and the newest record and
    pass them in.

Months
    :func:`shift_months` moves a date by whole months, clipped to the target month's
    length (31 Mar − 1 month = 29 Feb in a leap year, 28 Feb otherwise);
    :func:`month_first`, :func:`month_last`, :func:`next_month`, :func:`months_back` and
    :func:`parse_month` build on it. No other module does month arithmetic.

Periods and their bases
    :func:`spans` gives the overview's periods (近7/30/90天, 本月, 本季度, 本年) with their
    环比 (``mom``) and 同比 (``yoy``) bases; :func:`filter_span` the analysis filters'
    (今天, 近7天, 近30天, 本月, 上月, 本年, custom); :func:`month_bases` the 通报's (the
    previous calendar month and the same month a year earlier). All bases are
    :func:`shift_span` of the period: the same days of an earlier month, clipped to its
    length; where the period is a whole month (or runs to its month's end and covers a
    completed month), the base runs to the end of its month too.

Changes
    :func:`change` is the one rule for a change against a base: the difference, the change
    relative to the base (None against 0) and whether it is an improvement by the KPI's
    better direction. :func:`dashboard.formats.kpi_change` writes it for people.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

PERIODS: tuple[str, ...] = ("7d", "30d", "90d", "month", "quarter", "year")
"""Period choices of the overview, in control order: 近7天, 近30天, 近90天, 本月, 本季度,
本年. Rolling periods end on the as-of day; the calendar ones run from the first day of
the as-of day's month, quarter or year up to it."""
DEFAULT_PERIOD = "30d"
ROLLING_DAYS = {"7d": 7, "30d": 30, "90d": 90}
EARLIEST = date(1990, 1, 1)
"""No as-of date before this is taken (a typo such as 0216-06-30 is an error, not a query
of the year 216)."""


@dataclass(frozen=True)
class AsOf:
    """The moment a screen shows.

    Attributes
    ----------
    moment : datetime
        What the queries take as "now" (naive, the store's wall time): now itself when
        live, else the last microsecond of the as-of day.
    mode : str
        ``live`` (now), ``data`` (the default on a store whose data ended more than
        ``asof_stale_days`` ago: the end of its last data day) or ``chosen`` (an earlier
        day asked for in the URL or the date picker).
    latest : datetime or None
        Time of the store's newest record (None for an empty store).
    """

    moment: datetime
    mode: str
    latest: datetime | None = None

    @property
    def live(self) -> bool:
        return self.mode == "live"

    @property
    def day(self) -> date:
        return self.moment.date()


def end_of_day(day: date) -> datetime:
    """The last microsecond of ``day``: a case reported at 23:59:59 that day is in, one
    due at 00:00 the next day is not yet overdue."""
    return datetime.combine(day, time.max)


def parse_asof(value) -> date | None:
    """An as-of date from a URL or a date picker (``YYYY-MM-DD``; a picker may add a time,
    which is ignored). Empty or None: no choice (the default applies).

    Raises
    ------
    ValueError
        Not a date, or before :data:`EARLIEST`.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("as-of: expected a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"as-of: not a date: {value[:40]!r} (expected YYYY-MM-DD)") from None
    if day < EARLIEST:
        raise ValueError(f"as-of: {day} is before {EARLIEST}")
    return day


def parse_period(value) -> str:
    """A period key (empty or None: :data:`DEFAULT_PERIOD`).

    Raises
    ------
    ValueError
        Not one of :data:`PERIODS`.
    """
    if value is None or value == "":
        return DEFAULT_PERIOD
    if not isinstance(value, str) or value not in PERIODS:
        raise ValueError(f"period: expected one of {', '.join(PERIODS)}")
    return value


def resolve(now: datetime, latest: datetime | None, requested: date | None = None,
            stale_days: float = 3) -> AsOf:
    """The as-of moment of a screen.

    Parameters
    ----------
    now : datetime
        The store's current wall time.
    latest : datetime or None
        The newest record's time (not after ``now``), None for an empty store.
    requested : date, optional
        A day asked for (URL ``asof``, the date picker). Today or later means live.
    stale_days : float
        Without a request, a store whose newest record is older than this many days is
        shown as of the end of its last data day (``0`` or less: always live).
    """
    if requested is not None:
        if requested >= now.date():
            return AsOf(now, "live", latest)
        return AsOf(end_of_day(requested), "chosen", latest)
    if latest is not None and stale_days > 0 and now - latest > timedelta(days=stale_days):
        return AsOf(min(now, end_of_day(latest.date())), "data", latest)
    return AsOf(now, "live", latest)


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clipped to the target month's length
    (31 May − 3 months = 29 Feb in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def year_back(day: date) -> date:
    """The same date one year earlier (29 Feb falls back to 28)."""
    return shift_months(day, -12)


def spans(day: date, period: str) -> dict[str, tuple[date, date] | None]:
    """The period ending on ``day`` and its two bases, as inclusive dates.

    Returns
    -------
    dict
        ``current``; ``mom`` (环比): the previous equal stretch — for a rolling period the
        same number of days just before, for 本月/本季度 the same days of the previous
        month/quarter (1–23 Nov against 1–23 Oct, clipped to the shorter month), None for
        本年 (its previous stretch is the 同比 base); ``yoy`` (同比): the same dates one year
        earlier.
    """
    period = parse_period(period)
    if period in ROLLING_DAYS:
        n = ROLLING_DAYS[period]
        start = day - timedelta(days=n - 1)
        mom = (start - timedelta(days=n), start - timedelta(days=1))
    elif period == "month":
        start = day.replace(day=1)
        mom = (shift_months(start, -1), shift_months(day, -1))
    elif period == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        mom = (shift_months(start, -3), shift_months(day, -3))
    else:  # year
        start = day.replace(month=1, day=1)
        mom = None
    return {"current": (start, day), "mom": mom, "yoy": (year_back(start), year_back(day))}


def window(day: date, period: str) -> tuple[date, date]:
    """The period ending on ``day`` as inclusive dates (the map's, the league's, the
    points')."""
    return spans(day, period)["current"]


def months_back(day: date, n: int = 12) -> date:
    """First day of the month ``n - 1`` months before ``day``'s (12-month trends)."""
    return shift_months(day.replace(day=1), -(n - 1))
