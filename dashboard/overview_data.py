"""What the command overview shows, as plain data: one function per panel.

The callbacks in ``dashboard/callbacks/overview.py`` only narrow the user's scope to the
region in view (:func:`dashboard.access.narrow`), call these functions and hand the result
to the layout's formatters. Every figure here comes from the KPI engine (summary tables)
or from one named query, so tests can compare the screen with an independent computation.

Time is the store's: naive wall-clock time in the store's zone. ``now`` is passed in,
never read here, so a test can pin it. It is the screen's *as-of moment*
(:mod:`dashboard.periods`): now on a live store, the end of an earlier day on a store shown
as of its last data day or a day a leader picked. Every panel reads the store as it stood
then: periods end at it, stocks and alerts are taken at it, nothing later is counted.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from dashboard import levels as lvmod
from dashboard import open_items as itemsmod
from dashboard import periods as asofmod
from dashboard.access import short_code
from dashboard.foresight import explain
from dashboard.foresight.run import risk_panel
from dashboard.kpi.engine import kpis, kpis_spans
from dashboard.kpi.evaluation import score_regions
from dashboard.kpi.registry import COMPANIONS, get
from dashboard.kpi.scope import REGION_LENGTHS, Scope
from dashboard.kpi.targets import light
from queries import names as Q
from queries import run

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="overview")
"""The overview's statements run side by side on it, each on its own cursor (DuckDB
releases the GIL while it plans and runs a statement). One pool per process, made once:
starting threads per request cost more than some of the statements."""


def parallel(con, jobs: dict[str, tuple]) -> dict[str, object]:
    """Run ``{name: (fn, *args)}`` as ``fn(cursor, *args)`` on :data:`_POOL`, each on a
    cursor of its own and in a copy of this context (the request's reading block, its
    result cache and time limit, holds in the pool's threads too); the results by name.
    The first error is raised once every job has ended."""
    cursors = {name: con.cursor() for name in jobs}
    try:
        futures = {name: _POOL.submit(contextvars.copy_context().run, fn, cursors[name], *args)
                   for name, (fn, *args) in jobs.items()}
        done = {}
        error = None
        for name, future in futures.items():
            try:
                done[name] = future.result()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                error = error or exc
        if error is not None:
            raise error
        return done
    finally:
        for cur in cursors.values():
            cur.close()


WINDOW_DAYS = 30
"""Days of the default period (近30天) of the map, the league and the points."""
PERIODS = asofmod.PERIODS
DEFAULT_PERIOD = asofmod.DEFAULT_PERIOD


@dataclass(frozen=True)
class Indicator:
    """A map indicator: the KPI behind it and how it reads."""

    key: str             # id used in URLs, the selector and ``hideout``
    kpi: str             # registry key of the KPI (or of the numerator for a density)
    per_10k: bool = False  # divide by residents / 10,000


INDICATORS: dict[str, Indicator] = {
    "incidents": Indicator("incidents", "reported"),
    "overdue": Indicator("overdue", "overdue"),
    "handle": Indicator("handle", "avg_handle_hours"),
    "satisfaction": Indicator("satisfaction", "satisfaction_rate"),
    "area_satisfaction": Indicator("area_satisfaction", "area_satisfaction_rate"),
    "hazards": Indicator("hazards", "open_hazards"),
    "key_persons": Indicator("key_persons", "key_persons", per_10k=True),
}
"""Map indicators in selector order. Flows (cases, handling time, satisfaction, surveyed
satisfaction: 群众满意度测评 answers about the unit or an area inside it) cover the period
ending on the as-of day (default the last :data:`WINDOW_DAYS` days); stocks (overdue, open
hazards, key persons) are counted at the end of that day."""

THEMES: dict[str, str] = {
    "incidents": "incidents",
    "hazards": "hazards",
    "key_persons": "key_persons",
    "response": "handle",
    "satisfaction": "satisfaction",
}
"""Kiosk themes in rotation order, each shown with its map indicator."""

CARD_KEYS: tuple[str, ...] = (
    "today", "reported", "close_rate", "ontime_rate", "satisfaction_rate",
    "avg_handle_hours", "open_hazards", "key_persons",
)
"""The KPI cards, in screen order. ``today`` is 上报数 of the as-of day; the others cover
the period ending on it (:func:`dashboard.periods.spans`), compared with the previous equal
stretch (环比) and the same dates a year earlier (同比)."""

TREND_KEYS: tuple[str, ...] = ("reported", "avg_handle_hours", "satisfaction_rate")


@dataclass(frozen=True)
class View:
    """The region in view and where it sits.

    Attributes
    ----------
    scope : Scope
        The user's scope narrowed to the region in view (what panels read).
    region : dict
        ``code`` (12 digits, or 15 for a grid), ``short_code``, ``level``, ``name``,
        ``population``.
    crumbs : list of dict
        The region's ancestors from the top of the user's jurisdiction, then the region
        itself (``code``, ``short_code``, ``level``, ``name``); pass-through regions of
        the store's unused slots (:mod:`dashboard.levels`) are left out.
    map_scope : Scope
        Whose children the map draws: the region itself, or its village for a grid.
    map_parent : str
        12-digit code of that region (the geometry URL is ``/geo/<map_parent>.geojson``).
    child_level : str
        Level of the polygons drawn: the next level the store shows below the region
        (a precinct's grids where the slot between is a pass-through).
    selected : str or None
        The grid in view when the region is a grid (highlighted among its village's grids).
    bounds : list
        ``[[south, west], [north, east]]`` of the region in view.
    levels : dashboard.levels.Levels
        The store's levels: names to show, slots to skip.
    """

    scope: Scope
    region: dict
    crumbs: list[dict]
    map_scope: Scope
    map_parent: str
    child_level: str
    selected: str | None
    bounds: list = field(default_factory=list)
    levels: lvmod.Levels = lvmod.NATIONAL


def recent_days(now: datetime, days: int = WINDOW_DAYS) -> tuple[date, date]:
    """The last ``days`` calendar days up to and including the day of ``now``."""
    today = now.date()
    return today - timedelta(days=days - 1), today


def period_days(now: datetime, period: str = DEFAULT_PERIOD) -> tuple[date, date]:
    """The period ``period`` ending on the day of ``now``, as inclusive dates."""
    return asofmod.window(now.date(), period)


def bounds_of(geometry) -> list:
    """``[[south, west], [north, east]]`` of a WKB outline (for a map's viewport)."""
    minx, miny, maxx, maxy = shapely.bounds(shapely.from_wkb(bytes(geometry))).tolist()
    return [[miny, minx], [maxy, maxx]]


def view(con, user: Scope, code: str | None) -> View:
    """Resolve the region ``code`` (12-digit, short or grid code, or a source code of a
    store built from a city's boundaries: :func:`dashboard.levels.resolve`; empty = the
    user's own region) inside the user's jurisdiction.

    Raises
    ------
    dashboard.access.Forbidden
        ``code`` lies outside ``user``'s scope.
    ValueError
        ``code`` is malformed or names no region of the store.
    """
    scope = lvmod.narrow(con, user, code)
    lv = lvmod.of(con)
    if lv.is_hidden(len(scope.prefix)):
        # a link to a pass-through region shows the region it stands in for
        up = short_code(lv.shown(scope.prefix))
        if up.startswith(user.prefix):
            scope = Scope(up, user.role)
    short = scope.prefix
    grid = None
    if len(short) == 15:
        rows = run(con, Q.OVERVIEW_GRID, code=short)
        if rows.empty:
            raise ValueError(f"unknown grid {short}")
        grid = rows.iloc[0].to_dict()
        short = grid["village_code"][:12]
    prefixes = [short[:n] for n in REGION_LENGTHS if n <= len(short) and n < 15]
    lineage = run(con, Q.OVERVIEW_LINEAGE, short_codes=prefixes)
    if len(lineage) != len(prefixes):
        raise ValueError(f"unknown region {scope.prefix}")
    rows = lineage.to_dict("records")
    if grid is not None:
        rows.append(grid)
    top = len(user.prefix)
    crumbs = [
        {k: r[k] for k in ("code", "short_code", "level", "name")}
        for i, r in enumerate(rows) if len(r["short_code"]) >= top
        and (i == len(rows) - 1 or not lv.is_hidden(len(r["short_code"])))
    ]
    region = {k: rows[-1][k] for k in ("code", "short_code", "level", "name", "population")}
    region["population"] = int(region["population"])
    village = lineage.iloc[-1]
    if grid is None:
        map_scope, map_parent = scope, rows[-1]["code"]
    elif village["short_code"].startswith(user.prefix):
        map_scope, map_parent = Scope(village["short_code"], user.role), village["code"]
    else:
        # A grid worker sees the village's outline layer, but figures of her grid only.
        map_scope, map_parent = scope, village["code"]
    return View(
        scope=scope, region=region, crumbs=crumbs, map_scope=map_scope,
        map_parent=map_parent, child_level=lv.child_level(scope.level),
        selected=grid["code"] if grid is not None else None,
        bounds=bounds_of(rows[-1]["geometry"]), levels=lv,
    )


def _wide(frame: pd.DataFrame, index: str | None = None) -> pd.DataFrame:
    """Long engine output to one column per KPI."""
    if index is None:
        return frame.set_index("key")["value"].to_frame().T
    return frame.pivot(index=index, columns="key", values="value")


def units(con, v: View) -> pd.DataFrame:
    """The units the map draws that lie inside the map's scope (below pass-through
    regions, their children: see :func:`dashboard.levels.descend`)."""
    kids = run(con, Q.OVERVIEW_CHILDREN, parent=lvmod.descend(con, v.levels, v.map_parent))
    return kids[kids["short_code"].str.startswith(v.map_scope.prefix)].reset_index(drop=True)


def children(con, v: View, now: datetime, ontime: str = "closed",
             period: str = DEFAULT_PERIOD, kids: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every map indicator for each unit the map draws.

    Returns
    -------
    pandas.DataFrame
        One row per child of ``v.map_parent`` in code order: ``code``, ``short_code``,
        ``name``, ``population`` and one column per :data:`INDICATORS` key. Flows cover
        the period ending on the day of ``now`` (:func:`period_days`); stocks are taken
        at the end of that day. A child without any
        summary row gets 0 for counts and NaN for rates and means. At most
        :data:`dashboard.levels.MAX_POLYGONS` rows (the first in code order, as the
        geometry route serves them); ``attrs["total"]`` is the number of units the level
        has. ``kids``: the units (:func:`units`) when the caller has them.
    """
    kids = units(con, v) if kids is None else kids
    total = len(kids)
    kids = kids.head(lvmod.MAX_POLYGONS)
    d0, d1 = period_days(now, period)
    keys = sorted({ind.kpi for ind in INDICATORS.values()})
    values = _wide(kpis(con, v.map_scope, d0, d1, keys=keys, level=v.child_level,
                        ontime=ontime), "region")
    values = values.reindex(index=kids["short_code"], columns=keys)  # none: a new store
    out = kids[["code", "short_code", "name", "population"]].reset_index(drop=True)
    for ind in INDICATORS.values():
        col = values[ind.kpi].to_numpy(dtype=float)
        if get(ind.kpi).kind in ("count", "stock"):
            col = np.nan_to_num(col, nan=0.0)
        if ind.per_10k:
            pop = out["population"].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                col = np.where(pop > 0, col / pop * 10_000, np.nan)
        out[ind.key] = col
    out.attrs["total"] = total
    return out


def cards(con, scope: Scope, now: datetime, ontime: str = "closed",
          period: str = DEFAULT_PERIOD) -> list[dict]:
    """The KPI cards of a region: value over the period ending on the day of ``now``,
    环比 and 同比 bases, traffic light.

    Returns
    -------
    list of dict
        In :data:`CARD_KEYS` order: ``key`` (card key), ``kpi`` (registry key), ``value``,
        ``mom`` and ``yoy`` (base values, None for ``today``, ``mom`` None for 本年, whose
        previous stretch is the 同比 base), ``bases`` (the base names shown), ``light``
        (green / yellow / red or None), ``better``, and ``companion``: the KPI shown beside
        it (:data:`dashboard.kpi.registry.COMPANIONS`: the median beside a mean duration,
        the share with a time limit beside 按期结案率) as ``{"kpi", "value"}``, or None.
    """
    return card_values(card_read(con, scope, now, ontime, period), now, period)


def card_spans(scope: Scope, now: datetime, ontime: str = "closed",
               period: str = DEFAULT_PERIOD, trend: bool = False) -> dict[str, tuple]:
    """The periods behind :func:`cards` as :func:`dashboard.kpi.engine.kpis_spans` takes
    them, named ``card:<span>`` (current, 环比, 同比, the as-of day); with ``trend`` also
    ``trends``, the 12 months of :func:`trends`."""
    today = now.date()
    periods = {k: v for k, v in asofmod.spans(today, period).items() if v is not None}
    keys = [k for k in CARD_KEYS if k != "today"]
    out = {f"card:{name}": (*span, keys, None) for name, span in periods.items()}
    out["card:current"] = (*periods["current"],
                           keys + [COMPANIONS[k] for k in keys if k in COMPANIONS], None)
    out["card:today"] = (today, today, ["reported"], None)
    if trend:
        out["trends"] = (asofmod.months_back(today, 12), today, list(TREND_KEYS), "month")
    return out


def card_read(con, scope: Scope, now: datetime, ontime: str = "closed",
              period: str = DEFAULT_PERIOD, trend: bool = False) -> dict[str, object]:
    """The values behind :func:`cards` (and with ``trend`` :func:`trends`) from one read of
    the summaries over all their periods (:func:`dashboard.kpi.engine.kpis_spans`: the
    cards and the trend were five engine calls, each planning and reading on its own):
    ``card:<span>`` → the values by KPI key (a dict), ``trends`` → the trend frame."""
    got = kpis_spans(con, scope, card_spans(scope, now, ontime, period, trend), ontime)
    out: dict[str, object] = {
        name: dict(zip(frame["key"].tolist(), frame["value"].tolist(), strict=True))
        for name, frame in got.items() if name.startswith("card:")}
    if trend:
        out["trends"] = _trend_frame(got["trends"])
    return out


def card_values(results: dict, now: datetime, period: str = DEFAULT_PERIOD) -> list[dict]:
    """The cards from the results of :func:`card_read` (other results are ignored)."""
    got = {name[5:]: value for name, value in results.items() if name.startswith("card:")}
    keys = [k for k in CARD_KEYS if k != "today"]
    today_value = float(got["today"]["reported"])
    bases = tuple(b for b in ("mom", "yoy") if b in got)
    out = [{"key": "today", "kpi": "reported", "value": today_value, "mom": None,
            "yoy": None, "bases": (), "light": None, "better": "higher", "companion": None}]
    for key in keys:
        value = float(got["current"][key])
        out.append({
            "key": key, "kpi": key, "value": value,
            "mom": float(got["mom"][key]) if "mom" in got else None,
            "yoy": float(got["yoy"][key]), "bases": bases,
            "light": light(key, value), "better": get(key).better,
            "companion": ({"kpi": COMPANIONS[key],
                           "value": float(got["current"][COMPANIONS[key]])}
                          if key in COMPANIONS else None),
        })
    return out


def panel_data(con, scope: Scope, user: Scope, now: datetime, ontime: str = "closed",
               period: str = DEFAULT_PERIOD, risk_threshold: float = 0.5,
               surge_critical_q: float | None = None) -> dict:
    """Everything the panels callback shows, its statements run side by side
    (:func:`parallel`): ``cards``, ``trends``, ``alerts`` (counts, items), ``feed`` and
    ``critical`` (of the user's whole jurisdiction ``user``), each as its own function
    returns it. On a live screen (``open_items`` answers ``now``) the three case panels are
    one statement (:func:`panel_items`); before that moment, whether the case tables cover
    it is asked once for all three. The cards and the trend are one job (:func:`card_read`:
    one read of the summaries for all their periods), the strongest surge alert of the
    jurisdiction another."""
    from dashboard.foresight.surge import surge_alerts

    jobs = {"cards": (card_read, scope, now, ontime, period, True)}
    live = itemsmod.covers(con, now)
    if live:
        # the surge alerts beside the one statement, not after it; the jurisdiction's
        # strongest is the first of the region's when the region is the jurisdiction
        jobs["items"] = (panel_items, scope, user, now, ALERT_ITEMS, FEED_ITEMS,
                         risk_threshold, False)
        jobs["surges"] = (surge_alerts, scope, now, ALERT_ITEMS)
    if not live or user.prefix != scope.prefix:
        jobs["surge_user"] = (surge_alerts, user, now, 1)
    if not live:
        cover = run(con, Q.OVERVIEW_COVER, now=now, since=now - FEED_DAYS).iloc[0]
        cover_now, cover_feed = bool(cover["alerts"]), bool(cover["feed"])
        jobs["alerts"] = (alerts, scope, now, ALERT_ITEMS, cover_now, risk_threshold,
                          surge_critical_q)
        jobs["feed"] = (feed, scope, now, FEED_ITEMS, cover_feed)
        jobs["critical"] = (critical, user, now, cover_now)
    got = parallel(con, jobs)
    if "items" in got:
        got.update(got["items"])
        got["alerts"] = with_surges(con, scope, now, got["alerts"], ALERT_ITEMS,
                                    surges=got["surges"], critical_q=surge_critical_q)
    got.update(got.pop("cards"))
    crit = newest_critical(got["critical"], surge_critical(
        con, user, now, surge_critical_q,
        rows=got["surge_user"] if "surge_user" in got else got["surges"]))
    return {"cards": card_values(got, now, period), "trends": got["trends"],
            "alerts": got["alerts"], "feed": got["feed"], "critical": crit}


SURGE_CRITICAL_Q = 0.001
"""The default (the setting ``surge_critical_q``): a stored surge alert with a q-value at
or below it is a critical alert, a kiosk jumps to its region (docs/foresight.md, 异常预警)."""


def with_surges(con, scope: Scope, now: datetime,
                alerts: tuple[dict[str, int], pd.DataFrame], n: int = 6,
                surges: pd.DataFrame | None = None,
                critical_q: float | None = None) -> tuple[dict[str, int], pd.DataFrame]:
    """The alerts (counts, items) with the stored surge alerts of ``scope``: their count
    as the counter ``surge`` (all of them, as the other counters count all items of their
    kind) and at most ``n`` of them as items of kind ``surge``, critical where their q-value
    is at or below ``critical_q`` (the setting ``surge_critical_q``; default
    :data:`SURGE_CRITICAL_Q`, the same test as the kiosk jump, :func:`surge_critical`).
    ``surges``: those alerts (:func:`dashboard.foresight.surge.surge_alerts` of ``scope``,
    ``n``) when the caller has read them."""
    from dashboard.foresight.surge import surge_alerts

    counts, items = alerts
    if surges is None:
        surges = surge_alerts(con, scope, now, n)
    counts = {**counts, "surge": 0 if surges.empty else int(surges["total"].iloc[0])}
    if surges.empty:
        return counts, items
    limit = SURGE_CRITICAL_Q if critical_q is None else critical_q
    surges = surges.assign(critical=surges["q_value"].astype(float) <= limit)
    surges = _cast(surges[_ITEM_COLUMNS], _ITEM_TYPES)
    return counts, (surges if items.empty
                    else pd.concat([items, surges], ignore_index=True))


def surge_critical(con, user: Scope, now: datetime, critical_q: float | None = None,
                   rows: pd.DataFrame | None = None) -> dict | None:
    """The strongest stored surge alert of the user's jurisdiction with q ≤ ``critical_q``
    (the setting ``surge_critical_q``; default :data:`SURGE_CRITICAL_Q`), as a critical
    alert (the kiosk jump), or None. ``rows``: the jurisdiction's surge alerts, strongest
    first, when the caller has read them."""
    from dashboard.foresight.surge import surge_alerts

    if rows is None:
        rows = surge_alerts(con, user, now, 1)
    limit = SURGE_CRITICAL_Q if critical_q is None else critical_q
    if rows.empty or float(rows.at[0, "q_value"]) > limit:
        return None
    row = rows.iloc[0]
    # ``at`` is the start of the day tested (not the run, which every batch repeats): a
    # hazard found later that day is the newer critical alert
    return {"key": f"surge:{row['ref']}:{pd.Timestamp(row['at']).date()}", "kind": "surge",
            "at": pd.Timestamp(row["at"]).isoformat(), "title": row["title"],
            "place": row["village"], "village_code": lvmod.of(con).shown(row["village_code"]),
            "parts": row.get("parts")}


def newest_critical(a: dict | None, b: dict | None) -> dict | None:
    """The newer of two critical alerts (by ``at``)."""
    if a is None or b is None:
        return a or b
    return b if pd.Timestamp(b["at"]) > pd.Timestamp(a["at"]) else a


ALERT_ITEMS = 6
"""Alert items per kind the panels read."""

ALERT_COUNTERS = ("overdue", "due_soon", "major_hazard", "iot", "surge")
"""The alert kinds with a counter tile (the at-risk cases have their pane's count)."""

_KIND_ORDER = {"major_hazard": 0, "surge": 1, "iot": 2, "overdue": 3, "due_soon": 4,
               "at_risk": 5}


def severity(row: Mapping) -> int:
    """An alert item's tier on the overview's list, 0 the most severe: 0 a critical item
    (a major hazard, a sensor alert of level 严重, a surge alert with q ≤
    ``surge_critical_q``), 1 an overdue case, 2 a due-soon case, 3 the rest (a surge or
    sensor alert not critical, an at-risk case; an unknown kind)."""
    if bool(row["critical"]):
        return 0
    return {"overdue": 1, "due_soon": 2}.get(row["kind"], 3)


def order_alerts(rows: list[dict]) -> list[dict]:
    """The alert items (records, each kind in its own order: most overdue, newest, strongest
    first) in the list's order, the one place it is decided: by :func:`severity`; within a
    tier the kinds take turns (the first of each, then the second of each …, kinds in the
    order major hazard, surge, sensor alert, at-risk case), so six major hazards do not hide
    the strongest critical surge either."""
    seen: dict[tuple[str, int], int] = {}
    keyed = []
    for row in rows:
        tier = severity(row)
        place = seen.get((row["kind"], tier), 0)
        seen[(row["kind"], tier)] = place + 1
        keyed.append(((tier, place, _KIND_ORDER.get(row["kind"], len(_KIND_ORDER))), row))
    return [row for _, row in sorted(keyed, key=lambda k: k[0])]


FEED_ITEMS = 8
"""Rows of the live feed."""

_LEVEL = {n: i for i, n in enumerate(sorted(REGION_LENGTHS), start=1)}
"""A scope's level as its position in open_items' per-level lists (1 city … 5 grid)."""

# the columns of alerts.sql and feed.sql, with the types of those the union makes nullable
_ITEM_COLUMNS = ["kind", "total", "id", "ref", "at", "title", "grid_code", "village",
                 "village_code", "lon", "lat", "critical", "parts"]
_ITEM_TYPES = {"total": "int64", "id": "int64", "critical": "bool"}
_FEED_COLUMNS = ["id", "case_no", "reported_at", "status", "is_void", "source", "category",
                 "major", "grid_code", "grid", "village", "town", "county", "category_en",
                 "source_en"]
_FEED_SOURCE = ["id", "ref", "at", "status", "is_void", "source", "title", "major",
                "grid_code", "grid", "village", "town", "county", "title_en",
                "source_en"]  # their union columns
_FEED_TYPES = {"id": "int64", "is_void": "bool"}


def _worded_risk(risk: pd.DataFrame) -> pd.DataFrame:
    """At-risk alert items as the queries give them (``title`` the 小类, ``minor_en``,
    ``probability``) with their ``parts`` (JSON: what :func:`dashboard.foresight.explain.
    item_title` words per language) and the Chinese title (小类 超期概率 83%)."""
    risk = risk.copy()
    minors, probs = risk["title"].tolist(), risk["probability"].tolist()
    en = [None if v is None or v != v else v for v in risk["minor_en"].tolist()]
    risk["parts"] = [json.dumps({"minor": m, "minor_en": e, "p": float(p)}, ensure_ascii=False)
                     for m, e, p in zip(minors, en, probs, strict=True)]
    risk["title"] = [explain.risk_title(m, p, "zh") for m, p in zip(minors, probs, strict=True)]
    return risk


def _cast(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """``frame.astype(types)`` for a frame of its own (a selection): only the named
    columns are cast (``astype`` with a dict copies every column, most of the Python time
    of splitting the panels' rows)."""
    for col, kind in types.items():
        if frame[col].dtype != kind:
            frame[col] = frame[col].astype(kind)
    return frame


def panel_items(con, scope: Scope, user: Scope, now: datetime, n: int = ALERT_ITEMS,
                feed_n: int = FEED_ITEMS, risk_threshold: float = 0.5,
                surges: bool = True, surge_critical_q: float | None = None) -> dict:
    """The alerts (with the at-risk items), the feed and the critical alert of a live
    screen in one statement over ``open_items`` (``queries/overview/panel_items.sql``;
    the caller has checked :func:`dashboard.open_items.covers` for ``now``).

    Returns
    -------
    dict
        ``alerts`` (counts, items) as :func:`alerts` returns them (``n`` per kind),
        ``feed`` as :func:`feed` (``feed_n`` rows), ``critical`` as :func:`critical` for
        ``user``'s jurisdiction: the same values the raw-table queries give (tested).
        Without ``surges`` the alert items and counts leave out the stored surge alerts
        (:func:`with_surges` adds them, critical by ``surge_critical_q``).

    Raises
    ------
    ValueError
        ``feed_n`` over the feed ranks the table keeps (``open_items.FEED_RANKS``).
    """
    if int(feed_n) > itemsmod.FEED_RANKS:
        raise ValueError(f"feed_n: at most {itemsmod.FEED_RANKS} feed rows, got {feed_n}")
    rows = run(con, Q.OVERVIEW_PANEL_ITEMS, prefix=scope.prefix, user=user.prefix,
               slots={"level": _LEVEL[len(scope.prefix)],
                      "user_level": _LEVEL[len(user.prefix)]}, now=now, since=now - FEED_DAYS,
               n=int(n), feed_n=int(feed_n), threshold=float(risk_threshold))
    # a few dozen rows: split them with positions, one take per panel (pandas operations
    # on the whole union cost more than the statement at a small scope)
    part = rows["part"].to_numpy()
    cols = {c: i for i, c in enumerate(rows.columns)}
    listed = np.flatnonzero(part == 0)
    kinds, totals = rows["kind"].to_numpy(), rows["total"].to_numpy()
    counts = {kind: 0 for kind in ALERT_COUNTERS if kind != "surge"}
    for i in listed:
        counts[kinds[i]] = int(totals[i])
    risk = np.flatnonzero(part == 1)
    items = rows.iloc[listed, [cols[c] for c in _ITEM_COLUMNS if c != "parts"]
                      + [cols["title_en"]]]
    items = _cast(items, _ITEM_TYPES).reset_index(drop=True)
    items["parts"] = None  # worded per language: the at-risk and surge items only
    if len(risk):  # as alerts() joins them
        at_risk = _worded_risk(rows.iloc[risk])
        if at_risk["unplaced"].astype(bool).any():
            at_risk = _place_risk(con, at_risk)
        items = pd.concat([items, _cast(at_risk[_ITEM_COLUMNS], _ITEM_TYPES)],
                          ignore_index=True)
    if surges:  # (panel_data reads them beside this statement and adds them itself)
        counts, items = with_surges(con, scope, now, (counts, items), n,
                                    critical_q=surge_critical_q)
    lv = lvmod.of(con)
    fed = rows.iloc[np.flatnonzero(part == 3), [cols[c] for c in _FEED_SOURCE]]
    fed.columns = _FEED_COLUMNS
    fed = _cast(fed, _FEED_TYPES).reset_index(drop=True)
    fed["place"] = [lv.place(c, t, v) for c, t, v in
                    zip(fed["county"], fed["town"], fed["village"], strict=True)]
    crit = np.flatnonzero(part == 2)
    critical = None
    if len(crit):
        row = rows.iloc[crit[0]]
        critical = _critical(lv, row)
    return {"alerts": (counts, items), "feed": fed, "critical": critical}


def _place_risk(con, risk: pd.DataFrame) -> pd.DataFrame:
    """At-risk rows whose case is not in ``open_items`` take their point from
    ``incidents`` (as ``foresight/risk_alerts.sql`` does)."""
    missing = risk.loc[risk["unplaced"].astype(bool), "id"].astype("int64").tolist()
    points = run(con, Q.OVERVIEW_CASE_POINTS, ids=missing).set_index("id")
    risk = risk.copy()
    gone = risk["unplaced"].astype(bool).to_numpy()
    for col in ("lon", "lat"):
        risk.loc[gone, col] = [points[col].get(i, np.nan) for i in risk.loc[gone, "id"]]
    return risk


def trends(con, scope: Scope, now: datetime, ontime: str = "closed") -> pd.DataFrame:
    """Twelve months of cases reported, mean handling time and satisfaction.

    Returns
    -------
    pandas.DataFrame
        One row per month (the month of ``now`` to that day last): ``period`` (first
        day) and one column per :data:`TREND_KEYS`.
    """
    today = now.date()
    first = asofmod.months_back(today, 12)
    frame = kpis(con, scope, first, today, keys=list(TREND_KEYS), by="month", ontime=ontime)
    return _trend_frame(frame)


def _trend_frame(frame: pd.DataFrame) -> pd.DataFrame:
    wide = _wide(frame, "period").reset_index()
    return wide[["period", *TREND_KEYS]]


def case_tables_cover(con, at: datetime) -> dict[str, bool]:
    """Whether the overview's case tables answer the moment ``at``: ``alerts``
    (``open_cases``, ``open_hazards`` and ``open_alerts``, for the alerts and the critical
    alert at ``at``) and ``feed`` (``recent_cases``, for reports
    from ``at`` on). The alert and feed queries take the answer as their ``$tables``
    parameter: a bound constant lets DuckDB drop the branch over raw incidents when it plans
    them, which a condition computed inside the query did not (queries/cases/window_at.sql).
    """
    row = run(con, Q.CASES_WINDOW_AT, at=at).iloc[0]
    return {"alerts": bool(row["alerts"]), "feed": bool(row["feed"])}


FEED_DAYS = timedelta(days=7)
"""How far back the live feed looks."""


def feed(con, scope: Scope, now: datetime, n: int = FEED_ITEMS,
         tables: bool | None = None) -> pd.DataFrame:
    """The ``n`` newest cases reported in the scope in the seven days up to ``now`` (no
    personal data; status as it stood at ``now``), with ``place``: the names of the
    regions above its grid (:meth:`Levels.place`), and ``category_en`` and ``source_en``:
    the store's English names of its 小类 and source (None where it has none;
    ``queries/overview/feed_names.sql``: both feed paths word them alike). A live screen
    reads ``open_items`` (:func:`panel_items`); ``tables``: the ``feed`` answer of
    :func:`case_tables_cover` for ``now`` minus :data:`FEED_DAYS`, when the caller has it
    (then the case tables or the raw tables are read, whatever the moment)."""
    if tables is None and itemsmod.covers(con, now):
        return panel_items(con, scope, scope, now, ALERT_ITEMS, n)["feed"]
    since = now - FEED_DAYS
    if tables is None:
        tables = case_tables_cover(con, since)["feed"]
    rows = run(con, Q.OVERVIEW_FEED, prefix=scope.prefix, since=since, now=now, n=n,
               tables=tables)
    lv = lvmod.of(con)
    rows["place"] = [lv.place(c, t, v) for c, t, v in
                     zip(rows["county"], rows["town"], rows["village"], strict=True)]
    return rows


def alerts(con, scope: Scope, now: datetime, n: int = ALERT_ITEMS,
           tables: bool | None = None, risk_threshold: float = 0.5,
           surge_critical_q: float | None = None) -> tuple[dict[str, int], pd.DataFrame]:
    """Counts per alert kind and the most urgent ``n`` items of each, as they stood at
    ``now`` (see the query: a case closed after ``now`` was open then); the items also
    hold the stored at-risk cases (kind ``at_risk``: probability ≥ ``risk_threshold``,
    docs/foresight.md; no counter) and the stored surge alerts (kind ``surge``, counter
    ``surge``; critical where q ≤ ``surge_critical_q``, :func:`with_surges`). The list's
    order is :func:`order_alerts`. A live screen reads ``open_items``
    (:func:`panel_items`); ``tables`` (the ``alerts`` answer of :func:`case_tables_cover`)
    reads the case tables or the raw tables, whatever the moment.

    Returns
    -------
    (dict, pandas.DataFrame)
        ``{'overdue', 'due_soon', 'major_hazard', 'iot', 'surge'}`` → count, and the items.
    """
    if tables is None and itemsmod.covers(con, now):
        return panel_items(con, scope, scope, now, n, FEED_ITEMS, risk_threshold,
                           surge_critical_q=surge_critical_q)["alerts"]
    if tables is None:  # the alerts answer of case_tables_cover(now)
        tables = case_tables_cover(con, now)["alerts"]
    items = run(con, Q.OVERVIEW_ALERTS, prefix=scope.prefix, now=now, n=n, tables=tables)
    items["parts"] = None
    counts = {kind: 0 for kind in ALERT_COUNTERS if kind != "surge"}
    counts.update(items.groupby("kind")["total"].first().astype(int).to_dict())
    # the stored at-risk cases join the list (not the four counters; docs/foresight.md)
    risk = run(con, Q.FORESIGHT_RISK_ALERTS, prefix=scope.prefix, now=now, n=n,
               threshold=risk_threshold)
    if not risk.empty:
        items = pd.concat([items, _worded_risk(risk)[_ITEM_COLUMNS]], ignore_index=True)
    # the stored surge alerts (异常预警) too
    return with_surges(con, scope, now, (counts, items), n, critical_q=surge_critical_q)


def league(con, v: View, now: datetime, ontime: str = "closed",
           period: str = DEFAULT_PERIOD, kids: pd.DataFrame | None = None) -> pd.DataFrame:
    """The map's units ranked by composite grade over the period ending on the day of
    ``now``.

    Returns
    -------
    pandas.DataFrame
        :func:`~dashboard.kpi.evaluation.score_regions` output with ``code`` and ``name``
        added, ranked units first; units below the minimum volume keep their grade but no
        rank. ``kids``: the map's units (:func:`units`) when the caller has them.
    """
    d0, d1 = period_days(now, period)
    scored = score_regions(con, v.map_scope, d0, d1, level=v.child_level, ontime=ontime)
    attrs, scored.attrs = scored.attrs, {}  # pandas deep-copies attrs on every step below
    if kids is None:
        kids = units(con, v)
    code = dict(zip(kids["short_code"], kids["code"], strict=True))
    name = dict(zip(kids["short_code"], kids["name"], strict=True))
    regions = scored["region"].to_numpy()
    keep = np.fromiter((r in code for r in regions), dtype=bool, count=len(regions))
    scored = scored[keep].reset_index(drop=True)
    scored["code"] = [code[r] for r in regions[keep]]
    scored["name"] = [name[r] for r in regions[keep]]
    scored.attrs = attrs
    return scored


def critical(con, scope: Scope, now: datetime, tables: bool | None = None) -> dict | None:
    """The newest critical alert in the scope (see ``queries/overview/critical.sql``; a
    live screen reads ``open_items``, :func:`panel_items`; ``tables`` as for :func:`alerts`).

    Returns
    -------
    dict or None
        ``key`` (``kind:id``, what a screen remembers as seen), ``kind``, ``at`` (ISO
        text), ``title``, ``place`` (village name) and ``village_code`` (where the screen
        jumps: the village, or the region shown in place of a pass-through one).
    """
    if tables is None and itemsmod.covers(con, now):
        return panel_items(con, scope, scope, now)["critical"]
    if tables is None:  # the alerts answer of case_tables_cover(now)
        tables = case_tables_cover(con, now)["alerts"]
    rows = run(con, Q.OVERVIEW_CRITICAL, prefix=scope.prefix, now=now, tables=tables)
    return None if rows.empty else _critical(lvmod.of(con), rows.iloc[0])


def _critical(lv: lvmod.Levels, row) -> dict:
    return {"key": f"{row['kind']}:{int(row['id'])}", "kind": row["kind"],
            "at": pd.Timestamp(row["at"]).isoformat(), "title": row["title"],
            "place": row["village"], "village_code": lv.shown(row["village_code"])}


def latest(con, now: datetime) -> datetime | None:
    """Time of the newest record in the store (not after ``now``), or None when empty."""
    value = run(con, Q.OVERVIEW_LATEST, now=now)["latest"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def as_of(con, now: datetime, requested: date | None = None,
          stale_days: float = 3) -> asofmod.AsOf:
    """The as-of moment of a screen on this store (:func:`dashboard.periods.resolve`):
    ``now`` (the store's clock), unless a day is requested or the newest record is older
    than ``stale_days`` (then the end of its day)."""
    return asofmod.resolve(now, latest(con, now), requested, stale_days)


def at_risk(con, scope: Scope, threshold: float, n: int) -> dict:
    """The overview's 即将超期风险 pane: 风险案件数 of ``scope`` (the region in view, already
    checked against the jurisdiction) and its ``n`` most likely cases, as stored by the last
    scoring run (``foresight_scores``; ``foresight.run.risk_panel``, as on the 时效 page)."""
    return risk_panel(con, scope, threshold, n)
