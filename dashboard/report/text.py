"""Chinese text of report values and changes, shared by the writers that print text (pdf).

Rates change in 百分点 (points), counts and durations in per cent of the base: "结案率 +2.3%"
would be ambiguous between the two, a 通报 must not be. The forms are the Chinese ones of
:mod:`dashboard.formats`, except that counts stay exact (a 通报 is checked line by line).
"""

from __future__ import annotations

from dashboard import formats
from dashboard.formats import MISSING

RATE, MEAN, QUANTILE = "rate", "mean", "quantile"


def value_text(kind: str, unit: str, value) -> str:
    """85.3%, 12.4 小时 (from a day on with days: 52.8 小时（2.2天）), 1,234 件; ``–`` when
    missing (never 0 for an empty denominator): :func:`dashboard.formats.measure`."""
    return formats.measure(kind, unit, value)


def change_text(kind: str, change, change_rel) -> str:
    """``+2.3个百分点`` for rates, ``+12.5%`` for counts and durations, the signed
    difference against a zero base (``+5``), ``–`` without a base."""
    if change is None:
        return MISSING
    if kind == RATE:
        return formats.rate_change(change, "zh")
    if change_rel is None:
        return f"{float(change):+,.0f}" if float(change).is_integer() else f"{change:+,.1f}"
    return formats.relative_change(change_rel, "zh")


def verdict(change, improved) -> str:
    """向好, 退步, 持平 or ``–`` (by the KPI's better direction)."""
    if change is None or improved is None:
        return MISSING
    if change == 0:
        return "持平"
    return "向好" if improved else "退步"


def rate_text(value) -> str:
    return MISSING if value is None else formats.rate(value)


def hours_text(value) -> str:
    return MISSING if value is None else f"{value:.1f}"
