"""One number dialect per locale (issue 14, item 12): dashboard/formats.py and the screens
that use it (overview cards, map labels and legend, KPI strips, the CLI table)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import formats
from dashboard.kpi.cli_format import format_value
from dashboard.kpi.registry import get
from layouts import analysis
from layouts import overview as view


@pytest.mark.parametrize(("n", "zh", "en"), [
    (0, "0", "0"), (9_876, "9,876", "9,876"), (10_000, "1.00万", "10.0k"),
    (20_300, "2.03万", "20.3k"), (203_456, "20.3万", "203k"), (999_999, "100万", "1.00M"),
    (1_234_567, "123万", "1.23M"), (20_300_000, "2,030万", "20.3M"),
    (203_000_000, "2.03亿", "203M"), (2_030_000_000, "20.3亿", "2.03B"),
    (-20_300, "-2.03万", "-20.3k"), (float("nan"), "–", "–"), (None, "–", "–"),
])
def test_counts_per_locale(n, zh, en):
    assert formats.count(n, "zh") == zh
    assert formats.count(n, "en") == en


def test_rates_changes_and_durations_per_locale():
    assert formats.rate(0.875) == "87.5%" and formats.rate(float("nan")) == "–"
    assert formats.rate_change(0.012, "zh") == "+1.2个百分点"
    assert formats.rate_change(0.012, "en") == "+1.2 pp"
    assert formats.rate_change(-0.05, "en", arrow=True) == "▼ 5.0 pp"
    assert formats.relative_change(0.083) == "+8.3%"
    assert formats.relative_change(-0.083, arrow=True) == "▼ 8.3%"
    assert formats.duration(18.24, "zh") == "18.2小时" and formats.duration(18.24, "en") == "18.2 h"
    assert formats.duration(60, "zh") == "2.5天" and formats.duration(60, "en") == "2.5 d"
    assert formats.days(55.2, "zh") == "2.3天"
    assert formats.kpi("reported", 20_300, "zh") == ("2.03万", "件")
    assert formats.kpi("reported", 20_300, "en") == ("20.3k", "")
    assert formats.kpi_text("median_close_hours", 12.0, "en") == "12.0 h"
    assert formats.kpi_change("close_rate", 0.95, 0.9, "zh") == "▲ 5.0个百分点"
    assert formats.kpi_change("reported", 110, 100, "en") == "▲ 10.0%"
    assert formats.kpi_change("reported", 110, 0, "en") == "–"


def test_overview_cards_legend_and_map_labels_speak_the_locale():
    card = {"key": "reported", "kpi": "reported", "value": 20_300.0, "mom": 18_000.0,
            "yoy": 25_000.0, "light": None, "better": "higher", "companion": None}
    handle = {"key": "avg_handle_hours", "kpi": "avg_handle_hours", "value": 30.0,
              "mom": 20.0, "yoy": None, "light": "red", "better": "lower",
              "companion": {"kpi": "median_handle_hours", "value": 12.25}}
    en = str(view.kpi_cards([card, handle], "en"))
    zh = str(view.kpi_cards([card, handle], "zh"))
    assert "20.3k" in en and "2.03万" not in en
    assert "2.03万" in zh
    assert "median 12.2 h" in en and "中位 12.2小时" in zh
    assert view.format_indicator("incidents", 20_300, "en") == "20.3k"
    assert view.format_indicator("handle", 60.0, "en") == "2.5 d"
    hideout = {"indicator": "incidents", "rawBreaks": [10_000, 20_300],
               "colors": ["#1", "#2", "#3"], "values": {"a": 1.0}, "unit": ""}
    assert "≥ 20.3k" in str(view.legend(hideout, "en"))


def test_kpi_strip_cards_show_companions_and_locale_counts():
    values = pd.DataFrame({
        "key": ["ontime_rate", "deadline_share", "avg_handle_hours", "median_handle_hours"],
        "value": [0.9, 0.75, 30.0, 12.0], "numerator": [27_000.0, 30_000.0, 1e6, math.nan],
        "denominator": [30_000.0, 40_000.0, 33_333.0, 33_333.0]})
    cards = analysis.kpi_cards(values, "南通市", "x", False, "en",
                               shown=["ontime_rate", "avg_handle_hours"])
    text = str(cards)
    assert text.count("gc-akpi-name") == 2  # companions ride in their KPI's card
    assert "27.0k / 30.0k" in text and "75.0% with a time limit" in text
    assert "median 12.0 h" in text and "n 33.3k" in text
    assert analysis.with_companions(["ontime_rate", "reported"]) == [
        "ontime_rate", "reported", "deadline_share"]


def test_cli_table_uses_the_same_rates_and_shows_days():
    assert format_value(get("close_rate"), 0.8534) == formats.rate(0.8534) == "85.3%"
    assert format_value(get("avg_close_hours"), 52.8) == "52.8 小时 (2.2 天)"
    assert format_value(get("median_close_hours"), 12.04) == "12.0 小时"
