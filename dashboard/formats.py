"""Numbers for people, one dialect per locale: the screens in Chinese and English and the
command line's table use these functions, so a count, a rate, a change or a duration reads
the same on every panel.

Chinese groups large counts by 万 and 亿 (``2.03万``), English by thousands (``20.3k``);
below ten thousand both show the exact count with a thousands separator (``9,876``).
Rates are per cent with one decimal (``87.5%``). A change of a rate is in percentage
points (``+1.2个百分点`` / ``+1.2 pp``): "+1.2%" would read as a relative change. A change of
a count or a duration is relative to its base (``+8.3%``). Durations are hours below two
days and days from there (``18.2小时``, ``2.5天`` / ``18.2 h``, ``2.5 d``).

The monthly 通报 is a Chinese document and keeps its own wording
(``dashboard/report/text.py``), built on the Chinese forms here.
"""

from __future__ import annotations

import math

MISSING = "–"
"""A value that does not exist (a rate over nothing), never shown as 0."""
LANGS = ("zh", "en")

_ZH_STEPS = ((100_000_000, "亿"), (10_000, "万"))
_EN_STEPS = ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k"))


def missing(value) -> bool:
    """None or NaN: nothing to show."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))
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


def exact(n) -> str:
    """An exact whole count with thousands separators (``20,300``), the same in both
    languages: for totals a reader may check against a list."""
    return MISSING if missing(n) else f"{float(n):,.0f}"


def rate(share, lang: str = "zh", digits: int = 1) -> str:
    """A share 0..1 as per cent: ``87.5%``."""
    return MISSING if missing(share) else f"{100 * float(share):.{digits}f}%"


def rate_change(diff, lang: str = "zh", arrow: bool = False) -> str:
    """A change of a rate (shares) in percentage points: ``+1.2个百分点`` / ``+1.2 pp``;
    with ``arrow`` ``▲ 1.2个百分点``."""
    if missing(diff):
        return MISSING
    points = 100 * float(diff)
    unit = "个百分点" if _lang(lang) == "zh" else " pp"
    if arrow:
        return f"{'▲' if points > 0 else '▼'} {abs(points):.1f}{unit}"
    return f"{points:+.1f}{unit}"


def relative_change(rel, lang: str = "zh", arrow: bool = False) -> str:
    """A change of a count or a duration relative to its base: ``+8.3%`` (``▲ 8.3%``)."""
    if missing(rel):
        return MISSING
    pct = 100 * float(rel)
    if arrow:
        return f"{'▲' if pct > 0 else '▼'} {abs(pct):.1f}%"
    return f"{pct:+.1f}%"


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
