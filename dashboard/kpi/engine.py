"""The KPI engine: values from the summary tables, case ids from the raw rows.

``kpis`` never reads raw facts: it asks one ``queries/kpi_<family>_series.sql`` per KPI
family for sums per region key and day inside the scope (days before the period folded
into one opening row), then sums flows over each bucket and takes running sums for
stocks at each bucket's end. ``drill`` reads raw rows through
``queries/kpi_drill_<table>.sql`` with the same definitions written as per-row flags, so
the ids it returns count exactly to the numerator and denominator ``kpis`` reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from dashboard.kpi.registry import KPIS, ONTIME_DEFAULT, Kpi, get, official_ontime
from dashboard.kpi.scope import LEVEL_LENGTHS, Scope
from queries import run

BUCKETS = ("day", "week", "month")
LEVELS = tuple(LEVEL_LENGTHS)[1:]  # county, town, village, grid: sub-regions of a scope
HOUR = 3600.0


@dataclass(frozen=True)
class _Family:
    """How a family's series columns become measures.

    ``flows`` are the series columns the query must return (summed per bucket);
    ``stocks`` maps a stock measure to signed series columns whose running sum is the
    stock at a day's end; ``derived`` maps a measure to measures it adds up; ``scaled``
    converts units (seconds to hours).
    """

    flows: tuple[str, ...]
    stocks: dict[str, tuple[tuple[int, str], ...]]
    derived: dict[str, tuple[str, ...]]
    scaled: dict[str, tuple[str, float]]


FAMILIES: dict[str, _Family] = {
    "incident": _Family(
        flows=("reported", "void", "registered", "response_sec", "dispatched", "handled",
               "closed", "closed_ontime", "closed_late", "reworked", "extended", "online",
               "handle_n", "handle_sec", "due", "due_closed_ontime"),
        stocks={
            "overdue_open": ((1, "due"), (-1, "due_closed_ontime"), (-1, "closed_late")),
            "backlog": ((1, "dispatched"), (-1, "handled")),
        },
        derived={"closed_due": ("closed", "overdue_open"), "handled_due": ("handled", "backlog")},
        scaled={"response_hours": ("response_sec", HOUR), "handle_hours": ("handle_sec", HOUR)},
    ),
    "survey": _Family(("surveys", "rated", "satisfied_any"), {}, {}, {}),
    "escalation": _Family(("to_town", "to_county", "to_city", "transfers"), {}, {}, {}),
    "hazard": _Family(
        flows=("found", "found_major", "rectified", "rectified_ontime", "rectified_late", "due",
               "due_rectified_ontime"),
        stocks={
            "open": ((1, "found"), (-1, "rectified")),
            "open_overdue": ((1, "due"), (-1, "due_rectified_ontime"), (-1, "rectified_late")),
        },
        derived={"rectify_due": ("rectified", "open"), "ontime_due": ("rectified", "open_overdue")},
        scaled={},
    ),
    "key_person": _Family((), {"listed": ((1, "listed"), (-1, "removed"))}, {}, {}),
    "visit": _Family(("due", "visited_ontime"), {}, {}, {}),
    "alert": _Family(
        flows=("alerts", "handled"),
        stocks={"unhandled": ((1, "alerts"), (-1, "handled"))},
        derived={"handle_due": ("handled", "unhandled")},
        scaled={},
    ),
}

DRILL_QUERIES = {
    "incident": "kpi_drill_incidents", "survey": "kpi_drill_surveys",
    "escalation": "kpi_drill_escalations", "hazard": "kpi_drill_hazards",
    "key_person": "kpi_drill_key_persons", "visit": "kpi_drill_visits",
    "alert": "kpi_drill_alerts",
}


@dataclass(frozen=True)
class DrillResult:
    """The rows behind one KPI value.

    ``numerator_ids`` are the rows counted in the numerator (for a mean: the rows averaged);
    ``denominator_ids`` is None for counts and stocks. Survey and escalation KPIs list case
    ids, once per survey or hand-off.
    """

    key: str
    numerator_ids: list[int]
    denominator_ids: list[int] | None


def _as_date(value, name: str) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{name} must be a date (a calendar day), not a datetime: {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date or 'YYYY-MM-DD', got {value!r}")


def _check(scope, date_from, date_to) -> tuple[date, date]:
    if not isinstance(scope, Scope):
        raise ValueError(f"a Scope is required, got {type(scope).__name__}")
    d0, d1 = _as_date(date_from, "date_from"), _as_date(date_to, "date_to")
    if d0 > d1:
        raise ValueError(f"date_from {d0} is after date_to {d1}")
    return d0, d1


def _select(keys) -> list[Kpi]:
    if keys is None:
        return list(KPIS)
    if isinstance(keys, str):
        keys = [keys]
    chosen = [get(k) for k in keys]
    if not chosen:
        raise ValueError("keys is empty; pass None for every KPI")
    return list(dict.fromkeys(chosen))


def _buckets(d0: date, d1: date, by: str | None) -> pd.DataFrame:
    """One row per day of the period with its bucket label, and whether it ends a bucket."""
    days = pd.date_range(d0, d1, freq="D")
    if by is None:
        label = pd.Series(pd.Timestamp(d0), index=days)
    elif by == "day":
        label = pd.Series(days, index=days)
    elif by == "week":
        label = pd.Series(days - pd.to_timedelta(days.day_of_week, unit="D"), index=days)
    else:
        label = pd.Series(days.to_period("M").to_timestamp(), index=days)
    frame = pd.DataFrame({"period": label.to_numpy()}, index=days)
    frame["is_end"] = frame["period"].ne(frame["period"].shift(-1))
    return frame


def _measures(con, family: str, scope: Scope, level_len: int, d0: date, d1: date,
              buckets: pd.DataFrame, split_values: Iterable[str]) -> pd.DataFrame:
    """Measures of a family per (region, period), zero-filled over regions x periods."""
    spec = FAMILIES[family]
    series = run(con, f"kpi_{family}_series", prefix=scope.prefix, level_len=level_len,
                 date_from=d0, date_to=d1)
    missing = set(spec.flows) - set(series.columns)
    if missing:
        raise RuntimeError(f"kpi_{family}_series lacks columns {sorted(missing)}")
    series["day"] = pd.to_datetime(series["day"]).fillna(pd.Timestamp(d0) - pd.Timedelta(days=1))
    series["region"] = series["region"].astype(str)
    value_cols = [c for c in series.columns if c not in ("region", "day", "category")]
    series[value_cols] = series[value_cols].astype("float64").fillna(0.0)
    if "category" in series.columns:
        parts = [series[["region", "day", *value_cols]]]
        for cat in split_values:
            part = series.loc[series["category"] == cat, ["region", "day", *value_cols]]
            parts.append(part.rename(columns={c: f"{c}:{cat}" for c in value_cols}))
        series = pd.concat(parts, ignore_index=True).fillna(0.0)
        series = series.groupby(["region", "day"], as_index=False).sum()
    regions = sorted(series["region"].unique()) if level_len != len(scope.prefix) else [
        scope.prefix]
    periods = buckets["period"].drop_duplicates().to_list()
    index = pd.MultiIndex.from_product([regions, periods], names=["region", "period"])
    out = pd.DataFrame(index=index)

    columns = [c for c in series.columns if c not in ("region", "day")]
    in_period = series[series["day"] >= pd.Timestamp(d0)].copy()
    in_period["period"] = buckets["period"].reindex(in_period["day"]).to_numpy()
    out = out.join(in_period.groupby(["region", "period"])[columns].sum()).fillna(0.0)

    stocks = {}
    for name, parts in spec.stocks.items():
        for suffix in ["", *(f":{cat}" for cat in split_values)]:
            cols = [f"{col}{suffix}" for _, col in parts]
            if all(c in series.columns for c in cols):
                stocks[f"{name}{suffix}"] = sum(
                    sign * series[c] for (sign, _), c in zip(parts, cols, strict=True))
    if stocks:
        net = pd.DataFrame(stocks).groupby([series["region"], series["day"]]).sum()
        days = pd.date_range(pd.Timestamp(d0) - pd.Timedelta(days=1), d1, freq="D")
        ends = buckets.index[buckets["is_end"]]
        for name in stocks:
            wide = net[name].unstack("region").reindex(index=days, columns=regions).fillna(0.0)
            running = wide.cumsum().loc[ends]
            running.index = pd.Index(buckets.loc[ends, "period"].to_numpy(), name="period")
            long = running.stack()
            long.index = long.index.swaplevel()
            out[name] = long.reindex(index).fillna(0.0).to_numpy()
    for name, parts in spec.derived.items():
        out[name] = sum(out[p] for p in parts)
    for name, (col, scale) in spec.scaled.items():
        out[name] = out[col] / scale
    return out


def kpis(con, scope: Scope, date_from, date_to, keys=None, by: str | None = None,
         level: str | None = None, ontime: str = ONTIME_DEFAULT) -> pd.DataFrame:
    """KPI values with their numerators and denominators, from the summary tables.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection or cursor on a store whose summary tables are refreshed.
    scope : Scope
        The user's jurisdiction; only rows whose grid code starts with its region count.
    date_from, date_to : date or 'YYYY-MM-DD'
        The period, both days inclusive (Asia/Shanghai calendar days).
    keys : str or list of str, optional
        KPI keys from the registry; all KPIs when None.
    by : {'day', 'week', 'month'}, optional
        Split the period into buckets (weeks start on Monday; the first and last bucket
        are clipped to the period and labelled by their calendar start).
    level : {'county', 'town', 'village', 'grid'}, optional
        Split the scope into its sub-regions of this level (only those with any rows).
    ontime : {'closed', 'due'}
        The official 按期结案率 definition reported as ``ontime_rate`` (the setting).

    Returns
    -------
    pandas.DataFrame
        Long format: ``region`` (with ``level``), ``period`` (with ``by``), ``key``,
        ``value``, ``numerator``, ``denominator``. Rates are shares (0..1) and NaN when the
        denominator is 0; counts and stocks have NaN denominators.

    Raises
    ------
    ValueError
        Unknown KPI key, ``by`` or ``level``; a level above the scope; a bad date; from > to.
    """
    d0, d1 = _check(scope, date_from, date_to)
    chosen = _select(keys)
    if by is not None and by not in BUCKETS:
        raise ValueError(f"unknown by {by!r}; expected one of {BUCKETS}")
    if level is None:
        level_len = len(scope.prefix)
    elif level in LEVELS:
        level_len = LEVEL_LENGTHS[level]
        if level_len < len(scope.prefix):
            raise ValueError(f"level {level!r} is above the scope's level {scope.level!r}")
    else:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    official = official_ontime(ontime)
    buckets = _buckets(d0, d1, by)

    frames: dict[str, pd.DataFrame] = {}
    for family in dict.fromkeys(k.family for k in chosen):
        splits = [k.split for k in chosen if k.family == family and k.split]
        frames[family] = _measures(con, family, scope, level_len, d0, d1, buckets, splits)

    rows = []
    for kpi in chosen:
        m = frames[kpi.family]
        num_col = f"{kpi.num}:{kpi.split}" if kpi.split else kpi.num
        den_col = official.den if kpi.key == "ontime_rate" else kpi.den
        num = m[num_col] if num_col in m else pd.Series(0.0, index=m.index)
        if den_col is None:
            den = pd.Series(np.nan, index=m.index)
            value = num.astype(float)
        else:
            den = m[den_col]
            value = num / den.where(den != 0)
        part = pd.DataFrame({"key": kpi.key, "value": value, "numerator": num,
                             "denominator": den}, index=m.index).reset_index()
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    cols = (["region"] if level else []) + (["period"] if by else []) + [
        "key", "value", "numerator", "denominator"]
    out = out[cols]
    if by:
        out["period"] = pd.to_datetime(out["period"]).dt.date
    return out


def drill(con, scope: Scope, key: str, date_from, date_to,
          ontime: str = ONTIME_DEFAULT) -> DrillResult:
    """The row ids behind a KPI's numerator and denominator, read from the raw tables.

    Parameters
    ----------
    con, scope, date_from, date_to, ontime
        As for :func:`kpis`.
    key : str
        One KPI key.

    Raises
    ------
    ValueError
        Unknown key, bad dates or from > to.
    PermissionError
        For a ``screen`` scope: public walls show aggregates, never case ids.
    """
    d0, d1 = _check(scope, date_from, date_to)
    kpi = get(key)
    if not scope.can_drill:
        raise PermissionError(f"role {scope.role!r} may not drill through to case ids")
    start = datetime.combine(d0, datetime.min.time())
    end = datetime.combine(d1 + timedelta(days=1), datetime.min.time())
    query = DRILL_QUERIES[kpi.family]
    params = {"prefix": scope.prefix, "end": end}
    if kpi.family != "key_person":
        params["start"] = start
    rows = run(con, query, **params)
    if kpi.split:
        rows = rows[rows["category"] == kpi.split]
    den_flag = official_ontime(ontime).den if kpi.key == "ontime_rate" else kpi.den

    def ids(flag: str) -> list[int]:
        return [int(i) for i in rows.loc[rows[flag].astype(bool), "id"]]

    return DrillResult(kpi.key, ids(kpi.drill_num), ids(den_flag) if den_flag else None)
