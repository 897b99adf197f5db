"""The CLI's ``--from``/``--to`` dates (``dashboard.cli._day``): a day, or a month standing
for its first (``--from``) or last (``--to``) day; anything else is refused naming the flag."""

from __future__ import annotations

import calendar
from datetime import date

import pytest

from dashboard.cli import _day


@pytest.mark.parametrize("year, month", [(2024, 2), (2023, 2), (2024, 12), (2025, 4)])
def test_a_month_stands_for_its_first_or_last_day(year, month):
    text = f"{year}-{month:02d}"
    assert _day(text, "--from", end=False) == date(year, month, 1)
    assert _day(text, "--to", end=True) == date(year, month,
                                                calendar.monthrange(year, month)[1])


def test_a_day_is_itself():
    assert _day(" 2024-02-10 ", "--to", end=True) == date(2024, 2, 10)


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-1", "24-02", "2024-02-30", "x"])
def test_anything_else_names_the_flag(text):
    with pytest.raises(ValueError, match=r"^--to: not a date"):
        _day(text, "--to", end=True)


def test_a_missing_date_is_required():
    with pytest.raises(ValueError, match=r"--from is required"):
        _day("", "--from", end=False)
