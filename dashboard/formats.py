"""Numbers for people, one dialect per locale: the screens in Chinese and English and the
command line's table use these functions, so a count, a rate, a change or a duration reads
the same on every panel.

Chinese groups large counts by 万 and 亿 (``2.03万``), English by thousands (``20.3k``);
below ten thousand both show the exact count with a thousands separator (``9,876``).
Rates are per cent with one decimal (``87.5%``). A change of a rate is in percentage
points (``+1.2个百分点`` / ``+1.2 pp``): "+1.2%" would read as a relative change. A change of
a count or a duration is relative to its base (``+8.3%``). Durations are hours below two
days and days from there (``18.2小时``, ``2.5天`` / ``18.2 h``, ``2.5 d``).

Documents and tables people check line by line (the monthly 通报, ``gridcmd kpi``'s
table) write a KPI value exactly instead (:func:`measure`: ``1,234 件``, ``85.3%``,
``52.8 小时（2.2天）``); the 通报's sentences (``dashboard/report/text.py``) are built on
the Chinese forms here. A missing value is :data:`MISSING` everywhere: screen, 通报 and
command line.
"""

from __future__ import annotations

import math

import pandas as pd

MISSING = "–"
"""A value that does not exist (a rate over nothing), never shown as 0: on screen, in the
通报 and on the command line alike."""
LANGS = ("zh", "en")

_ZH_STEPS = ((100_000_000, "亿"), (10_000, "万"))
_EN_STEPS = ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k"))


def missing(value) -> bool:
    """None, NaN, ``pd.NA``/``NaT`` or ±infinity (a change relative to nothing): nothing
    to show."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "zh"


def _three_digits(x: float) -> str:
    """``x`` (≥ 1) with three significant digits, never in scientific notation; thousands
    separated when it has more digits than that (2,030)."""
    if x >= 1000:
        return f"{x:,.0f}"
    digits = 2 if x < 10 else 1 if x < 100 else 0
    text = f"{x:.{digits}f}"
    if float(text) >= (10 if digits == 2 else 100 if digits == 1 else 1000):
        return _three_digits(float(text))  # 9.999 rounds up into the next decade
    return text


def count(n, lang: str = "zh") -> str:
    """A count: exact below 10,000 (``9,876``), then ``2.03万``/``3.40亿`` in Chinese and
    ``20.3k``/``2.03M``/``1.20B`` in English (three significant digits)."""
    if missing(n):
        return MISSING
    value = float(n)
    if abs(value) < 10_000:
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    zh = _lang(lang) == "zh"
    steps = _ZH_STEPS if zh else _EN_STEPS
    sign = "-" if value < 0 else ""
    for i, (size, suffix) in enumerate(steps):
        if abs(value) >= size:
            text = _three_digits(abs(value) / size)
            if not zh and i and float(text.replace(",", "")) >= 1000:
                # 999.96k reads 1.00M, not 1,000k
                size, suffix = steps[i - 1]
                text = _three_digits(abs(value) / size)
            return f"{sign}{text}{suffix}"
    return f"{value:,.0f}"


def exact(n, unit: str = "") -> str:
    """An exact count with thousands separators (``20,300``; a fraction keeps one decimal,
    ``1,234.5``), the same in both languages, with ``unit`` after a space when given
    (``1,234 件``): for totals a reader may check against a list."""
    if missing(n):
        return MISSING
    value = float(n)
    text = f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return f"{text} {unit}" if unit else text


def measure(kind: str, unit: str, value) -> str:
    """A KPI value written exactly, for documents and tables (the 通报, ``gridcmd kpi``):
    rates ``85.3%``; means and quantiles in their unit with one decimal (``12.4 小时``),
    from a day on also in days as published tables give durations (``52.8 小时（2.2天）``);
    counts and stocks exact with their unit (``1,234 件``). A rate, mean or quantile over
    an empty denominator is :data:`MISSING`, never 0.

    ``kind`` and ``unit`` are a registry KPI's (:class:`dashboard.kpi.registry.Kpi`).
    """
    if missing(value):
        return MISSING
    if kind == "rate":
        return rate(value)
    if kind in ("mean", "quantile"):
        text = f"{float(value):,.1f} {unit}"
        if unit == "小时" and abs(float(value)) >= 24:
            text += f"（{days(value)}）"
        return text
    return exact(value, unit)


def rate(share, lang: str = "zh", digits: int = 1) -> str:
    """A share 0..1 as per cent: ``87.5%``."""
    return MISSING if missing(share) else f"{100 * float(share):.{digits}f}%"


def rate_change(diff, lang: str = "zh", arrow: bool = False) -> str:
    """A change of a rate (shares) in percentage points: ``+1.2个百分点`` in Chinese,
    ``+1.2 pp`` in English, on screen, in the 通报 and on the command line alike; with
    ``arrow`` ``▲ 1.2个百分点`` (``持平``/``flat`` when it rounds to 0.0)."""
    if missing(diff):
        return MISSING
    unit = "个百分点" if _lang(lang) == "zh" else " pp"
    return _signed(100 * float(diff), unit, lang, arrow)


def relative_change(rel, lang: str = "zh", arrow: bool = False) -> str:
    """A change of a count or a duration relative to its base: ``+8.3%`` (``▲ 8.3%``)."""
    if missing(rel):
        return MISSING
    return _signed(100 * float(rel), "%", lang, arrow)


FLAT = {"zh": "持平", "en": "flat"}
"""An arrowed change that rounds to 0.0."""


def _signed(amount: float, unit: str, lang: str, arrow: bool) -> str:
    """``+1.2`` + unit (never ``-0.0``); with ``arrow`` ``▲ 1.2``/``▼ 1.2`` + unit, and
    :data:`FLAT` for a change that rounds to 0.0."""
    amount = round(amount, 1) + 0.0  # -0.04 → -0.0 → 0.0
    if arrow:
        if amount == 0:
            return FLAT[_lang(lang)]
        return f"{'▲' if amount > 0 else '▼'} {abs(amount):.1f}{unit}"
    return f"{amount:+.1f}{unit}"


def hours(value, lang: str = "zh") -> tuple[str, str]:
    """A duration as (number, unit): hours below two days, then days."""
    if missing(value):
        return MISSING, ""
    h = float(value)
    zh = _lang(lang) == "zh"
    if abs(h) >= 48:
        return f"{h / 24:.1f}", "天" if zh else "d"
    return f"{h:.1f}", "小时" if zh else "h"


def duration(value, lang: str = "zh") -> str:
    """A duration as one label: ``18.2小时``, ``2.5天`` / ``18.2 h``, ``2.5 d``."""
    number, unit = hours(value, lang)
    if not unit:
        return number
    return number + unit if _lang(lang) == "zh" else f"{number} {unit}"


def days(value, lang: str = "zh") -> str:
    """Hours as days, as published tables give durations (``2.3天`` / ``2.3 d``)."""
    if missing(value):
        return MISSING
    d = float(value) / 24
    return f"{d:.1f}天" if _lang(lang) == "zh" else f"{d:.1f} d"


def kpi(key: str, value, lang: str = "zh") -> tuple[str, str]:
    """A registry KPI's value as (number, unit) for a card: rates ``93.5`` + ``%``,
    durations in hours or days, counts in 万 or k with the Chinese unit (件, 处 …) in
    Chinese and none in English."""
    from dashboard.kpi.registry import get

    k = get(key)
    if missing(value):
        return MISSING, ""
    if k.unit == "%":
        return f"{100 * float(value):.1f}", "%"
    if k.unit == "小时":
        return hours(value, lang)
    return count(value, lang), (k.unit if _lang(lang) == "zh" else "")


def kpi_text(key: str, value, lang: str = "zh") -> str:
    """A KPI's value as one label (``93.5%``, ``18.2小时``, ``2.03万件`` / ``20.3k``)."""
    number, unit = kpi(key, value, lang)
    if unit in ("h", "d"):
        return f"{number} {unit}"
    return number + unit


def kpi_change(key: str, value, base, lang: str = "zh", arrow: bool = True) -> str:
    """The change of a KPI against a base: rates in points, others relative to the base;
    ``MISSING`` without a base (or relative to a zero base)."""
    from dashboard.kpi.registry import get

    if missing(value) or missing(base):
        return MISSING
    diff = float(value) - float(base)
    if get(key).unit == "%":
        return rate_change(diff, lang, arrow)
    if float(base) == 0:
        return MISSING
    return relative_change(diff / float(base), lang, arrow)
