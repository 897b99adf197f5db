"""Month arithmetic, period bases (环比/同比) and changes of dashboard/periods.py: the one
home of date rules for the screens, the 通报 and the command line. Expected values are
written out by hand (a calendar is the independent computation)."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from dashboard import periods as p

D = date.fromisoformat


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2024-03-31", -1, "2024-02-29"),   # leap year: clipped to 29 Feb
    ("2025-03-31", -1, "2025-02-28"),   # common year: 28 Feb
    ("2024-05-31", -3, "2024-02-29"),
    ("2024-02-29", -12, "2023-02-28"),  # 29 Feb a year back
    ("2024-02-29", 12, "2025-02-28"),
    ("2024-02-29", 48, "2028-02-29"),
    ("2026-01-15", -1, "2025-12-15"),   # across the year boundary
    ("2025-12-31", 1, "2026-01-31"),
    ("2025-11-30", 3, "2026-02-28"),
    ("2026-01-31", -13, "2024-12-31"),
    ("2026-07-17", 0, "2026-07-17"),
])
def test_shift_months_clips_to_the_target_month(day, months, expected):
    assert p.shift_months(D(day), months) == D(expected)


def test_month_helpers():
    assert p.month_first(D("2024-02-17")) == D("2024-02-01")
    assert p.month_last(D("2024-02-17")) == D("2024-02-29")
    assert p.month_last(D("2023-02-17")) == D("2023-02-28")
    assert p.month_last(D("1900-02-01")) == D("1900-02-28")  # not a leap year
    assert p.month_last(D("2000-02-01")) == D("2000-02-29")  # a leap year
    assert p.is_month_end(D("2024-02-29")) and not p.is_month_end(D("2024-02-28"))
    assert p.next_month(D("2025-12-31")) == D("2026-01-01")
    assert p.next_month(D("2026-01-31")) == D("2026-02-01")
    assert p.year_back(D("2024-02-29")) == D("2023-02-28")
    assert p.months_back(D("2026-01-31"), 12) == D("2025-02-01")
    assert p.months_back(D("2026-03-15"), 1) == D("2026-03-01")


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2024-02-10 00:00", "2025-04-01 00:00", ("2024-03-01", "2025-04-01")),  # 13 months
    ("2024-03-01 00:00", "2024-04-01 00:00", ("2024-03-01", "2024-04-01")),  # exactly one
    ("2025-12-15 00:00", "2026-02-03 00:00", ("2026-01-01", "2026-02-01")),  # over the year
    ("2024-03-02 00:00", "2024-03-31 00:00", ("2024-03-02", "2024-03-02")),  # none: equal
    ("2024-02-01 00:00", "2024-02-29 00:00", ("2024-02-01", "2024-02-01")),  # end inside Feb
    ("2026-11-06 00:00", "2026-12-06 00:00", ("2026-11-06", "2026-11-06")),  # 30 days
])
def test_whole_months_inside_a_period(start, end, expected):
    # [start, end): the calendar months wholly inside, as [first, next first) days
    got = p.whole_months(datetime.fromisoformat(start), datetime.fromisoformat(end))
    assert got == (D(expected[0]), D(expected[1]))
    # days count as their midnight (the KPI engine's ranked medians pass days)
    days = p.whole_months(D(start[:10]), D(end[:10]))
    assert days == got


@pytest.mark.parametrize(("day", "monday"), [
    ("2026-01-01", "2025-12-29"),  # a week across the year boundary
    ("2025-12-29", "2025-12-29"),
    ("2024-03-03", "2024-02-26"),  # a Sunday; the week starts in February of a leap year
    ("2024-02-29", "2024-02-26"),
])
def test_week_first_is_the_monday(day, monday):
    got = p.week_first(D(day))
    assert got == D(monday) and got.weekday() == 0 and 0 <= (D(day) - got).days < 7


def test_parse_month():
    assert p.parse_month("2024-02") == (D("2024-02-01"), D("2024-02-29"))
    assert p.parse_month(" 2025-12 ") == (D("2025-12-01"), D("2025-12-31"))
    assert p.parse_month(D("2023-02-14")) == (D("2023-02-01"), D("2023-02-28"))
    for bad in ("2024-13", "2024-1", "2024-00", "0000-05", "24-05", "", None, 202405,
                datetime(2024, 5, 1)):
        with pytest.raises(ValueError):
            p.parse_month(bad)


@pytest.mark.parametrize(("d0", "d1", "mom", "yoy"), [
    # whole months map to whole months
    ("2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28"), ("2025-03-01", "2025-03-31")),
    ("2024-03-01", "2024-03-31", ("2024-02-01", "2024-02-29"), ("2023-03-01", "2023-03-31")),
    ("2025-02-01", "2025-02-28", ("2025-01-01", "2025-01-31"), ("2024-02-01", "2024-02-29")),
    ("2024-02-01", "2024-02-29", ("2024-01-01", "2024-01-31"), ("2023-02-01", "2023-02-28")),
    ("2026-01-01", "2026-01-31", ("2025-12-01", "2025-12-31"), ("2025-01-01", "2025-01-31")),
    ("2025-04-01", "2025-04-30", ("2025-03-01", "2025-03-31"), ("2024-04-01", "2024-04-30")),
    # a store's first month, from the 10th to the end: the base runs to its month's end
    ("2024-06-10", "2024-06-30", ("2024-05-10", "2024-05-31"), ("2023-06-10", "2023-06-30")),
    # a store's last, running month: the same days, clipped
    ("2024-03-01", "2024-03-30", ("2024-02-01", "2024-02-29"), ("2023-03-01", "2023-03-30")),
    ("2026-01-01", "2026-01-05", ("2025-12-01", "2025-12-05"), ("2025-01-01", "2025-01-05")),
])
def test_month_bases_of_the_report(d0, d1, mom, yoy):
    got = p.month_bases(D(d0), D(d1))
    assert got == {"mom": (D(mom[0]), D(mom[1])), "yoy": (D(yoy[0]), D(yoy[1]))}
    assert got["mom"][1] < D(d0)


def test_overview_month_to_date_compares_the_same_days_even_at_a_month_end():
    # the as-of day may still be running: 1–29 Feb against 1–29 Jan, not all of January
    got = p.spans(D("2024-02-29"), "month")
    assert got["mom"] == (D("2024-01-01"), D("2024-01-29"))
    assert got["yoy"] == (D("2023-02-01"), D("2023-02-28"))
    # across the year boundary
    got = p.spans(D("2026-01-05"), "7d")
    assert got["current"] == (D("2025-12-30"), D("2026-01-05"))
    assert got["mom"] == (D("2025-12-23"), D("2025-12-29"))
    assert got["yoy"] == (D("2024-12-30"), D("2025-01-05"))


@pytest.mark.parametrize(("period", "span"), [
    ("today", ("2024-03-01", "2024-03-01")),
    ("7d", ("2024-02-24", "2024-03-01")),
    ("30d", ("2024-02-01", "2024-03-01")),
    ("month", ("2024-03-01", "2024-03-01")),
    ("last_month", ("2024-02-01", "2024-02-29")),
    ("year", ("2024-01-01", "2024-03-01")),
])
def test_filter_span(period, span):
    assert p.filter_span(D("2024-03-01"), period) == (D(span[0]), D(span[1]))


def test_filter_span_last_month_in_january_and_custom():
    assert p.filter_span(D("2026-01-20"), "last_month") == (D("2025-12-01"), D("2025-12-31"))
    assert p.filter_span(D("2026-01-20"), "custom", D("2025-05-01"), D("2025-05-09")) == (
        D("2025-05-01"), D("2025-05-09"))
    with pytest.raises(ValueError, match="period"):
        p.filter_span(D("2026-01-20"), "90 days")


@pytest.mark.parametrize(("value", "base", "better", "expected"), [
    (0.95, 0.90, "higher", (0.05, 0.05 / 0.90, True)),
    (0.85, 0.90, "higher", (-0.05, -0.05 / 0.90, False)),   # a negative change
    (30.0, 24.0, "lower", (6.0, 0.25, False)),              # hours up: worse
    (18.0, 24.0, "lower", (-6.0, -0.25, True)),
    (5.0, 0.0, "higher", (5.0, None, True)),                # no relative change against 0
    (0.0, 0.0, "higher", (0.0, None, False)),               # unchanged is not an improvement
    (3.0, 3.0, "lower", (0.0, 0.0, False)),
])
def test_change(value, base, better, expected):
    got = p.change(value, base, better)
    diff, rel, improved = expected
    assert got.diff == pytest.approx(diff)
    assert (got.rel is None) if rel is None else got.rel == pytest.approx(rel)
    assert got.improved is improved


@pytest.mark.parametrize(("value", "base"), [
    (None, 1.0), (1.0, None), (float("nan"), 1.0), (1.0, float("nan")), (None, None)])
def test_change_against_a_missing_value_is_none(value, base):
    assert p.change(value, base) == (None, None, None)


def test_change_keeps_infinity_out_of_relative_changes():
    got = p.change(1.0, 0.0)
    assert got.rel is None and not math.isinf(got.diff)
