"""Time playback of the overview (态势回放): every frame of a period, computed at once.

A leader presses play on the overview and the map, a row of frame cards and a small
timeline replay the period on the screen day by day (or the last 72 hours hour by hour).
The frames are computed here in one go per (who asks, region, indicator, period, as-of,
store version) and sent to the browser once; stepping, playing and scrubbing happen in the browser
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

**By hour** (:func:`hourly_frames`, the last :data:`HOURS` hours up to the as-of moment): the
summary tables are daily, so the hourly replay reads the raw rows of its window only, by
two bounded statements (``overview/playback_hour_units.sql``: reports per unit and hour,
on the report-time range the store is ordered by; ``overview/playback_hour_cards.sql``:
the cards per hour, the stocks counted over the few rows open during the window). Its map
is always 事件量: the reports of the :data:`HOUR_WINDOW` hours ending with the frame's hour
(a rate or a stock per hour and grid would be mostly empty or unchanged); the cards are the
region's 上报 and 结案 in the hour, 超期未结 and 未整改隐患 at its end.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from dashboard.kpi.engine import kpis
from dashboard.kpi.registry import get
from dashboard.kpi.scope import LEVEL_LENGTHS
from dashboard.overview_data import INDICATORS, View, period_days
from queries import names as Q
from queries import run

HOURS = 72
"""Frames of the hourly replay: the last three days, hour by hour."""
HOUR_WINDOW = 24
"""Hours an hourly map frame sums (the frame's hour and the 23 before it)."""
STEPS = ("day", "hour")
"""The replay's steps: day by day over the screen's period, or hour by hour."""

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


def hour_span(now: datetime) -> tuple[datetime, datetime]:
    """The hourly replay's window: the :data:`HOURS` hours ending with the hour of ``now``
    (that hour may still be running: its frame counts what arrived so far)."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - timedelta(hours=HOURS), end


def hourly_frames(con, v: View, now: datetime, kids: pd.DataFrame) -> dict:
    """Every frame of the hourly replay: as :func:`frames`, with ``days`` the hours (their
    starts), ``values`` the units' reports of the :data:`HOUR_WINDOW` hours ending with each
    hour, ``window`` :data:`HOUR_WINDOW` and ``step`` ``"hour"``; the cards per hour
    (``overview/playback_hour_cards.sql``)."""
    start, end = hour_span(now)
    lead = start - timedelta(hours=HOUR_WINDOW - 1)
    codes = list(kids["short_code"])
    hours = [lead + timedelta(hours=i) for i in range(HOURS + HOUR_WINDOW - 1)]
    long = run(con, Q.OVERVIEW_PLAYBACK_HOUR_UNITS, prefix=v.map_scope.prefix,
               len=int(LEVEL_LENGTHS[v.child_level]), start=lead, end=end)
    counts = np.zeros((len(codes), len(hours)))
    if not long.empty:
        row = {c: i for i, c in enumerate(codes)}
        col = {h: i for i, h in enumerate(hours)}
        for unit, hour, n in long[["unit", "hour", "reported"]].itertuples(index=False):
            i, j = row.get(unit), col.get(pd.Timestamp(hour).to_pydatetime())
            if i is not None and j is not None:
                counts[i, j] = n
    cards = run(con, Q.OVERVIEW_PLAYBACK_HOUR_CARDS, prefix=v.scope.prefix, start=start,
                end=end)
    return {
        "days": [start + timedelta(hours=i) for i in range(HOURS)],
        "codes": list(kids["code"]),
        "values": _trailing(counts, HOUR_WINDOW),
        "window": HOUR_WINDOW,
        "step": "hour",
        "cards": {key: [float(x) for x in cards[key]] for key in CARD_KEYS},
    }


__all__ = ["CARD_KEYS", "HOURS", "HOUR_WINDOW", "STEPS", "WINDOW_DAYS", "card_frames",
           "frames", "hour_span", "hourly_frames", "map_frames"]
