"""The as-of rules (dashboard/periods.py): which moment a screen shows, and the periods that
end there with their 环比 and 同比 bases."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from dashboard import periods

NOW = datetime(2026, 12, 3, 10, 15)


def test_a_fresh_store_is_shown_as_of_now():
    a = periods.resolve(NOW, datetime(2026, 12, 3, 9, 0))
    assert a.live and a.mode == "live" and a.moment == NOW
    # a feed quiet for two days is still live (the stale banner speaks for it)
    assert periods.resolve(NOW, datetime(2026, 12, 1, 9, 0), stale_days=3).live


def test_a_store_whose_data_ended_long_ago_is_shown_as_of_its_last_data_day():
    a = periods.resolve(NOW, datetime(2015, 6, 30, 17, 55), stale_days=3)
    assert a.mode == "data" and not a.live
    assert a.moment == datetime.combine(date(2015, 6, 30), time.max)
    assert a.day == date(2015, 6, 30)
    # just past the threshold
    assert periods.resolve(NOW, datetime(2026, 11, 30, 10, 14), stale_days=3).mode == "data"
    assert periods.resolve(NOW, datetime(2026, 11, 30, 10, 16), stale_days=3).mode == "live"


def test_the_threshold_can_be_turned_off_and_an_empty_store_is_live():
    assert periods.resolve(NOW, datetime(2015, 6, 30), stale_days=0).live
    assert periods.resolve(NOW, None).live


def test_a_picked_day_wins_and_today_or_later_means_live():
    a = periods.resolve(NOW, datetime(2015, 6, 30), requested=date(2015, 3, 31))
    assert a.mode == "chosen" and a.moment == datetime(2015, 3, 31, 23, 59, 59, 999999)
    for day in (NOW.date(), date(2030, 1, 1)):
        a = periods.resolve(NOW, datetime(2015, 6, 30), requested=day)
        assert a.live and a.moment == NOW


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("2016-06-30", date(2016, 6, 30)),
    ("2016-06-30T00:00:00", date(2016, 6, 30)), (" 2016-06-30 ", date(2016, 6, 30)),
])
def test_parse_asof(value, expected):
    assert periods.parse_asof(value) == expected


@pytest.mark.parametrize("value", ["2016-13-01", "yesterday", "0216-06-30", 20160630,
                                   ["2016-06-30"], {"date": "2016-06-30"}])
def test_parse_asof_refuses_what_is_not_a_date(value):
    with pytest.raises(ValueError):
        periods.parse_asof(value)


def test_parse_period():
    assert periods.parse_period(None) == periods.parse_period("") == "30d"
    for key in periods.PERIODS:
        assert periods.parse_period(key) == key
    for bad in ("custom", "1y", 30, ["month"]):
        with pytest.raises(ValueError):
            periods.parse_period(bad)


@pytest.mark.parametrize("day, period, current, mom, yoy", [
    # rolling: the same number of days just before
    (date(2016, 6, 30), "7d", (date(2016, 6, 24), date(2016, 6, 30)),
     (date(2016, 6, 17), date(2016, 6, 23)), (date(2015, 6, 24), date(2015, 6, 30))),
    (date(2016, 6, 30), "30d", (date(2016, 6, 1), date(2016, 6, 30)),
     (date(2016, 5, 2), date(2016, 5, 31)), (date(2015, 6, 1), date(2015, 6, 30))),
    (date(2016, 3, 1), "90d", (date(2015, 12, 3), date(2016, 3, 1)),
     (date(2015, 9, 4), date(2015, 12, 2)), (date(2014, 12, 3), date(2015, 3, 1))),
    # 本月 keeps the month's own rule: the same days of last month, clipped
    (date(2024, 3, 31), "month", (date(2024, 3, 1), date(2024, 3, 31)),
     (date(2024, 2, 1), date(2024, 2, 29)), (date(2023, 3, 1), date(2023, 3, 31))),
    # 本季度: the same stretch of the previous quarter, clipped to its month
    (date(2024, 5, 31), "quarter", (date(2024, 4, 1), date(2024, 5, 31)),
     (date(2024, 1, 1), date(2024, 2, 29)), (date(2023, 4, 1), date(2023, 5, 31))),
    (date(2016, 1, 10), "quarter", (date(2016, 1, 1), date(2016, 1, 10)),
     (date(2015, 10, 1), date(2015, 10, 10)), (date(2015, 1, 1), date(2015, 1, 10))),
    # 本年: no 环比 (the previous stretch is the 同比 base); 29 Feb falls back to 28
    (date(2024, 2, 29), "year", (date(2024, 1, 1), date(2024, 2, 29)), None,
     (date(2023, 1, 1), date(2023, 2, 28))),
])
def test_spans(day, period, current, mom, yoy):
    spans = periods.spans(day, period)
    assert spans == {"current": current, "mom": mom, "yoy": yoy}
    assert periods.window(day, period) == current
    if mom is not None:
        assert mom[1] < current[0]  # a base never overlaps the period


def test_months_back():
    assert periods.months_back(date(2016, 6, 30), 12) == date(2015, 7, 1)
    assert periods.months_back(date(2016, 1, 31), 12) == date(2015, 2, 1)
