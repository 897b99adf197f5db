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
    assert format_value(get("avg_close_hours"), 52.8) == "52.8 小时（2.2天）"
    assert format_value(get("median_close_hours"), 12.04) == "12.0 小时"


@pytest.mark.parametrize("nothing", [None, float("nan"), float("inf"), float("-inf"),
                                     pd.NA])
def test_nothing_to_show_reads_the_same_in_every_form(nothing):
    for lang in ("zh", "en"):
        assert formats.count(nothing, lang) == formats.MISSING
        assert formats.rate(nothing, lang) == formats.MISSING
        assert formats.rate_change(nothing, lang) == formats.MISSING
        assert formats.relative_change(nothing, lang, arrow=True) == formats.MISSING
        assert formats.duration(nothing, lang) == formats.MISSING
        assert formats.days(nothing, lang) == formats.MISSING
    assert formats.exact(nothing, "件") == formats.MISSING
    assert formats.measure("rate", "%", nothing) == formats.MISSING
    assert formats.measure("mean", "小时", nothing) == formats.MISSING


def test_negative_and_zero_changes():
    assert formats.rate_change(-0.034, "zh") == "-3.4个百分点"
    assert formats.rate_change(-0.034, "en") == "-3.4 pp"
    assert formats.rate_change(-0.034, "zh", arrow=True) == "▼ 3.4个百分点"
    assert formats.relative_change(-0.5, "en") == "-50.0%"
    # a change that rounds to nothing is never "-0.0" and never has an arrow
    assert formats.rate_change(-0.0004, "zh") == "+0.0个百分点"
    assert formats.relative_change(-0.0004, "en") == "+0.0%"
    assert formats.rate_change(0.0, "zh", arrow=True) == "持平"
    assert formats.relative_change(-0.0004, "en", arrow=True) == "flat"
    assert formats.kpi_change("avg_handle_hours", 18.0, 24.0, "zh") == "▼ 25.0%"
    assert formats.count(-9_876) == "-9,876"


def test_one_rate_change_per_locale_on_screen_in_the_report_and_on_the_command_line():
    from dashboard.report.text import change_text

    assert change_text("rate", 0.023, 0.025) == formats.rate_change(0.023, "zh") == "+2.3个百分点"
    assert formats.rate_change(0.023, "en") == "+2.3 pp"
    assert view.format_change(0.95, 0.90, "close_rate")["text"] == "▲ 5.0个百分点"
    assert view.format_change(0.95, 0.90, "close_rate", "en")["text"] == "▲ 5.0 pp"
    assert change_text("count", 5.0, None) == "+5"  # against a zero base: the difference
    assert change_text("count", -3.0, -0.5) == "-50.0%"
    assert change_text("rate", None, None) == formats.MISSING


def test_exact_measures_for_documents_and_tables():
    assert formats.exact(1234, "件") == "1,234 件"
    assert formats.exact(1234.5) == "1,234.5" and formats.exact(20_300) == "20,300"
    assert formats.measure("count", "件", 1234.0) == "1,234 件"
    assert formats.measure("stock", "件", 0) == "0 件"
    assert formats.measure("rate", "%", 0.8534) == "85.3%"
    assert formats.measure("mean", "小时", 12.04) == "12.0 小时"
    assert formats.measure("quantile", "小时", 52.8) == "52.8 小时（2.2天）"
    assert formats.measure("mean", "小时", 24.0) == "24.0 小时（1.0天）"
    assert formats.measure("mean", "小时", 23.96) == "24.0 小时"  # under a day before rounding
    assert format_value(get("reported"), 1234.0) == formats.measure("count", "件", 1234.0)
