"""The KPI engine: values from the summary tables, case ids from the raw rows.

``kpis`` never reads raw facts. For city, county, town and village keys (the scope itself
or its sub-regions) it reads one query, ``queries/kpi/level_series.sql`` with the key's
level in its slot: every measure of every family per region and day from that level's rollup table,
whose stock columns are already running sums, so a stock at a bucket end is the region's
last row on or before it (at most a month back) and no history is scanned. Flows are summed
per bucket and the KPIs assembled with numpy, one DataFrame at the end. Grid keys (grid
scopes, ``level='grid'``) keep the general path: one ``queries/kpi_<family>_series.sql``
per family over the grid-level summaries (days before the period folded into one opening
row), flows summed per bucket and running sums for stocks. ``drill`` reads raw rows through
``queries/kpi_drill_<table>.sql`` with the same definitions written as per-row flags, so
the ids it returns count exactly to the numerator and denominator ``kpis`` reports.

Quantile KPIs (median and P90 durations) are the one exception to "summaries only": a
quantile cannot be added up from daily sums, so they rank the rows the matching mean
averages, in one query per family (``queries/kpi/incident_quantiles.sql``), bucketed and
split by region like everything else: the handling and closing times from
``case_durations`` (one row per closed case, in closing-day order, migration 010), the
response times from raw incidents. Their denominator is the mean's, from the summaries.
For the scope itself (no ``level``, no ``by``) of a city or a county over a period holding
a whole month they read ``duration_bins`` and one bin of ``duration_ranks`` instead
(migration 018, :func:`_ranked_quantiles`): the same values to the bit.

The fast path reads only the rollup columns the asked KPIs need (:func:`_fast_columns`):
the rollups are 44 measures wide and DuckDB reads a row group column by column.

Families outside the region rollups (:data:`OWN_TABLE`: 群众满意度测评, whose answers may
belong to a region of any level rather than to a grid) always take the per-family path,
at every scope level, and their regions are merged with the others'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd

from dashboard.kpi.registry import (
    KPIS,
    ONTIME_DEFAULT,
    ROLLUP_MEASURES,
    Kpi,
    get,
    official_ontime,
)
from dashboard.kpi.scope import LEVEL_LENGTHS, REGION_LENGTHS, Scope, unplaced_unit
from dashboard.periods import whole_months
from queries import names as Q
from queries import run

BUCKETS = ("day", "week", "month")
LEVELS = tuple(LEVEL_LENGTHS)[1:]  # county, town, village, grid: sub-regions of a scope
HOUR = 3600.0


@dataclass(frozen=True)
class _Family:
    """How a family's series columns become measures.

    ``flows`` are the series columns the query must return (summed per bucket);
    ``stocks`` maps a stock measure to signed series columns whose running sum is the
    stock at a day's end; ``derived`` maps a measure to measures it adds up (a leading
    ``-`` subtracts one); ``scaled`` converts units (seconds to hours).
    """

    flows: tuple[str, ...]
    stocks: dict[str, tuple[tuple[int, str], ...]]
    derived: dict[str, tuple[str, ...]]
    scaled: dict[str, tuple[str, float]]


FAMILIES: dict[str, _Family] = {
    "incident": _Family(
        flows=("reported", "void", "registered", "response_sec", "dispatched", "handled",
               "closed", "closed_ontime", "closed_late", "reworked", "extended", "online",
               "handle_n", "handle_sec", "due", "due_closed_ontime", "close_sec",
               "closed_nodl"),
        stocks={
            "overdue_open": ((1, "due"), (-1, "due_closed_ontime"), (-1, "closed_late")),
            "backlog": ((1, "dispatched"), (-1, "handled")),
        },
        derived={"closed_due": ("closed", "overdue_open"), "handled_due": ("handled", "backlog"),
                 # closed with a deadline: the on-time denominators leave 无时限 cases out
                 "closed_dl": ("closed", "-closed_nodl"),
                 "closed_dl_due": ("closed_dl", "overdue_open")},
        scaled={"response_hours": ("response_sec", HOUR), "handle_hours": ("handle_sec", HOUR),
                "close_hours": ("close_sec", HOUR)},
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
    "area_survey": _Family(("answers", "rated", "satisfied_any"), {}, {}, {}),
    "alert": _Family(
        flows=("alerts", "handled"),
        stocks={"unhandled": ((1, "alerts"), (-1, "handled"))},
        derived={"handle_due": ("handled", "unhandled")},
        scaled={},
    ),
}

# the fast path: which <level>_daily (village, town, county, city) column holds a measure
# (flows are summed over days, stocks read at a bucket's end); keys as in FAMILIES. The
# registry's ROLLUP_MEASURES is the one list of those columns.
FAST_COLUMNS: dict[str, dict[str, str]] = {}
for _m in ROLLUP_MEASURES:
    FAST_COLUMNS.setdefault(_m.family, {})[_m.measure] = _m.column
# key length -> fast-path query; grid keys (15) take the per-family path
FAST_QUERY = Q.KPI_LEVEL_SERIES  # its slot `level` names the rollup table
FAST_LEVELS: dict[int, str] = {n: level for n, level in REGION_LENGTHS.items() if n != 15}

DRILL_QUERIES = {
    "incident": Q.KPI_DRILL_INCIDENTS, "survey": Q.KPI_DRILL_SURVEYS,
    "escalation": Q.KPI_DRILL_ESCALATIONS, "hazard": Q.KPI_DRILL_HAZARDS,
    "key_person": Q.KPI_DRILL_KEY_PERSONS, "visit": Q.KPI_DRILL_VISITS,
    "alert": Q.KPI_DRILL_ALERTS, "area_survey": Q.KPI_DRILL_AREA_SURVEYS,
}
# families read from a small table of their own at every level (not the region rollups)
OWN_TABLE: tuple[str, ...] = ("area_survey",)


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


def _signed_sum(get_measure, parts: tuple[str, ...]) -> np.ndarray:
    """Sum of measures, a part written ``-name`` subtracted."""
    total = 0.0
    for part in parts:
        if part.startswith("-"):
            total = total - get_measure(part[1:])
        else:
            total = total + get_measure(part)
    return total


def _bucket_days(d0: date, d1: date, by: str | None) -> tuple[list[date], np.ndarray,
                                                                np.ndarray]:
    """Bucket labels, the bucket of each day of the period, and each bucket's last day.

    Days and ends are offsets from ``d0``; weeks start on Monday and months on the 1st,
    labelled by their calendar start even when the period clips them.
    """
    n = (d1 - d0).days + 1
    days = np.arange(np.datetime64(d0, "D"), np.datetime64(d0, "D") + n)
    if by is None:
        start = np.full(n, np.datetime64(d0, "D"))
    elif by == "day":
        start = days
    elif by == "week":
        offsets = np.arange(n)
        start = days - ((offsets + d0.weekday()) % 7)
    else:
        start = days.astype("datetime64[M]").astype("datetime64[D]")
    change = np.empty(n, dtype=bool)
    change[0] = True
    change[1:] = start[1:] != start[:-1]
    bucket = np.cumsum(change) - 1
    ends = np.append(np.flatnonzero(change)[1:] - 1, n - 1)
    labels = [d.item() for d in start[change]]
    return labels, bucket, ends


def _fast_columns(chosen: list[Kpi], official) -> list[str]:
    """The rollup columns the chosen KPIs' measures read (through derived, scaled and
    stock measures), so the fast path reads a few of the 44 measure columns, not all."""
    need: set[str] = set()

    def walk(family: str, name: str) -> None:
        spec = FAMILIES[family]
        base = name.split(":", 1)[0]
        if base in spec.derived:
            for part in spec.derived[base]:
                walk(family, f"{part.lstrip('-')}{name[len(base):]}")
        elif name in spec.scaled:
            walk(family, spec.scaled[name][0])
        else:
            need.add(FAST_COLUMNS[family][name])

    for kpi in chosen:
        if kpi.family in OWN_TABLE:
            continue
        if kpi.kind != "quantile":  # a quantile's num names a duration, not a measure
            walk(kpi.family, f"{kpi.num}:{kpi.split}" if kpi.split else kpi.num)
        den = official.den if kpi.key == "ontime_rate" else kpi.den
        if den is not None:
            walk(kpi.family, den)
    return sorted(need)


def _fast_read(con, scope: Scope, level_len: int, d0: date, d1: date,
               columns: list[str]) -> dict[str, np.ndarray]:
    """The region-rollup rows of :func:`_fast_measures`: every level-``level_len`` region
    of the scope from the month start of ``d0`` (or, past the data, from the rollups' last
    day) to ``d1``, with only ``columns``."""
    query, slots = FAST_QUERY, {"level": FAST_LEVELS[level_len]}
    cur = con.cursor()
    try:
        params = {"prefix": scope.prefix, "month_start": d0.replace(day=1), "date_to": d1,
                  "columns": columns or ["reported"]}
        res = run(cur, query, slots=slots, form="arrays", **params)
        if not len(res["day"]):
            # past the rollups' last day (or no data): the final stocks live on that day
            last = run(cur, Q.KPI_ROLLUP_HORIZON, form="rows", prefix=scope.prefix)[0][0]
            if last is not None and last < params["month_start"]:
                params["month_start"] = last
                res = run(cur, query, slots=slots, form="arrays", **params)
    finally:
        cur.close()
    missing = set(columns) - set(res)
    if missing:
        raise RuntimeError(f"{query} ({slots['level']}) lacks columns {sorted(missing)}; "
                           "refresh the summaries")
    return res


def _fast_measures(con, scope: Scope, level_len: int, split: bool, d0: date, d1: date,
                   by: str | None, columns: list[str],
                   res: dict[str, np.ndarray] | None = None):
    """Regions, bucket labels and a measure lookup from one region-rollup query.

    The query (:func:`_fast_read`) returns every level-``level_len`` region of the scope
    with its rows from the month start of ``d0`` (or, past the data, from the rollups' last
    day) to ``d1``, with only ``columns`` (:func:`_fast_columns`: the rollups are 44
    measures wide, a card reads a handful). Flows sum the rows inside the period per
    bucket; a stock at a bucket end is the region's last row on or before that day (each
    region has a row on every month start after its first row). ``res``: those rows when
    the caller has read them (:func:`kpis_spans`: one read for several periods).
    """
    labels, bucket, ends = _bucket_days(d0, d1, by)
    if res is None:
        res = _fast_read(con, scope, level_len, d0, d1, columns)
    region_col = np.asarray(res["region"], dtype=object)
    if split:
        regions, ridx = np.unique(region_col, return_inverse=True)
        regions = [str(r) for r in regions]
    else:
        regions, ridx = [scope.prefix], np.zeros(len(region_col), dtype=np.int64)
    t = (np.asarray(res["day"]).astype("datetime64[D]")
         - np.datetime64(d0, "D")).astype(np.int64)
    order = np.lexsort((t, ridx))
    ridx, t = ridx[order], t[order]
    nr, nb = len(regions), len(labels)
    inside = t >= 0
    cell = ridx[inside] * nb + bucket[t[inside]]
    if len(t):
        lo = int(t.min())
        span = int(t.max()) - lo + 2
        rkey = ridx * span + (t - lo)
        # a bucket end past a region's rows still looks inside that region's key range
        want = (np.arange(nr)[:, None] * span
                + np.clip(ends - lo, -1, span - 1)[None, :]).ravel()
        at = np.searchsorted(rkey, want, side="right") - 1
        hit = (at >= 0) & (ridx[np.maximum(at, 0)] == np.repeat(np.arange(nr), nb))
        at = np.maximum(at, 0)
    cache: dict[tuple[str, str], np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        return np.asarray(res[name], dtype=np.float64)[order]

    def measure(family: str, name: str) -> np.ndarray:
        if (family, name) in cache:
            return cache[(family, name)]
        spec = FAMILIES[family]
        base = name.split(":", 1)[0]
        if base in spec.derived:
            suffix = name[len(base):]
            out = _signed_sum(lambda p: measure(family, f"{p}{suffix}"), spec.derived[base])
        elif name in spec.scaled:
            col, scale = spec.scaled[name]
            out = measure(family, col) / scale
        elif base in spec.stocks:
            if not len(t):
                out = np.zeros((nr, nb))
            else:
                out = np.where(hit, column(FAST_COLUMNS[family][name])[at], 0.0)
                out = out.reshape(nr, nb)
        else:
            out = np.bincount(cell, weights=column(FAST_COLUMNS[family][name])[inside],
                              minlength=nr * nb).reshape(nr, nb)
        cache[(family, name)] = out
        return out

    return regions, labels, measure


def _grid_read(con, scope: Scope, level_len: int, d0: date, d1: date, chosen: list[Kpi]
               ) -> dict[str, tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
    """The per-family rows of :func:`_grid_measures`: per family (region, day, columns),
    rows per region and day from ``d0`` to ``d1`` and one opening row per region (day NaT)
    folding every earlier day; a KPI's category split as a column ``<col>:<category>``."""
    rows: dict[str, tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]] = {}
    cur = con.cursor()
    try:
        for family in dict.fromkeys(k.family for k in chosen):
            splits = [k.split for k in chosen if k.family == family and k.split]
            res = run(cur, Q.KPI_SERIES[family], form="arrays", prefix=scope.prefix,
                      level_len=level_len, date_from=d0, date_to=d1)
            missing = set(FAMILIES[family].flows) - set(res)
            if missing:
                raise RuntimeError(f"kpi_{family}_series lacks columns {sorted(missing)}")
            region = np.asarray(res["region"], dtype=object)
            day = np.asarray(res["day"]).astype("datetime64[D]")
            value_cols = [c for c in res if c not in ("region", "day", "category")]
            cols = {c: np.nan_to_num(np.asarray(res[c], dtype=np.float64)) for c in value_cols}
            if "category" in res:
                category = np.asarray(res["category"], dtype=object)
                for cat in splits:
                    mask = category == cat
                    cols.update({f"{c}:{cat}": np.where(mask, cols[c], 0.0)
                                 for c in value_cols})
            rows[family] = (region, day, cols)
    finally:
        cur.close()
    return rows


def _grid_measures(con, scope: Scope, level_len: int, d0: date, d1: date, by: str | None,
                   chosen: list[Kpi], read=None):
    """The per-family path over the grid-level summaries, shaped like ``_fast_measures``.

    One ``queries/kpi_<family>_series.sql`` per family (:func:`_grid_read`) gives rows per
    region and day inside the period plus one opening row per region (day NULL) folding
    every earlier day. Flows sum the rows inside the period per bucket; a stock at a bucket
    end is the running sum of its signed columns over the region's rows up to that day,
    opening row included. All in numpy: the grid path serves map layers and grid cards,
    which wait on it. ``read``: :func:`_grid_read`'s rows of a longer period when the
    caller has them (:func:`kpis_spans`): rows after ``d1`` are left out and rows before
    ``d0`` count as opening rows, which gives the same sums.
    """
    labels, bucket, ends = _bucket_days(d0, d1, by)
    nb = len(labels)
    split = level_len != len(scope.prefix)
    if read is None:
        read = _grid_read(con, scope, level_len, d0, d1, chosen)
    last = (d1 - d0).days
    rows: dict[str, tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]] = {}
    for family, (region, day, cols) in read.items():
        t = np.where(np.isnat(day), -1,
                     (day - np.datetime64(d0, "D")).astype(np.int64)).astype(np.int64)
        keep = t <= last
        if not keep.all():
            region, t = region[keep], t[keep]
            cols = {c: v[keep] for c, v in cols.items()}
        rows[family] = (region, np.maximum(t, -1), cols)
    if split:
        regions = sorted({str(r) for region, _, _ in rows.values() for r in region})
    else:
        regions = [scope.prefix]
    nr = len(regions)
    index = np.asarray(regions, dtype=object)
    span = (d1 - d0).days + 2  # t + 1 runs from 0 (the opening row) to the last day
    cache: dict[tuple[str, str], np.ndarray] = {}
    prepared: dict[str, tuple] = {}

    def prepare(family: str):
        if family not in prepared:
            region, t, cols = rows[family]
            if split and len(region):
                ridx = np.searchsorted(index, region.astype(str)).astype(np.int64)
            else:
                ridx = np.zeros(len(region), dtype=np.int64)
            order = np.lexsort((t, ridx))
            inside = t >= 0
            cell = ridx[inside] * nb + bucket[t[inside]]
            rkey = ridx[order] * span + (t[order] + 1)
            want = (np.arange(nr)[:, None] * span + (ends + 1)[None, :]).ravel()
            at = np.searchsorted(rkey, want, side="right") - 1
            first = np.searchsorted(ridx[order], np.arange(nr), side="left")
            prepared[family] = (cols, order, inside, cell, at, np.repeat(first, nb))
        return prepared[family]

    def stock(family: str, parts, suffix: str) -> np.ndarray:
        cols, order, _, _, at, start = prepare(family)
        if not len(order):
            return np.zeros((nr, nb))
        net = np.zeros(len(order))
        for sign, col in parts:
            if f"{col}{suffix}" in cols:
                net = net + sign * cols[f"{col}{suffix}"]
        running = np.concatenate([[0.0], np.cumsum(net[order])])
        # the region's rows up to the bucket end run from its first row to `at`
        total = running[at + 1] - running[start]
        return np.where(at + 1 > start, total, 0.0).reshape(nr, nb)

    def measure(family: str, name: str) -> np.ndarray:
        if (family, name) in cache:
            return cache[(family, name)]
        spec = FAMILIES[family]
        base = name.split(":", 1)[0]
        suffix = name[len(base):]
        if family not in rows:
            out = np.zeros((nr, nb))
        elif base in spec.derived:
            out = _signed_sum(lambda p: measure(family, f"{p}{suffix}"), spec.derived[base])
        elif name in spec.scaled:
            col, scale = spec.scaled[name]
            out = measure(family, col) / scale
        elif base in spec.stocks:
            out = stock(family, spec.stocks[base], suffix)
        else:
            cols, _, inside, cell, _, _ = prepare(family)
            if name not in cols:
                out = np.zeros((nr, nb))
            else:
                out = np.bincount(cell, weights=cols[name][inside],
                                  minlength=nr * nb).reshape(nr, nb)
        cache[(family, name)] = out
        return out

    return regions, labels, measure


QUANTILE_COLUMNS = {0.5: "p50", 0.9: "p90"}
"""The quantiles ``queries/kpi/incident_quantiles.sql`` returns, by registry ``Kpi.q``."""


def _quantiles(con, scope: Scope, level_len: int, regions: list[str], labels: list[date],
               d0: date, d1: date, by: str | None, chosen: list[Kpi]) -> dict[str, np.ndarray]:
    """Exact quantiles of the chosen quantile KPIs per region and bucket, from raw rows.

    One query for the family (only incidents have quantile KPIs), shaped like the other
    measures: ``(len(regions), len(labels))`` arrays, NaN where a cell has no row. The
    scope itself of a city or a county over a period with a whole month: from the ranked
    durations (:func:`_ranked_quantiles`).
    """
    wanted = [k for k in chosen if k.kind == "quantile"]
    if not wanted:
        return {}
    for kpi in wanted:
        if kpi.family != "incident" or kpi.q not in QUANTILE_COLUMNS:
            raise RuntimeError(f"no quantile query for {kpi.key} ({kpi.family}, q={kpi.q})")
    def own(values: dict[str, float]) -> dict[str, np.ndarray]:
        """The scope's own values (by KPI key) in the one bucket, NaN elsewhere."""
        out = {k.key: np.full((len(regions), len(labels)), np.nan) for k in wanted}
        r = {reg: i for i, reg in enumerate(regions)}.get(scope.prefix)
        if r is not None and labels:
            for kpi in wanted:
                out[kpi.key][r, 0] = values[kpi.key]
        return out

    if by is None and level_len == len(scope.prefix) and _ranked(con, scope, d0, d1):
        return own(_ranked_quantiles(con, scope.prefix, d0, d1, wanted))
    params = {"prefix": scope.prefix, "level_len": level_len,
              "start": datetime.combine(d0, datetime.min.time()),
              "end": datetime.combine(d1 + timedelta(days=1), datetime.min.time()),
              "date_from": d0, "by": by or "none"}
    measures = sorted({k.num for k in wanted})
    if len(measures) == 1 and measures[0] in ("handle", "close"):
        if by is None and level_len == len(scope.prefix) \
                and len(scope.prefix) <= WIDE_SCOPE_MAX_PREFIX:
            # a city's or a county's period: counted per bin, one bin read per rank
            got = _bin_quantiles(con, scope.prefix, measures[0], params["start"],
                                 params["end"], {k.q for k in wanted})
            return own({k.key: got[k.q] for k in wanted})
        # one duration of case_durations (the overview's cards): the lean statement
        rows = run(con, Q.KPI_DURATION_QUANTILES, slots={"measure": measures[0]}, **params)
    else:
        rows = run(con, Q.KPI_INCIDENT_QUANTILES, measures=measures, **params)
    rindex = {r: i for i, r in enumerate(regions)}
    bindex = {label: i for i, label in enumerate(labels)}
    out = {k.key: np.full((len(regions), len(labels)), np.nan) for k in wanted}
    for rec in rows.to_dict("records"):
        r = rindex.get(str(rec["region"]))
        b = bindex.get(pd.Timestamp(rec["period"]).date())
        if r is None or b is None:
            continue
        for kpi in wanted:
            if kpi.num == rec["measure"]:
                out[kpi.key][r, b] = rec[QUANTILE_COLUMNS[kpi.q]]
    return out


WIDE_SCOPE_MAX_PREFIX = 6
"""The longest scope code (a city or a county, or a province) whose own quantiles are not
taken by one selection among every duration of the period: over whole months they come
from the ranked durations (migration 018, kept per county), otherwise from the durations
counted per bin (:func:`_bin_quantiles`)."""


def _ranked(con, scope: Scope, d0: date, d1: date) -> bool:
    """May the quantiles of the scope itself over ``d0``..``d1`` come from the ranked
    durations? A city or a county, a period holding a whole month, a store with the
    tables (migration 018)."""
    if len(scope.prefix) > WIDE_SCOPE_MAX_PREFIX:
        return False
    m0, m1 = whole_months(d0, d1 + timedelta(days=1))
    if m0 >= m1:
        return False  # no whole month: the period's raw rows are few
    tables = {r[0] for r in run(con, Q.STORE_LIST_TABLES, form="rows")}
    return {"duration_ranks", "duration_bins"} <= tables


def _ranked_quantiles(con, prefix: str, d0: date, d1: date, wanted: list[Kpi]
                      ) -> dict[str, float]:
    """The quantile KPIs of region ``prefix`` over ``d0``..``d1``, exactly as
    ``queries/kpi/incident_quantiles.sql`` computes them (``quantile_cont``), without
    reading every row of the period.

    The whole months' durations are counted per log bin (``kpi/rank_bins.sql``, from
    ``duration_bins``) and the partial months' raw rows added with their bins
    (``kpi/rank_edges.sql``); each rank a quantile needs lies in the bin where the running
    count passes it, so only that bin's durations are read (``kpi/rank_values.sql``, from
    ``duration_ranks``) and the rank taken among them. NaN where no row is ranked.
    """
    m0, m1 = whole_months(d0, d1 + timedelta(days=1))
    measures = sorted({k.num for k in wanted})
    whole = run(con, Q.KPI_RANK_BINS, prefix=prefix, measures=measures, m0=m0, m1=m1,
                form="arrays")
    edges = []
    for start, end in ((d0, m0), (m1, d1 + timedelta(days=1))):
        if start < end:
            edges.append(run(con, Q.KPI_RANK_EDGES, prefix=prefix, measures=measures,
                             start=datetime.combine(start, datetime.min.time()),
                             end=datetime.combine(end, datetime.min.time()),
                             form="arrays"))

    out = {}
    for position, measure in enumerate(measures, start=1):
        qs = {k.q for k in wanted if k.num == measure}
        got = _ranked_measure(con, measure, position, prefix, m0, m1, whole, edges, qs)
        for kpi in wanted:
            if kpi.num == measure:
                out[kpi.key] = got[kpi.q]
    return out


def _column(res: dict, name: str, dtype) -> np.ndarray:
    return np.asarray(res[name], dtype=dtype) if len(res[name]) else np.empty(0, dtype)


def _ranked_measure(con, measure: str, position: int, prefix: str, m0: date, m1: date,
                    whole: dict, edges: list[dict], qs: set[float]) -> dict[float, float]:
    """The quantiles ``qs`` of one duration (see :func:`_ranked_quantiles`; ``position``:
    its number in the edges' column ``m``)."""
    keep = _column(whole, "measure", object) == measure
    bins = _column(whole, "bin", np.int64)[keep]
    counts = _column(whole, "n", np.int64)[keep]
    mine = [_column(e, "m", np.int64) == position for e in edges]
    edge_bins = np.concatenate([np.empty(0, np.int64)] + [
        _column(e, "bin", np.int64)[m] for e, m in zip(edges, mine, strict=True)])
    edge_hours = np.concatenate([np.empty(0, np.float64)] + [
        _column(e, "hours", np.float64)[m] for e, m in zip(edges, mine, strict=True)])
    size = int(max(bins.max(initial=-1), edge_bins.max(initial=-1))) + 1
    hist = (np.bincount(bins, weights=counts, minlength=size).astype(np.int64)
            + np.bincount(edge_bins, minlength=size))

    def values(b: int) -> np.ndarray:
        stored = run(con, Q.KPI_RANK_VALUES, measure=measure, bin=b, prefix=prefix,
                     m0=m0, m1=m1, form="arrays")
        return np.concatenate([_column(stored, "hours", np.float64),
                               edge_hours[edge_bins == b]])

    return _binned_quantiles(np.arange(size), hist, values, qs)


def _bin_quantiles(con, prefix: str, measure: str, start: datetime, end: datetime,
                   qs: set[float]) -> dict[float, float]:
    """The quantiles ``qs`` of one duration of ``case_durations`` (``handle`` or
    ``close``) of region ``prefix`` closed in [``start``, ``end``), exactly as
    ``queries/kpi/duration_quantiles.sql`` computes them (``quantile_cont``): counted per
    sixteenth of an hour in every thread (``kpi/duration_bins.sql``), then only the bins
    holding the ranks read (``kpi/duration_bin_values.sql``). For a city or a county,
    whose period holds hundreds of thousands to millions of durations."""
    slots = {"measure": measure}
    hist = run(con, Q.KPI_DURATION_BINS, slots=slots, prefix=prefix, start=start, end=end,
               form="arrays")

    def values(b: int) -> np.ndarray:
        got = run(con, Q.KPI_DURATION_BIN_VALUES, slots=slots, prefix=prefix, start=start,
                  end=end, lo=b / 16, hi=(b + 1) / 16, form="arrays")
        return _column(got, "hours", np.float64)

    return _binned_quantiles(_column(hist, "bin", np.int64), _column(hist, "n", np.int64),
                             values, qs)


def _binned_quantiles(bins: np.ndarray, hist: np.ndarray, values, qs: set[float]
                      ) -> dict[float, float]:
    """``quantile_cont``'s quantiles ``qs`` of a set of doubles known by its histogram:
    ``hist[i]`` values lie in bin ``bins[i]`` (bins ascending, every value of a lower bin
    below every value of a higher one), and ``values(bin)`` reads one bin's values. Each
    rank a quantile needs is found by adding counts, and only its bin is read (once).
    NaN for an empty set."""
    ends = np.cumsum(hist)  # ends[i]: values in bins[0..i]
    total = int(ends[-1]) if len(ends) else 0
    taken: dict[int, np.ndarray] = {}

    def kth(rank: int) -> float:
        """The rank-th smallest value (0-based)."""
        i = int(np.searchsorted(ends, rank, side="right"))
        if i not in taken:
            taken[i] = np.sort(values(int(bins[i])))
        return float(taken[i][rank - (int(ends[i]) - int(hist[i]))])

    out = {}
    for q in qs:
        if total == 0:
            out[q] = float("nan")
            continue
        rn = float(total - 1) * q  # quantile_cont's RN = (n - 1) q, FRN, CRN
        frn, crn = math.floor(rn), math.ceil(rn)
        lo = kth(frn)
        out[q] = lo if frn == crn else _interpolate(lo, rn - frn, kth(crn))
    return out


def _interpolate(lo: float, d: float, hi: float) -> float:
    """``quantile_cont``'s interpolation of doubles, to the bit: DuckDB computes
    ``lo * (1 - d) + hi * d``, which its build fuses into ``fma(lo, 1 - d, hi * d)`` (one
    rounding after the first product is added; held to DuckDB in
    tests/unit/test_duration_ranks.py). Exact rationals give that single rounding."""
    return float(Fraction(lo) * Fraction(1.0 - d) + Fraction(hi * d))


def _merged(parts):
    """One (regions, labels, measure) from the rollup path and the own-table path: regions
    are the union (a region without rows on one path has zeros there)."""
    regions = sorted({r for part_regions, _, _ in parts for r in part_regions})
    labels = parts[0][1]
    index = {r: i for i, r in enumerate(regions)}
    maps = [np.asarray([index[r] for r in part_regions], dtype=np.int64)
            for part_regions, _, _ in parts]

    def measure(family: str, name: str) -> np.ndarray:
        i = 1 if family in OWN_TABLE else 0
        got = parts[i][2](family, name)
        out = np.zeros((len(regions), len(labels)))
        out[maps[i]] = got
        return out

    return regions, labels, measure


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
        Split the scope into its sub-regions of this level: those with any summary row
        on or before ``date_to`` (for grids: of a stock family, or of any family inside the
        period), each listed with every requested KPI.
    ontime : {'closed', 'due'}
        The official 按期结案率 definition reported as ``ontime_rate`` (the setting).

    Returns
    -------
    pandas.DataFrame
        Long format: ``region`` (with ``level``), ``period`` (with ``by``), ``key``,
        ``value``, ``numerator``, ``denominator``. Rates are shares (0..1) and NaN when the
        denominator is 0; counts and stocks have NaN denominators; quantiles (hours) have a
        NaN numerator and the number of rows they rank as denominator.

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
    return _kpi_frame(con, scope, level_len, level, d0, d1, by, chosen, official)


def _kpi_frame(con, scope: Scope, level_len: int, level: str | None, d0: date, d1: date,
               by: str | None, chosen: list[Kpi], official: Kpi,
               shared: dict | None = None) -> pd.DataFrame:
    """:func:`kpis` after its checks; ``shared``: rows a caller read once for a longer
    period (:func:`kpis_spans`: ``fast`` the rollup rows, ``grid`` and ``own`` the
    per-family rows), else each path reads its own."""
    shared = shared or {}
    own = [k for k in chosen if k.family in OWN_TABLE]
    rest = [k for k in chosen if k.family not in OWN_TABLE]
    parts = []
    if (rest or not own) and level_len in FAST_LEVELS:
        parts.append(_fast_measures(con, scope, level_len, level is not None, d0, d1, by,
                                    _fast_columns(rest, official),
                                    res=_fast_part(shared.get("fast"), d0, d1)))
    elif rest or not own:
        parts.append(_grid_measures(con, scope, level_len, d0, d1, by, rest,
                                    read=shared.get("grid")))
    if own:
        parts.append(_grid_measures(con, scope, level_len, d0, d1, by, own,
                                    read=shared.get("own")))
    regions, labels, measure = parts[0] if len(parts) == 1 else _merged(parts)
    quantiles = _quantiles(con, scope, level_len, regions, labels, d0, d1, by, chosen)

    nr, nb = len(regions), len(labels)
    keys, nums, dens, values = [], [], [], []
    for kpi in chosen:
        num_name = f"{kpi.num}:{kpi.split}" if kpi.split else kpi.num
        den_name = official.den if kpi.key == "ontime_rate" else kpi.den
        if kpi.kind == "quantile":
            den = measure(kpi.family, den_name)
            num = np.full((nr, nb), np.nan)
            value = np.where(den > 0, quantiles[kpi.key], np.nan)
        elif den_name is None:
            num = measure(kpi.family, num_name)
            den = np.full((nr, nb), np.nan)
            value = num
        else:
            num = measure(kpi.family, num_name)
            den = measure(kpi.family, den_name)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = num / np.where(den != 0, den, np.nan)
        keys.append(kpi.key)
        nums.append(num)
        dens.append(den)
        values.append(value)
    cells = nr * nb
    data = {}
    if level:
        data["region"] = np.tile(np.repeat(np.asarray(regions, dtype=object), nb), len(keys))
    if by:
        data["period"] = np.tile(np.asarray(labels, dtype=object), nr * len(keys))
    data["key"] = np.repeat(np.asarray(keys, dtype=object), cells)
    data["value"] = np.concatenate(values, axis=None) if keys else np.empty(0)
    data["numerator"] = np.concatenate(nums, axis=None) if keys else np.empty(0)
    data["denominator"] = np.concatenate(dens, axis=None) if keys else np.empty(0)
    for col in ("value", "numerator", "denominator"):
        data[col] = data[col].astype("float64", copy=False)
    out = pd.DataFrame(data)
    if level:
        # rows attributed to the scope (or a region above the level) but to no unit of the
        # level count in the scope's totals, never as a unit (scope.unplaced_unit)
        keep = np.array([not unplaced_unit(r) for r in out["region"]], dtype=bool)
        out = out[keep].reset_index(drop=True)
    return out


def _fast_part(res: dict[str, np.ndarray] | None, d0: date, d1: date
               ) -> dict[str, np.ndarray] | None:
    """The rows :func:`_fast_read` would return for ``d0``..``d1``, cut from a read of a
    longer period (from the month start of ``d0`` to ``d1``); None when there are none (the
    period's own read then takes the rollups' horizon, as :func:`_fast_read` does)."""
    if res is None:
        return None
    day = np.asarray(res["day"]).astype("datetime64[D]")
    keep = (day >= np.datetime64(d0.replace(day=1), "D")) & (day <= np.datetime64(d1, "D"))
    if not keep.any():
        return None
    return {c: v[keep] for c, v in res.items()}


def kpis_spans(con, scope: Scope, spans: dict[str, tuple], ontime: str = ONTIME_DEFAULT
               ) -> dict[str, pd.DataFrame]:
    """:func:`kpis` of the scope itself (no ``level``) for several periods at once, from
    one read of the summaries over all of them (the overview's cards: the period, 环比, 同比,
    the day, and the 12-month trend, which would otherwise be five reads).

    Parameters
    ----------
    spans : dict
        name → ``(date_from, date_to, keys, by)``, each as :func:`kpis` takes them.

    Returns
    -------
    dict
        name → what ``kpis(con, scope, date_from, date_to, keys=keys, by=by,
        ontime=ontime)`` returns (the same rows summed from the same summary rows; held to
        it and to pandas in tests/unit/test_kpi.py). The quantile KPIs still read their
        rows per period.
    """
    if not spans:
        return {}
    checked = {}
    for name, (date_from, date_to, keys, by) in spans.items():
        d0, d1 = _check(scope, date_from, date_to)
        if by is not None and by not in BUCKETS:
            raise ValueError(f"unknown by {by!r}; expected one of {BUCKETS}")
        checked[name] = (d0, d1, _select(keys), by)
    official = official_ontime(ontime)
    level_len = len(scope.prefix)
    first = min(d0 for d0, _, _, _ in checked.values())
    last = max(d1 for _, d1, _, _ in checked.values())
    every = list(dict.fromkeys(k for _, _, chosen, _ in checked.values() for k in chosen))
    own = [k for k in every if k.family in OWN_TABLE]
    rest = [k for k in every if k.family not in OWN_TABLE]
    shared: dict = {}
    if rest and level_len in FAST_LEVELS:
        shared["fast"] = _fast_read(con, scope, level_len, first, last,
                                    _fast_columns(rest, official))
    elif rest:
        shared["grid"] = _grid_read(con, scope, level_len, first, last, rest)
    if own:
        shared["own"] = _grid_read(con, scope, level_len, first, last, own)
    return {name: _kpi_frame(con, scope, level_len, None, d0, d1, by, chosen, official,
                             shared)
            for name, (d0, d1, chosen, by) in checked.items()}


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
