"""The ``maps`` blueprint beside the Dash app: map geometry and points by URL, and the
language. The URLs themselves are built in :mod:`dashboard.urls`.

Geometry never travels in a callback response: a map layer loads ``/geo/<code>.geojson``
once, the browser caches it (``Cache-Control`` plus an ``ETag`` tied to the store build),
and colours, filters and selections reach the layer as small ``hideout`` values instead.
The overview's case and hazard points at village and grid level come the same way from
``/points/<code>.geojson``, for the overview's as-of day and period (``asof``, ``period``
in the query, as in the page's URL; ``dashboard/periods.py``). Both answer only inside the
user's jurisdiction (:func:`dashboard.access.narrow`): a code outside it is a 403 and reads
nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import numpy as np
import orjson
import pandas as pd
import shapely
from flask import Blueprint, Response, redirect, request
from shapely.geometry import mapping

from dashboard import access, i18n, levels
from dashboard import periods as asofmod
from dashboard.clock import store_now
from dashboard.http import json_error
from dashboard.overview_data import as_of
from dashboard.settings import Settings
from dashboard.store import Store
from dashboard.urls import ANALYSIS_POINTS_PATH, GEO_PATH, LANG_PATH, POINTS_PATH
from queries import names as Q
from queries import run

REGION_CODE = re.compile(r"[0-9]{12}")
POINT_CODE = re.compile(r"[0-9]{12}|[0-9]{15}")
POINT_LAYERS = ("incident", "hazard")
COORD_DECIMALS = 5  # about one metre: finer than a screen pixel at any zoom we draw
PROPERTIES = ("code", "short_code", "name", "level", "lon", "lat")


def _within(user_prefix: str, short: str) -> bool:
    """Whether a unit is inside the jurisdiction or on the path down to it."""
    return short.startswith(user_prefix) or user_prefix.startswith(short)


def blueprint(store: Store, settings: Settings) -> Blueprint:
    """The blueprint of the map layers and the language switch (register it on the app's
    server).

    Parameters
    ----------
    store : Store
        The read-only store the layers come from.
    settings : Settings
        ``cache_max_age`` sets how long browsers may reuse a layer without asking again.
    """
    bp = Blueprint("maps", __name__)

    @bp.get(GEO_PATH)
    def geo_children(code: str) -> Response:
        # Validate before anything touches the store: the code goes into a bound parameter
        # anyway, but a malformed one has no business reaching the database at all.
        if not REGION_CODE.fullmatch(code):
            return json_error(404, f"invalid region code: {code[:40]!r} (expected 12 digits)")
        user = access.user_scope()
        if not _within(user.prefix, access.short_code(code)):
            return json_error(403, f"region {code} is outside your jurisdiction")
        etag = _etag(store, f"{user.prefix}|{code}")
        if request.if_none_match.contains_weak(etag):
            return _cached(Response(status=304), etag, settings)
        con = store.cursor()
        # Below a region whose next slot is a pass-through (a store of fewer levels), the
        # layer is that pass-through region's children: a precinct's layer is its grids.
        parent = levels.descend(con, levels.of(con), code)
        region = run(con, Q.REGION_REGION, code=parent)
        if region.empty:
            return json_error(404, f"unknown region: {code}")
        if region.at[0, "level"] == "village":
            children = run(con, Q.REGION_GRID_CHILDREN, village_code=parent)
        else:
            children = run(con, Q.REGION_CHILDREN, parent_code=parent)
        # Above the user's own region (a county analyst opening the city layer) only the
        # units on the path down to the jurisdiction are served, never their neighbours.
        keep = [_within(user.prefix, s) for s in children["short_code"]]
        children = children[keep]
        total = len(children)
        children = children.head(levels.MAX_POLYGONS)
        # application/json rather than application/geo+json so the app's response
        # compression, which only knows the common types, applies to it.
        body = feature_collection(children)
        response = Response(body, mimetype="application/json")
        # how many units the level has when it is cut to levels.MAX_POLYGONS
        response.headers["X-Total-Count"] = str(total)
        return _cached(response, etag, settings)

    @bp.get(POINTS_PATH)
    def points(code: str) -> Response:
        layer = request.args.get("layer", "")
        if not POINT_CODE.fullmatch(code) or layer not in POINT_LAYERS:
            return json_error(404, "expected a 12-digit village or 15-digit grid code and "
                               f"layer one of {', '.join(POINT_LAYERS)}")
        try:
            requested = asofmod.parse_asof(request.args.get("asof"))
            period = asofmod.parse_period(request.args.get("period"))
        except ValueError as exc:
            return json_error(400, str(exc))
        try:
            scope = access.narrow(access.user_scope(), code)
        except access.Forbidden:
            return json_error(403, f"{code} is outside your jurisdiction")
        except ValueError:
            return json_error(404, f"invalid code: {code}")
        con = store.cursor()
        # the regions whose map shows grids: villages, or the level above the grids in a
        # store whose village slot is a pass-through (dashboard/levels.py)
        if scope.level != "grid" and levels.of(con).child_level(scope.level) != "grid":
            return json_error(404, f"points are served for the regions whose children are "
                               f"grids, and for grids, not {code}")
        # the overview's as-of moment and period (the cases drawn are those its figures
        # count; a hazard or case is open as it stood at that moment)
        moment = as_of(con, store_now(con), requested, settings.asof_stale_days).moment
        first, _ = asofmod.window(moment.date(), period)
        rows = run(con, Q.OVERVIEW_POINTS, prefix=scope.prefix,
                   since=datetime.combine(first, datetime.min.time()), now=moment)
        rows = rows[rows["layer"] == layer]
        body = point_collection(rows)
        response = Response(body, mimetype="application/json")
        response.headers["Cache-Control"] = "private, max-age=60"
        return response

    @bp.get(ANALYSIS_POINTS_PATH)
    def analysis_points(layer: str) -> Response:
        # The point layer of an analysis page, for exactly the page's filters (the query
        # string is the page's URL query): scope from the session, filters validated.
        from dashboard import thematic_data
        from dashboard.filters import Filters

        if layer not in thematic_data.POINT_LAYERS:
            return json_error(404, f"layer must be one of {', '.join(thematic_data.POINT_LAYERS)}")
        # late: importing the callbacks package loads every page's callbacks
        from dashboard.callbacks.common import analysis_now

        try:
            user = access.user_scope()
            con = store.cursor()
            filters = Filters.from_query(request.query_string.decode("utf-8", "replace"),
                                         con=con)
            rows = thematic_data.points(con, user, filters, analysis_now(con), layer)
        except access.Forbidden:
            return json_error(403, "outside your jurisdiction")
        except ValueError as exc:
            return json_error(400, str(exc))
        response = Response(point_collection(rows.assign(layer=layer)),
                            mimetype="application/json")
        response.headers["Cache-Control"] = "private, max-age=60"
        return response

    @bp.get(LANG_PATH)
    def set_language(lang: str) -> Response:
        """Remember the screen language in a cookie and go back to the page."""
        target = request.args.get("next") or _same_site_path(request.referrer) or "/"
        # Only a path on this site: an absolute or protocol-relative URL would make this an
        # open redirect.
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"
        response = redirect(target)
        response.set_cookie(i18n.COOKIE, i18n.normalize(lang), max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True, secure=settings.cookie_secure)
        return response

    return bp


def feature_collection(frame: pd.DataFrame) -> bytes:
    """Encode rows with a WKB ``geometry`` column as a GeoJSON FeatureCollection.

    Coordinates are rounded to five decimals (about a metre), which roughly halves the
    payload with no visible difference on screen.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``code``, ``short_code``, ``name``, ``level``, ``lon``, ``lat`` and
        ``geometry`` (WKB).
    """
    # DuckDB hands BLOBs over as bytearray, which shapely does not take.
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry"]])
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    props = frame[list(PROPERTIES)].copy()
    props[["lon", "lat"]] = props[["lon", "lat"]].astype(float).round(COORD_DECIMALS)
    features = [
        {"type": "Feature", "id": row["code"], "properties": row, "geometry": mapping(geom)}
        for row, geom in zip(props.to_dict("records"), geoms, strict=True)
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def _same_site_path(url: str | None) -> str | None:
    """The path and query of ``url`` when it points at this site, else None."""
    from urllib.parse import urlsplit

    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def point_collection(frame: pd.DataFrame) -> bytes:
    """Encode ``overview_points`` rows as a GeoJSON FeatureCollection of points."""
    features = [
        {"type": "Feature", "id": int(row["id"]),
         "geometry": {"type": "Point", "coordinates": [round(float(row["lon"]), COORD_DECIMALS),
                                                       round(float(row["lat"]), COORD_DECIMALS)]},
         "properties": {"layer": row["layer"], "label": row["label"], "state": row["state"],
                        "alert": row["alert"]}}
        for row in frame.to_dict("records")
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def _etag(store: Store, code: str) -> str:
    """A validator that changes exactly when the store is rebuilt.

    Stores from the demo builder or a loader carry ``built_at`` in ``meta``; a store
    without it falls back to the file's size and modification time.
    """
    build = store.meta().get("built_at")
    if build is None:
        stat = store.path.stat()
        build = f"{stat.st_size}-{stat.st_mtime_ns}"
    return hashlib.sha256(f"{build}|{code}".encode()).hexdigest()[:24]


def _cached(response: Response, etag: str, settings: Settings) -> Response:
    # Weak: the gzip-compressed and the plain body are the same layer, and response
    # compression leaves a weak validator untouched, so If-None-Match keeps matching.
    response.set_etag(etag, weak=True)
    # private: what a layer holds depends on who asks (see ``geo_children``), so no shared
    # cache may hand one user's copy to another.
    response.headers["Cache-Control"] = f"private, max-age={settings.cache_max_age}"
    return response
