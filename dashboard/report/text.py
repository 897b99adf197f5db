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


KIND_ZH = {"incident": "案件", "hazard": "隐患"}
LATE_GROUPS_SHOWN = 8


def late_text(report) -> str:
    """``截至时点后到达本期记录 12 条（案件·占道经营 5、…），未计入本通报。``"""
    if not report.late:
        return "截至时点后没有本期记录到达。"
    groups = "、".join(f"{KIND_ZH.get(g.kind, g.kind)}·{g.category} {g.n:,}"
                      for g in report.late[:LATE_GROUPS_SHOWN])
    more = len(report.late) - LATE_GROUPS_SHOWN
    if more > 0:
        groups += f" 等 {len(report.late):,} 类"
    checked = (f"（{report.late_checked_at:%Y-%m-%d %H:%M} 核对）"
               if report.late_checked_at else "")
    return (f"截至时点后到达本期记录 {report.late_total:,} 条{checked}：{groups}；"
            "未计入本通报。")


def asof_lines(report) -> list[str]:
    """The as-of line and the late-records line of a report with an as-of moment."""
    if report.as_of is None:
        return []
    return [f"数据截至 {report.as_of:%Y-%m-%d %H:%M:%S}（此时点的数据快照）", late_text(report)]
