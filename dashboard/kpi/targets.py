"""Targets and traffic lights (红黄绿灯) for the KPIs a command screen shows against a goal.

Each target has a green and a yellow threshold in the KPI's own unit (shares 0..1, hours).
For a KPI where higher is better, green means ``value >= green``, yellow ``value >= yellow``
and red anything below; for lower-is-better KPIs the comparisons flip. The values follow
common practice in municipal grid-management evaluations (结案率 ≥ 95 %, 按期结案率 ≥ 90 %,
满意率 ≥ 90 %, handling within a working day); a deployment can override them in settings
later without touching the screens, which only call :func:`light`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from dashboard.kpi.registry import get


@dataclass(frozen=True)
class Target:
    """Green and yellow thresholds of one KPI (in its unit: shares as 0..1, hours)."""

    green: float
    yellow: float


TARGETS = MappingProxyType({
    "close_rate": Target(0.95, 0.90),
    "ontime_rate": Target(0.90, 0.80),
    "ontime_rate_closed": Target(0.90, 0.80),
    "ontime_rate_due": Target(0.90, 0.80),
    "satisfaction_rate": Target(0.90, 0.85),
    "avg_handle_hours": Target(24.0, 48.0),
    "hazard_rectify_rate": Target(0.90, 0.80),
    "hazard_ontime_rate": Target(0.90, 0.80),
    "visit_rate": Target(0.95, 0.85),
})


def light(key: str, value: float | None) -> str | None:
    """``'green'``, ``'yellow'`` or ``'red'`` for ``value`` of KPI ``key``.

    None when the KPI has no target or the value is missing (NaN: nothing to rate).
    """
    target = TARGETS.get(key)
    if target is None or value is None or value != value:
        return None
    if get(key).better == "higher":
        return "green" if value >= target.green else "yellow" if value >= target.yellow else "red"
    return "green" if value <= target.green else "yellow" if value <= target.yellow else "red"
