"""我的网格: what a grid worker's page shows, as plain data (docs/mygrid.md).

Everything here takes the worker's :class:`~dashboard.kpi.scope.Scope` objects, built by
the caller from the session (``dashboard.mygrid.worker_scopes``), never from request data:

- :func:`tasks`: today's work in the worker's grids: the key-person visits due or overdue
  (masked by :func:`dashboard.privacy.masked`, as every person list is), the open cases
  with their deadline and light (the 80 % / 100 % rule of ``overview/alerts.sql``), the
  hazards awaiting re-inspection and the unhandled sensor alerts;
- :func:`figures`: the grid's own month-to-date figures from the KPI engine next to the
  village's average per grid (an aggregate of the village, never another grid's figure:
  no ranking of individuals);
- :func:`outlines`: the grids' outlines as small SVG paths (the quick-report map has no
  tiles) and :func:`locate`, the server-side check that a reported point lies in one of
  the worker's grids;
- :func:`report_record`: the incident record a quick report becomes, which goes through
  the intake's validation and quarantine (``dashboard.ingest.intake``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from dashboard import privacy
from dashboard.kpi import engine
from dashboard.kpi.registry import get as kpi_get
from dashboard.kpi.scope import Scope
from queries import names as Q
from queries import run

LIST_LIMIT = 30  # items per task list sent to the phone (the totals count them all)
FIGURES = ("reported", "close_rate", "ontime_rate", "overdue")
REPORT_SOURCE = "网格员巡查"  # incident_source of a quick report (taxonomy)
MAX_TEXT = 500
SVG_SIZE = 1000.0  # the outline's viewBox is 0..SVG_SIZE on its longer side


def _iso(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).isoformat(sep=" ", timespec="minutes")


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


def tasks(con, scopes: list[Scope], now: datetime, limit: int = LIST_LIMIT,
          audit=None) -> dict:
    """Today's tasks in the areas ``scopes`` at the moment ``now`` (the store's wall time).

    Returns a dict of four lists (``visits``, ``cases``, ``hazards``, ``alerts``, each at
    most ``limit`` items, most urgent first) and their totals (``totals``: the whole
    count of each, and of the cases per light). Person rows are masked; ``audit(action,
    what, ids)``, when given, is called with the person ids before anything is returned.
    """
    today = now.date()
    today_end = datetime.combine(today + timedelta(days=1), datetime.min.time())
    parts = {"visits": [], "cases": [], "hazards": [], "alerts": []}
    for scope in scopes:
        parts["visits"].append(run(con, Q.MYGRID_VISITS, prefix=scope.prefix, now=now,
                                   today=today))
        parts["cases"].append(run(con, Q.MYGRID_CASES, prefix=scope.prefix, now=now))
        parts["hazards"].append(run(con, Q.MYGRID_HAZARDS, prefix=scope.prefix, now=now,
                                    today_end=today_end))
        parts["alerts"].append(run(con, Q.MYGRID_ALERTS, prefix=scope.prefix, now=now))
    frames = {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame() for k, v in
              parts.items()}
    visits, cases = frames["visits"], frames["cases"]
    if len(scopes) > 1:  # each area's list is in order; the union is ordered again
        if not cases.empty:
            order = cases["light"].map({"red": 0, "yellow": 1, "green": 2}).fillna(3)
            cases = cases.assign(_o=order).sort_values(
                ["_o", "deadline_at", "reported_at", "id"], na_position="last",
                kind="stable").drop(columns="_o")
        if not visits.empty:
            visits = visits.sort_values(["state", "due_date", "person_id"],
                                        ascending=[False, True, True], kind="stable")
        for key, cols, asc in (("hazards", ["deadline_at", "id"], True),
                               ("alerts", ["alerted_at", "id"], False)):
            if not frames[key].empty:
                frames[key] = frames[key].sort_values(cols, ascending=asc, kind="stable")
    lights = cases["light"].value_counts() if not cases.empty else pd.Series(dtype=int)
    totals = {
        "visits": len(visits),
        "visits_overdue": int((visits["state"] == "overdue").sum()) if len(visits) else 0,
        "cases": len(cases),
        "cases_red": int(lights.get("red", 0)),
        "cases_yellow": int(lights.get("yellow", 0)),
        "cases_green": int(lights.get("green", 0)),
        "hazards": len(frames["hazards"]),
        "hazards_overdue": int(frames["hazards"]["overdue"].sum())
        if len(frames["hazards"]) else 0,
        "alerts": len(frames["alerts"]),
    }
    shown_visits = []
    for row in _records(visits.head(limit)):
        person = privacy.masked({**row, "id": row["person_id"]})
        shown_visits.append({
            "person_id": person["id"], "name": person["name"], "phone": person["phone"],
            "address": person["address"], "category": person["category"],
            "risk_level": person["risk_level"], "grid_name": person["grid_name"],
            "due_date": pd.Timestamp(row["due_date"]).date().isoformat(),
            "kind": row["kind"], "state": row["state"], "days_late": int(row["days_late"]),
        })
    if audit is not None and shown_visits:
        audit("list", "mygrid visits " + ",".join(s.region for s in scopes),
              [v["person_id"] for v in shown_visits])
    return {
        "now": _iso(now),
        "totals": totals,
        "visits": shown_visits,
        "cases": [{
            "id": int(r["id"]), "case_no": r["case_no"],
            "category": f"{r['major_name'] or ''}·{r['minor_name'] or r['category_code']}",
            "status": r["status"], "source": r["source"], "grid_name": r["grid_name"],
            "reported_at": _iso(r["reported_at"]), "deadline_at": _iso(r["deadline_at"]),
            "light": r["light"] if isinstance(r["light"], str) else None,
            "hours_left": None if pd.isna(r["hours_left"]) else round(float(r["hours_left"]), 1),
        } for r in _records(cases.head(limit))],
        "hazards": [{
            "id": int(r["id"]), "hazard_no": r["hazard_no"], "type": r["type"],
            "risk_level": r["risk_level"], "grid_name": r["grid_name"],
            "found_at": _iso(r["found_at"]), "deadline_at": _iso(r["deadline_at"]),
            "overdue": bool(r["overdue"]),
        } for r in _records(frames["hazards"].head(limit))],
        "alerts": [{
            "id": int(r["id"]), "sensor_code": r["sensor_code"], "type": r["sensor_type"],
            "level": r["level"], "grid_name": r["grid_name"],
            "alerted_at": _iso(r["alerted_at"]), "value": float(r["value"]),
            "threshold": float(r["threshold"]), "unit": r["unit"],
        } for r in _records(frames["alerts"].head(limit))],
    }


def comparison_scope(scope: Scope) -> Scope | None:
    """The area a grid's figures are compared with: its village (None above grid level)."""
    if scope.level != "grid":
        return None
    return Scope(scope.prefix[:12], scope.role)


def figures(con, scope: Scope, today: date, ontime: str = "closed") -> list[dict]:
    """The grid's month-to-date figures (1st of ``today``'s month to ``today``) beside its
    village's average per grid, from the KPI engine (the definitions of docs/kpi.md).

    Counts and stocks (上报数, 超期数): the village's total divided by its number of grids.
    Rates (结案率, 按期结案率): the village's own rate (its numerator over its
    denominator), which is the case-weighted average of its grids. No other grid's own
    figure is read or shown.

    Returns one dict per KPI: ``key``, ``name``, ``kind``, ``value`` (the grid's),
    ``village`` (the average, None when there is no village to compare with),
    ``numerator``, ``denominator``.
    """
    first = today.replace(day=1)
    mine = engine.kpis(con, scope, first, today, list(FIGURES), ontime=ontime)
    mine = mine.set_index("key")
    village_scope = comparison_scope(scope)
    theirs, n_grids = None, 0
    if village_scope is not None:
        theirs = engine.kpis(con, village_scope, first, today, list(FIGURES),
                             ontime=ontime).set_index("key")
        n_grids = int(run(con, Q.MYGRID_VILLAGE_GRIDS, village=village_scope.prefix)
                      ["n"].iloc[0])
    out = []
    for key in FIGURES:
        kpi = kpi_get(key)
        value = float(mine.loc[key, "value"])
        avg = None
        if theirs is not None and n_grids:
            v = float(theirs.loc[key, "value"])
            avg = v if kpi.kind == "rate" else v / n_grids
        out.append({"key": key, "name": kpi.name_zh, "kind": kpi.kind,
                    "value": None if math.isnan(value) else value,
                    "village": None if avg is None or math.isnan(avg) else avg,
                    "numerator": _num(mine.loc[key, "numerator"]),
                    "denominator": _num(mine.loc[key, "denominator"])})
    return out


def _num(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


# --- the map and the check of a reported point --------------------------------------------


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    lon: float
    lat: float
    path: str  # SVG path data in the frame's coordinates


@dataclass(frozen=True)
class Frame:
    """The equirectangular frame of the SVG map: x = (lon − west) · kx, y = (north − lat) ·
    ky; the browser maps a tap back to lon/lat with the same numbers."""
    west: float
    north: float
    kx: float
    ky: float
    width: float
    height: float


def _grid_rows(con, scopes: list[Scope]) -> pd.DataFrame:
    frames = [run(con, Q.MYGRID_GRIDS, prefix=s.prefix) for s in scopes]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def area_names(con, scopes: list[Scope]) -> dict[str, str]:
    """The name of each area: a grid's own, a village's (a worker's area may be either)."""
    rows = _records(_grid_rows(con, scopes))
    names = {r["code"]: r["name"] for r in rows}
    names.update({r["village_code"]: r["village_name"] for r in rows if r["village_name"]})
    return {s.prefix: names.get(s.prefix, s.prefix) for s in scopes}


def outlines(con, scopes: list[Scope]) -> tuple[Frame, list[Outline]]:
    """The worker's grids as SVG paths in one frame (simplified to about a pixel)."""
    from shapely import wkb

    rows = _grid_rows(con, scopes)
    shapes = [wkb.loads(bytes(g)) for g in rows["geometry"]]
    west = min(s.bounds[0] for s in shapes)
    south = min(s.bounds[1] for s in shapes)
    east = max(s.bounds[2] for s in shapes)
    north = max(s.bounds[3] for s in shapes)
    coslat = math.cos(math.radians((north + south) / 2))
    span_x, span_y = max((east - west) * coslat, 1e-9), max(north - south, 1e-9)
    scale = SVG_SIZE / max(span_x, span_y)
    frame = Frame(west, north, scale * coslat, scale, round(span_x * scale, 1),
                  round(span_y * scale, 1))
    out = []
    for row, shape in zip(_records(rows), shapes, strict=True):
        simple = shape.simplify(1.0 / scale, preserve_topology=True)
        out.append(Outline(row["code"], row["name"], float(row["lon"]), float(row["lat"]),
                           _svg_path(simple, frame)))
    return frame, out


def _svg_path(shape, frame: Frame) -> str:
    polygons = getattr(shape, "geoms", [shape])
    parts = []
    for poly in polygons:
        for ring in (poly.exterior, *poly.interiors):
            pts = [f"{(x - frame.west) * frame.kx:.1f},{(frame.north - y) * frame.ky:.1f}"
                   for x, y in ring.coords[:-1]]
            parts.append("M" + "L".join(pts) + "Z")
    return "".join(parts)


def locate(con, scopes: list[Scope], lon: float, lat: float) -> str | None:
    """The code of the worker's grid that holds the point (boundary included), else None.

    The server-side check of a quick report: only the session's areas are tested, so a
    point anywhere else (a neighbour's grid, another city, the sea) is refused.
    """
    from shapely import wkb
    from shapely.geometry import Point

    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    point = Point(lon, lat)
    for row in _records(_grid_rows(con, scopes)):
        if wkb.loads(bytes(row["geometry"])).covers(point):
            return row["code"]
    return None


def categories(con) -> list[dict]:
    """The case categories of the store's taxonomy (大类 · 小类), for the form."""
    rows = run(con, Q.TAXONOMY_CATEGORY_NAMES)
    return [{"code": r["code"], "major": r["major_name"], "minor": r["minor_name"]}
            for r in _records(rows)]


def report_case_no(user_id: int, client_id: str) -> str:
    """The case number of a quick report: ``MG`` and 18 hex digits of the account and the
    form's client id, so a resend of the same report (an offline queue retrying, a double
    tap, on any day) names the same case and the intake's upsert never doubles it."""
    digest = hashlib.sha256(f"{int(user_id)}:{client_id}".encode()).hexdigest()
    return "MG" + digest[:18].upper()


def report_record(case_no: str, category: str, grid_code: str, lon: float, lat: float,
                  now: datetime) -> dict:
    """The incident record of a quick report (the intake's own field names): source
    网格员巡查, reported now (when the server receives it) and not yet registered (立案 is
    the village's step). The intake validates and quarantines it like any other record."""
    return {"case_no": case_no, "source": REPORT_SOURCE, "category_code": category,
            "grid_code": grid_code, "lon": lon, "lat": lat,
            "reported_at": now.replace(microsecond=0).isoformat(sep=" ")}
