"""Chinese text of report values and changes, shared by the writers that print text (pdf).

Rates change in 百分点 (points), counts and means in per cent of the base: "结案率 +2.3%"
would be ambiguous between the two, a 通报 must not be.
"""

from __future__ import annotations

from dashboard.kpi.cli_format import MISSING, format_count

RATE, MEAN = "rate", "mean"


def value_text(kind: str, unit: str, value) -> str:
    """85.3%, 12.4 小时, 1,234 件; ``—`` when missing (never 0 for an empty denominator)."""
    if value is None:
        return MISSING
    if kind == RATE:
        return f"{value * 100:.1f}%"
    if kind == MEAN:
        return f"{value:,.1f} {unit}"
    return format_count(value, unit)


def change_text(kind: str, change, change_rel) -> str:
    """``+2.3个百分点`` for rates, ``+12.5%`` for counts and means, ``—`` without a base."""
    if change is None:
        return MISSING
    if kind == RATE:
        return f"{change * 100:+.1f}个百分点"
    if change_rel is None:
        return f"{change:+,.0f}" if float(change).is_integer() else f"{change:+,.1f}"
    return f"{change_rel * 100:+.1f}%"


def verdict(change, improved) -> str:
    """向好, 退步, 持平 or ``—`` (by the KPI's better direction)."""
    if change is None or improved is None:
        return MISSING
    if change == 0:
        return "持平"
    return "向好" if improved else "退步"


def rate_text(value) -> str:
    return MISSING if value is None else f"{value * 100:.1f}%"


def hours_text(value) -> str:
    return MISSING if value is None else f"{value:.1f}"
