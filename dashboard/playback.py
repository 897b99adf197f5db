"""Time playback of the overview (态势回放): every frame of a period, computed at once.

A leader presses play on the overview and the map, a row of frame cards and a small
timeline replay the period on the screen day by day. The frames are computed here in one
go per (who asks, region, indicator, period, as-of, store version) and sent to the browser
once; stepping, playing and scrubbing happen in the browser
(``assets/gridcmd_playback.js``) without a server round trip per frame.

Everything is read from the summary tables through the KPI engine
(:func:`dashboard.kpi.engine.kpis` with ``by="day"``), for the units the map draws, in the
user's jurisdiction (the caller passes the :class:`~dashboard.overview_data.View` it
resolved through ``access.narrow``).

What a frame of day *d* shows:

* **map**: the map's indicator per unit. Flows (事件量), rates (满意率) and means (处置时长)
  over the :data:`WINDOW_DAYS` days ending on *d* (sums of the day buckets' numerators
  and denominators: a single day per grid is mostly zeros); stocks (超期未结, 未整改隐患,
  重点人群) at the end of *d*. Colour classes are fixed over the whole replay, so a colour
  means the same value in every frame.
* **cards**: the region's 当日上报, 当日结案, 超期未结 and 未整改隐患 on *d*.
* **timeline**: 当日上报 of every day of the period, with the frame's day marked.

Hour-by-hour frames (the last 72 hours) are not offered: the summary tables are daily.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.kpi.engine import kpis
from dashboard.kpi.registry import get
from dashboard.overview_data import INDICATORS, View, period_days

WINDOW_DAYS = 7
"""Days a flow, rate or mean frame sums (the frame's day and the six before it)."""

CARD_KEYS: tuple[str, ...] = ("reported", "closed", "overdue", "open_hazards")
"""The frame cards: the region's KPIs on the frame's day."""

def _matrix(long: pd.DataFrame, codes: list[str], days: list[date], column: str
            ) -> np.ndarray:
    """``column`` of the engine's long output as a (unit × day) array (0 where absent)."""
    if long.empty:
        return np.zeros((len(codes), len(days)))
    wide = long.pivot_table(index="region", columns="period", values=column,
                            aggfunc="first", dropna=False)
    wide.columns = [pd.Timestamp(c).date() for c in wide.columns]
    wide = wide.reindex(index=codes, columns=days)
    return np.nan_to_num(wide.to_numpy(dtype=float), nan=0.0)


def _trailing(a: np.ndarray, window: int) -> np.ndarray:
    """Sums over the ``window`` columns ending at each column (the first ``window - 1``
    columns are the lead-in and dropped)."""
    c = np.cumsum(np.pad(a, ((0, 0), (1, 0))), axis=1)
    return c[:, window:] - c[:, :-window]


def map_frames(con, v: View, d0: date, d1: date, indicator: str, kids: pd.DataFrame,
               ontime: str = "closed", hidden: set[str] | None = None) -> np.ndarray:
    """The indicator's value of every unit of ``kids`` on every day ``d0``..``d1``
    (units × days, NaN where there is no value; rates as shares).

    ``hidden``: short codes whose key-person counts are protected for this user (their
    densities would give the counts back), NaN in every frame.
    """
    ind = INDICATORS[indicator]
    kpi = get(ind.kpi)
    codes = list(kids["short_code"])
    stock = kpi.kind == "stock"
    window = 1 if stock else WINDOW_DAYS
    lead = d0 - timedelta(days=window - 1)
    days = [lead + timedelta(days=i) for i in range((d1 - lead).days + 1)]
    long = kpis(con, v.map_scope, lead, d1, keys=[ind.kpi], by="day", level=v.child_level,
                ontime=ontime)
    if stock:
        out = _matrix(long, codes, days, "value")
    elif kpi.kind == "count":
        out = _trailing(_matrix(long, codes, days, "numerator"), window)
    elif kpi.kind in ("rate", "mean"):
        num = _trailing(_matrix(long, codes, days, "numerator"), window)
        den = _trailing(_matrix(long, codes, days, "denominator"), window)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(den > 0, num / den, np.nan)
    else:  # pragma: no cover - no map indicator is a quantile
        raise ValueError(f"indicator {indicator!r}: a {kpi.kind} cannot be replayed")
    if ind.per_10k:
        pop = kids["population"].to_numpy(dtype=float)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(pop > 0, out / pop * 10_000, np.nan)
    if hidden:
        mask = np.array([c in hidden for c in codes])
        out[mask, :] = np.nan
    return out


def card_frames(con, v: View, d0: date, d1: date, ontime: str = "closed"
                ) -> dict[str, list[float]]:
    """The region's :data:`CARD_KEYS` on every day ``d0``..``d1``."""
    long = kpis(con, v.scope, d0, d1, keys=list(CARD_KEYS), by="day", ontime=ontime)
    days = [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]
    out = {}
    for key in CARD_KEYS:
        rows = long[long["key"] == key].assign(
            day=lambda f: [pd.Timestamp(p).date() for p in f["period"]])
        series = rows.set_index("day")["value"].reindex(days)
        out[key] = [0.0 if pd.isna(x) else float(x) for x in series]
    return out


def frames(con, v: View, now, period: str, indicator: str, kids: pd.DataFrame,
           ontime: str = "closed", hidden: set[str] | None = None) -> dict:
    """Every frame of ``period`` (ending on the day of ``now``).

    Returns
    -------
    dict
        ``days`` (dates), ``codes`` (the units' codes, as the map's features carry them),
        ``values`` (:func:`map_frames`: units × days, rates as shares), ``window`` (days
        a map frame sums; 1 for a stock) and ``cards`` (:func:`card_frames`).
    """
    if indicator not in INDICATORS:
        raise ValueError(f"indicator: expected one of {', '.join(INDICATORS)}")
    d0, d1 = period_days(now, period)
    values = map_frames(con, v, d0, d1, indicator, kids, ontime, hidden)
    return {
        "days": [d0 + timedelta(days=i) for i in range(values.shape[1])],
        "codes": list(kids["code"]),
        "values": values,
        "window": 1 if get(INDICATORS[indicator].kpi).kind == "stock" else WINDOW_DAYS,
        "cards": card_frames(con, v, d0, d1, ontime),
    }


__all__ = ["CARD_KEYS", "WINDOW_DAYS", "card_frames", "frames", "map_frames"]
