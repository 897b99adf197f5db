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
    length. The 通报's months that run to their end map to whole base months (all of
    February 2025 against all of January and all of February 2024); the overview's
    periods end on an as-of day that may still be running, so they always compare the
    same days.

Changes
    :func:`change` is the one rule for a change against a base: the difference, the change
    relative to the base (None against 0) and whether it is an improvement by the KPI's
    better direction. :func:`dashboard.formats.kpi_change` writes it for people.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

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


# --- months -------------------------------------------------------------------------------


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clipped to the target month's length
    (31 May − 3 months = 29 Feb in a leap year, 31 Mar − 1 month = 28 Feb otherwise)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_first(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_last(day: date) -> date:
    """The last day of ``day``'s month (29 Feb in a leap year)."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: date) -> bool:
    """Whether ``day`` is the last day of its month."""
    return day == month_last(day)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s (1 Jan of the next year after December)."""
    return shift_months(month_first(day), 1)


def year_back(day: date) -> date:
    """The same date one year earlier (29 Feb falls back to 28)."""
    return shift_months(day, -12)


def months_back(day: date, n: int = 12) -> date:
    """First day of the month ``n - 1`` months before ``day``'s: the start of the ``n``
    calendar months ending with ``day``'s (12-month trends)."""
    return shift_months(month_first(day), -(n - 1))


def whole_months(start: date, end: date) -> tuple[date, date]:
    """The whole calendar months inside [start, end) as [m_start, m_end) days (equal when
    none): the period tables' month rows cover them, their day rows the rest. ``start``
    and ``end`` are days or moments (a moment counts by its day)."""
    d0 = start.date() if isinstance(start, datetime) else start
    d1 = end.date() if isinstance(end, datetime) else end
    m0 = d0 if d0.day == 1 else next_month(d0)
    m1 = month_first(d1)
    return (m0, m1) if m0 < m1 else (d0, d0)


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(month) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` string (or of the month of a ``date``).

    Raises
    ------
    ValueError
        Anything but a real calendar month, so ``2024-13`` or ``2024-1`` never becomes a
        silently different period.
    """
    if isinstance(month, datetime):
        raise ValueError(f"month must be 'YYYY-MM' or a date, not a datetime: {month!r}")
    if isinstance(month, date):
        first = month_first(month)
    else:
        found = _MONTH.fullmatch(month.strip()) if isinstance(month, str) else None
        if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
            raise ValueError(f"not a month: {month!r} (expected YYYY-MM)")
        first = date(int(found[1]), int(found[2]), 1)
    return first, month_last(first)


def week_first(day: date) -> date:
    """The Monday of ``day``'s ISO week (the engine's ``week`` buckets start on Mondays;
    a week may straddle a month or a year: 2025-12-29 … 2026-01-04 is one week)."""
    return day - timedelta(days=day.weekday())


# --- periods and their bases --------------------------------------------------------------


def shift_span(d0: date, d1: date, months: int, whole: bool = False) -> tuple[date, date]:
    """The days ``d0``..``d1`` moved by whole months: the base of a 环比 (``-1``, ``-3``)
    or 同比 (``-12``).

    Both ends are clipped to the target month's length (1–31 Mar − 1 month = 1–29 Feb in a
    leap year). With ``whole`` an end on its month's last day stays on the last day (all
    of February 2025 − 12 months = all of February 2024, 29 days; all of April − 1 month =
    all of March, 31 days).
    """
    b0 = shift_months(d0, months)
    b1 = month_last(shift_months(month_first(d1), months)) if whole and is_month_end(d1) \
        else shift_months(d1, months)
    return b0, b1


def spans(day: date, period: str) -> dict[str, tuple[date, date] | None]:
    """The period ending on ``day`` and its two bases, as inclusive dates.

    Returns
    -------
    dict
        ``current``; ``mom`` (环比): the previous equal stretch — for a rolling period the
        same number of days just before, for 本月/本季度 the same days of the previous
        month/quarter (1–23 Nov against 1–23 Oct, clipped to the shorter month), None for
        本年 (its previous stretch is the 同比 base); ``yoy`` (同比): the same dates one year
        earlier. The as-of day may still be running, so a base is always the same days
        (:func:`shift_span` without ``whole``): 1–29 Feb 2024 against 1–29 Jan.
    """
    period = parse_period(period)
    if period in ROLLING_DAYS:
        n = ROLLING_DAYS[period]
        start = day - timedelta(days=n - 1)
        mom = (start - timedelta(days=n), start - timedelta(days=1))
    elif period == "month":
        start = month_first(day)
        mom = shift_span(start, day, -1, whole=False)
    elif period == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        mom = shift_span(start, day, -3, whole=False)
    else:  # year
        start = day.replace(month=1, day=1)
        mom = None
    return {"current": (start, day), "mom": mom,
            "yoy": shift_span(start, day, -12, whole=False)}


def window(day: date, period: str) -> tuple[date, date]:
    """The period ending on ``day`` as inclusive dates (the map's, the league's, the
    points')."""
    return spans(day, period)["current"]




FILTER_PERIODS: tuple[str, ...] = ("today", "7d", "30d", "month", "last_month", "year",
                                   "custom")
"""Period choices of the analysis filters (今天, 近7天, 近30天, 本月, 上月, 本年, 自定义)."""


def filter_span(day: date, period: str, date_from: date | None = None,
                date_to: date | None = None) -> tuple[date, date]:
    """An analysis filter's period as inclusive dates, ``day`` being today (or the as-of
    day): 上月 is the whole previous calendar month, ``custom`` is ``date_from``..``date_to``.

    Raises
    ------
    ValueError
        Not one of :data:`FILTER_PERIODS`.
    """
    if period == "today":
        return day, day
    if period in ("7d", "30d"):
        return day - timedelta(days=ROLLING_DAYS[period] - 1), day
    if period == "month":
        return month_first(day), day
    if period == "last_month":
        first = shift_months(month_first(day), -1)
        return first, month_last(first)
    if period == "year":
        return day.replace(month=1, day=1), day
    if period == "custom":
        return date_from, date_to
    raise ValueError(f"period: expected one of {', '.join(FILTER_PERIODS)}")


def month_bases(d0: date, d1: date) -> dict[str, tuple[date, date]]:
    """The 通报's bases of the days ``d0``..``d1`` of one month: ``mom`` (环比) the same
    days of the previous calendar month, ``yoy`` (同比) of the same month a year earlier.
    Days that run to the month's end map to the base month's end (March against all of
    February, February 2025 against all 29 days of February 2024, 10–30 June against
    10–31 May); other days (a store's last, running month) to the same days, clipped to
    the base month's length.

    Not :func:`spans`' rolling 环比: a monthly 通报 compares calendar months.
    """
    whole = is_month_end(d1)
    return {"mom": shift_span(d0, d1, -1, whole), "yoy": shift_span(d0, d1, -12, whole)}


# --- the 通报's periods: calendar months and ISO weeks ------------------------------------

REPORT_KINDS: tuple[str, ...] = ("month", "week")
"""A 通报 covers a calendar month (月度通报) or an ISO week, Monday to Sunday (周通报)."""
_WEEK = re.compile(r"(\d{4})-?W(\d{2})", re.IGNORECASE)
WEEK_YOY_DAYS = 364
"""A weekly 通报's 同比 base: the same weekdays 52 weeks earlier (a Monday against a
Monday; the calendar date moves by a day or two, a weekday never does, and the case flow
of a grid follows the weekday more than the date)."""


def parse_week(week) -> tuple[date, date]:
    """Monday and Sunday of an ISO week ``YYYY-Www`` (``2026-W48``; ``2026W48`` and a
    lower-case ``w`` too), or of the week of a ``date``.

    Raises
    ------
    ValueError
        Anything but a real ISO week (``2026-W54``, ``2021-W53``: 2021 has 52).
    """
    if isinstance(week, datetime):
        raise ValueError(f"week must be 'YYYY-Www' or a date, not a datetime: {week!r}")
    if isinstance(week, date):
        first = week_first(week)
    else:
        found = _WEEK.fullmatch(week.strip()) if isinstance(week, str) else None
        if not found:
            raise ValueError(f"not a week: {week!r} (expected YYYY-Www, e.g. 2026-W48)")
        try:
            first = date.fromisocalendar(int(found[1]), int(found[2]), 1)
        except ValueError:
            raise ValueError(f"not a week: {week!r} (year {found[1]} has no week "
                             f"{int(found[2])})") from None
    return first, first + timedelta(days=6)


def week_label(day: date) -> str:
    """``2026-W48``: the ISO week of ``day`` (the ISO year, which differs from the calendar
    year on the days around New Year: 2025-12-29 is in 2026-W01)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class ReportPeriod:
    """The period of one 通报: a calendar month or an ISO week.

    ``first``..``last`` are its days, ``label`` its key in file names, the archive and
    the command line (``2026-10``, ``2026-W48``).
    """

    kind: str
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}" if self.kind == "month" else week_label(self.first)

    @property
    def zh(self) -> str:
        """``2026年10月``, ``2026年第48周``."""
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        year, week, _ = self.first.isocalendar()
        return f"{year}年第{week}周"

    def bases(self, d0: date, d1: date) -> dict[str, tuple[date, date]]:
        """The 环比 (``mom``) and 同比 (``yoy``) bases of the days ``d0``..``d1`` of this
        period: for a month :func:`month_bases`; for a week the same weekdays of the
        week before and :data:`WEEK_YOY_DAYS` earlier."""
        if self.kind == "month":
            return month_bases(d0, d1)
        return {"mom": (d0 - timedelta(days=7), d1 - timedelta(days=7)),
                "yoy": (d0 - timedelta(days=WEEK_YOY_DAYS), d1 - timedelta(days=WEEK_YOY_DAYS))}

    def back(self, n: int) -> date:
        """The first day of the period ``n - 1`` periods before this one (a trend of ``n``
        periods ending with this one starts there)."""
        if self.kind == "month":
            return months_back(self.first, n)
        return self.first - timedelta(days=7 * (n - 1))

    def following(self, first: date) -> date:
        """The first day of the period after the one starting ``first``."""
        return next_month(first) if self.kind == "month" else first + timedelta(days=7)

    def end_of(self, first: date) -> date:
        """The last day of the period starting ``first``."""
        return self.following(first) - timedelta(days=1)

    @classmethod
    def previous(cls, kind: str, today: date) -> ReportPeriod:
        """The last whole period before ``today``'s: last month, or last week."""
        if kind == "month":
            first = month_first(month_first(today) - timedelta(days=1))
            return cls("month", first, month_last(first))
        first = week_first(today) - timedelta(days=7)
        return cls("week", first, first + timedelta(days=6))


def report_period(value, kind: str | None = None) -> ReportPeriod:
    """The :class:`ReportPeriod` of ``value``: a ``ReportPeriod``; ``YYYY-MM`` (a month) or
    ``YYYY-Www`` (a week); a ``date`` (its month, or its week with ``kind='week'``).

    Raises
    ------
    ValueError
        An unknown kind, or a value that is not a real month or week (of ``kind``, when
        given).
    """
    if kind is not None and kind not in REPORT_KINDS:
        raise ValueError(f"unknown report period {kind!r}: expected month or week")
    if isinstance(value, ReportPeriod):
        if kind is not None and value.kind != kind:
            raise ValueError(f"a {value.kind} is not a {kind}: {value.label}")
        return value
    if kind is None:
        kind = "week" if isinstance(value, str) and "w" in value.lower() else "month"
    first, last = parse_week(value) if kind == "week" else parse_month(value)
    return ReportPeriod(kind, first, last)


# --- changes ------------------------------------------------------------------------------


class Change(NamedTuple):
    """A value against its base (:func:`change`)."""

    diff: float | None
    """value − base; None where either is missing."""
    rel: float | None
    """diff / base; None also where the base is 0. For a rate this is a relative change of
    the share; people read a rate's change in points (:func:`dashboard.formats.rate_change`)."""
    improved: bool | None
    """Whether the change goes the KPI's better way; an unchanged value is False; None
    where ``diff`` is."""


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def change(value, base, better: str = "higher") -> Change:
    """The change of ``value`` against ``base`` (环比 or 同比), judged by ``better``
    (``higher`` or ``lower``, the KPI registry's direction). None and NaN are missing."""
    value, base = _number(value), _number(base)
    if value is None or base is None:
        return Change(None, None, None)
    diff = value - base
    return Change(diff, None if base == 0 else diff / base,
                  diff > 0 if better == "higher" else diff < 0)
