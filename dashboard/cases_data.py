"""What the analyst workbench shows, as plain data: facets, a page of cases, one case.

Every function takes the user's scope (from the session) and the :class:`Filters` (from the
URL) and reads through the ``cases_*`` queries, so the charts, the table and the export
count the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from dashboard import levels
from dashboard.filters import Filters
from dashboard.kpi.scope import REGION_LENGTHS, Scope, unplaced_unit
from dashboard.periods import months_back, whole_months
from queries import batches, chunks, run
from queries import names as Q

SORTABLE = ("reported_at", "case_no", "category", "source", "status", "village",
            "deadline_at", "closed_at", "handle_hours")
PAGE_SIZES = (10, 12, 15, 20, 50, 100)
STAGES = (("reported_at", "上报"), ("registered_at", "立案"), ("dispatched_at", "派遣"),
          ("handled_at", "处置"), ("verified_at", "核查"), ("closed_at", "结案"))


def unit_length(con, prefix: str) -> int:
    """Length of the map unit codes below the region ``prefix``: the store's next shown
    level (:mod:`dashboard.levels`; a grid maps its own grid)."""
    return levels.of(con).below(len(prefix))


# region prefix lengths the period tables key: a city (the sum of its counties' rows) and
# a county (its own rows, so a county user's scope reads only its county)
PERIOD_TABLE_PREFIXES = (4, 6)


def period_table_scope(params: dict) -> bool:
    """Do the filters select a whole city or one county and nothing narrower (the period
    tables' rows)? Any other filter reads the filtered cases, with the same rows."""
    return (len(params["prefix"]) in PERIOD_TABLE_PREFIXES and not any(
        params[k] for k in ("majors", "minors", "sources", "statuses", "grids")))


# the map unit lengths the period tables key below a whole city or county (counties,
# towns): the 满意度 and 事件 pages read them for those units
SATISFACTION_UNIT_LENGTHS = (6, 9)


def facets(con, user: Scope, filters: Filters, now: datetime) -> dict[str, pd.DataFrame]:
    """Counts of the filtered cases per 大类, source, status, day and map unit.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``major``, ``source``, ``status``, ``day``, ``unit``: each with ``key``, ``label``
        and ``n``, largest first (``day`` in date order); ``total`` is the row count.
    """
    params = filters.params(user, now.date())
    unit_len = unit_length(con, params["prefix"])
    if period_table_scope(params) and unit_len in SATISFACTION_UNIT_LENGTHS:
        # a whole city or county without case filters: the day and month counts of
        # case_facets_city (migration 017), the same rows
        m0, m1 = whole_months(params["start"], params["end"])
        rows = run(con, Q.CASES_FACETS_CITY, prefix=params["prefix"], start=params["start"],
                   end=params["end"], m_start=m0, m_end=m1, unit_len=unit_len)
    else:
        rows = run(con, Q.CASES_FACETS, **params, unit_len=unit_len)
    out = {}
    for facet in ("major", "source", "status", "day", "unit"):
        part = rows[rows["facet"] == facet][["key", "label", "n"]].reset_index(drop=True)
        if facet == "day":
            part = part.sort_values("key").reset_index(drop=True)
        if facet == "unit":  # no unit of its own: rows attributed to the region only
            keep = np.array([not unplaced_unit(str(k)) for k in part["key"]], dtype=bool)
            part = part[keep].reset_index(drop=True)
        out[facet] = part
    out["total"] = int(out["status"]["n"].sum())
    return out


def page(con, user: Scope, filters: Filters, now: datetime, sort: str = "reported_at",
         desc: bool = True, number: int = 0, size: int = 15) -> pd.DataFrame:
    """One page (``number`` from 0) of the filtered cases in the chosen order.

    Raises
    ------
    ValueError
        An unknown sort column, a page size not in :data:`PAGE_SIZES` or a negative page.
    """
    if sort not in SORTABLE:
        raise ValueError(f"unknown sort column {sort!r}")
    if size not in PAGE_SIZES:
        raise ValueError(f"page size must be one of {PAGE_SIZES}")
    if not isinstance(number, int) or number < 0:
        raise ValueError("page number must be 0 or more")
    return run(con, Q.CASES_PAGE, **filters.params(user, now.date()), now=now, sort=sort,
               desc=bool(desc), limit=size, offset=number * size)


def export(con, user: Scope, filters: Filters, now: datetime) -> pd.DataFrame:
    """Every filtered case, oldest first: exactly the rows the table pages through."""
    return run(con, Q.CASES_PAGE, **filters.params(user, now.date()), now=now,
               sort="reported_at", desc=False, limit=None, offset=0)


def export_chunks(con, user: Scope, filters: Filters, now: datetime,
                  rows: int) -> Iterator[pd.DataFrame]:
    """The rows of :func:`export` in frames of about ``rows`` rows, fetched one at a time
    (``queries.chunks``): a city's export at 100M is millions of cases, which held whole as
    one frame, and then as Python cells, took gigabytes of a worker."""
    return chunks(con, Q.CASES_PAGE, rows=rows, **filters.params(user, now.date()), now=now,
                  sort="reported_at", desc=False, limit=None, offset=0)


EXPORT_SLICE_ROWS = 100_000
"""About how many rows one slice of the CSV export's lines holds (whole days: a city's day
at 100M is about 94,000 cases). Each slice is sorted alone, within the server's DuckDB
memory; one sort of a city's 30 days at 100M spilled to disk."""


def export_slices(con, user: Scope, filters: Filters, now: datetime,
                  rows: int = EXPORT_SLICE_ROWS, params: dict | None = None
                  ) -> list[tuple[datetime, datetime]]:
    """The filtered period cut at day boundaries into consecutive ``[start, end)`` spans
    of about ``rows`` cases each (a day of more cases is one span alone), oldest first,
    covering the whole period: the spans' rows, one after the other, are the export's rows
    in its order (by report time, then id). ``params``: ``filters.params(user,
    now.date())`` when the caller has them already."""
    if params is None:
        params = filters.params(user, now.date())
    start, end = params["start"], params["end"]
    cuts, held = [start], 0
    for day, cases in run(con, Q.CASES_EXPORT_DAYS, form="rows", **params):
        at = datetime.combine(day, datetime.min.time())
        if held and held + cases > rows and start < at < end:
            cuts.append(at)
            held = 0
        held += cases
    return list(zip(cuts, [*cuts[1:], end], strict=True))


def export_lines(con, user: Scope, filters: Filters, now: datetime, rows: int,
                 town: bool, village: bool) -> Iterator:
    """The rows of :func:`export` as the CSV export's lines, made by DuckDB
    (``cases/export_lines``): Arrow record batches of at most ``rows`` rows with ``id``,
    ``total`` (of the batch's slice) and ``line`` (the row's CSV line, CRLF included;
    ``town`` and ``village``: whether the file has those columns,
    ``dashboard.exports.header_of``), read one slice of :func:`export_slices` after
    another."""
    params = filters.params(user, now.date())
    for start, end in export_slices(con, user, filters, now, params=params):
        yield from batches(con, Q.CASES_EXPORT_LINES, rows=rows, **(params | {
            "start": start, "end": end}), now=now, sort="reported_at", desc=False,
            limit=None, offset=0, town=town, village=village)


def case(con, user: Scope, case_id: int, notes=None) -> dict | None:
    """One case with its lifecycle stages, hand-offs and rating; None when it does not
    exist or lies outside the user's jurisdiction (the two are indistinguishable).

    ``notes`` (:class:`dashboard.field_notes.Notes` of the store) adds ``note``: the grid
    worker's words of a quick report and whether it has a photo (``text``, ``by``,
    ``photo``), or None; read only after the case was found in the jurisdiction."""
    if not isinstance(case_id, int) or case_id < 0:
        raise ValueError("case id must be a non-negative integer")
    rows = run(con, Q.CASES_DETAIL, prefix=user.prefix, id=case_id)
    if rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    row["place"] = levels.of(con).place(row["county"], row["town"], row["village"])
    stages = []
    previous = None
    for column, label in STAGES:
        at = row.get(column)
        at = None if at is None or pd.isna(at) else pd.Timestamp(at).to_pydatetime()
        hours = None
        if at is not None and previous is not None:
            hours = (at - previous).total_seconds() / 3600
        stages.append({"stage": label, "at": at, "hours": hours})
        if at is not None:
            previous = at
    history = run(con, Q.CASES_HISTORY, prefix=user.prefix, id=case_id)
    note = None
    if notes is not None:
        found = notes.read(row["case_no"])
        if found is not None:
            note = {"text": str(found.get("text") or ""), "by": str(found.get("by") or ""),
                    "photo": notes.photo(found) is not None}
    return {"case": row, "stages": stages, "note": note,
            "escalations": history[history["kind"] == "escalation"].reset_index(drop=True),
            "surveys": history[history["kind"] == "survey"].reset_index(drop=True)}


PROFILE_KPIS = ("reported", "close_rate", "ontime_rate", "deadline_share", "satisfaction_rate",
                "avg_handle_hours", "median_handle_hours", "overdue", "open_hazards")


def grid_profile(con, user: Scope, grid: str, now: datetime, cleared: bool = False,
                 ontime: str = "closed") -> dict | None:
    """A grid's profile: worker, size, 12-month trend, key-population counts and its last
    30 days' KPIs beside those of the two nearest levels above it that the store shows
    (the national levels: its village and town; a store of district, precinct and grid:
    its precinct and district; :mod:`dashboard.levels`).

    Parameters
    ----------
    grid : str
        15-digit grid code; must lie inside ``user``'s jurisdiction
        (``dashboard.access.Forbidden`` otherwise).
    cleared : bool
        Whether the user may see small counts of sensitive groups; without clearance the
        counts come from the jurisdiction's protected table ("<5", "*": see
        ``dashboard.privacy.protect``).

    Returns
    -------
    dict or None
        ``grid`` (row), ``kpis`` (DataFrame: key × grid and level names, e.g. grid/village/
        town values), ``labels`` (column → heading), ``path`` (the names of those levels,
        top down, ' · ' between), ``trend`` (month, reported), ``groups`` (category →
        count or "<5"); None for an unknown grid.
    """
    from dashboard.access import narrow
    from dashboard.kpi.engine import kpis
    from dashboard.kpi.registry import KPIS
    scope = narrow(user, grid)
    if scope.level != "grid":
        raise ValueError(f"not a grid code: {grid}")
    rows = run(con, Q.REGION_GRID_PROFILE, code=grid)
    if rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    today = now.date()
    d0 = today - timedelta(days=29)
    columns = {}
    lv = levels.of(con)
    above = list(reversed(lv.near_grid))  # nearest first
    lineage = run(con, Q.OVERVIEW_LINEAGE, short_codes=[grid[:n] for n in above])
    names = dict(zip(lineage["short_code"], lineage["name"], strict=True))
    labels = {"grid": "本网格", **{REGION_LENGTHS[n]: "所在" + lv.label(n) for n in above}}
    for label, code in (("grid", grid), *((REGION_LENGTHS[n], grid[:n]) for n in above)):
        if not code.startswith(user.prefix):
            continue  # a grid worker sees her grid only, not the village's figures
        values = kpis(con, Scope(code, user.role), d0, today, keys=list(PROFILE_KPIS),
                      ontime=ontime)
        columns[label] = values.set_index("key")["value"]
    table = pd.DataFrame(columns).reindex(list(PROFILE_KPIS))
    trend = kpis(con, scope, months_back(today, 12), today, keys=["reported"], by="month")
    splits = [k for k in KPIS if k.split]
    groups = kpis(con, scope, today, today, keys=[k.key for k in splits])
    counts = dict(zip(groups["key"], groups["value"], strict=True))
    return {
        "grid": row,
        "kpis": table,
        "labels": {c: labels[c] for c in table.columns},
        # the level of each column above the grid in English (the profile's header in an
        # English page; a store's configured level name is the city's own word)
        "levels": {REGION_LENGTHS[n]: lv.label(n, "en") for n in above},
        "path": " · ".join(names.get(grid[:n], "") for n in reversed(above)),
        "trend": trend[["period", "value"]].rename(columns={"value": "reported"}),
        "groups": ({k.split: int(counts[k.key]) for k in splits} if cleared
                   else _published_groups(con, user, grid, [k.split for k in splits])),
    }


def _published_groups(con, user: Scope, grid: str, categories) -> dict:
    """A grid's key persons per category for a user without clearance: the cells of the
    jurisdiction's protected table (``dashboard.privacy.protected_counts``)."""
    from dashboard import privacy

    table = privacy.protected_counts(con, user.prefix, privacy.listed_until(con))
    return {c: table.value(grid, c) for c in categories}


MAX_VERTICES = 5000


class TooManyGrids(ValueError):
    """A drawn shape holds more grids than a filter may name."""

    def __init__(self, n: int):
        super().__init__(f"{n} grids in the shape")
        self.n = n


def grids_in_shape(con, scope: Scope, geometry) -> list[str]:
    """Codes of the grids in ``scope`` whose label point lies inside ``geometry`` (a
    GeoJSON Polygon drawn on a map: a box or a lasso), in code order.

    Raises
    ------
    ValueError
        The geometry is not a valid GeoJSON polygon of at most :data:`MAX_VERTICES` points.
    TooManyGrids
        More grids than ``dashboard.filters.MAX_ITEMS`` are inside.
    """
    import shapely
    from shapely.geometry import shape

    from dashboard.filters import MAX_ITEMS

    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise ValueError("expected a GeoJSON Polygon")
    rings = geometry.get("coordinates")
    if (not isinstance(rings, list) or not rings
            or sum(len(r) if isinstance(r, list) else MAX_VERTICES + 1 for r in rings)
            > MAX_VERTICES):
        raise ValueError(f"a polygon of 1 to {MAX_VERTICES} points is expected")
    try:
        polygon = shapely.make_valid(shape(geometry))
    except (TypeError, ValueError, AttributeError, shapely.errors.ShapelyError):
        raise ValueError("malformed polygon coordinates") from None
    grids = run(con, Q.REGION_GRID_POINTS, prefix=scope.prefix)
    inside = shapely.contains_xy(polygon, grids["lon"].to_numpy(), grids["lat"].to_numpy())
    codes = grids["code"][inside].tolist()
    if len(codes) > MAX_ITEMS:
        raise TooManyGrids(len(codes))
    return codes


def search_regions(con, user: Scope, text: str, n: int = 30) -> pd.DataFrame:
    """Regions and grids of the user's jurisdiction whose name contains ``text``."""
    text = (text or "").strip()[:30]
    if not text:
        return pd.DataFrame(columns=["code", "name", "level", "path"])
    return run(con, Q.REGION_SEARCH, prefix=user.prefix, text=text, n=n,
               hidden=levels.of(con).hidden_levels)
