"""Plain Flask routes beside the Dash app: the map geometry, served once per level by URL.

Geometry never travels in a callback response: a map layer loads ``/geo/<code>.geojson``
once, the browser caches it (``Cache-Control`` plus an ``ETag`` tied to the store build),
and colours, filters and selections reach the layer as small ``hideout`` values instead.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import orjson
import pandas as pd
import shapely
from flask import Flask, Response, request
from shapely.geometry import mapping

from dashboard.settings import Settings
from dashboard.store import Store
from queries import run

GEO_PATH = "/geo/<code>.geojson"
REGION_CODE = re.compile(r"[0-9]{12}")
COORD_DECIMALS = 5  # about one metre: finer than a screen pixel at any zoom we draw
PROPERTIES = ("code", "short_code", "name", "level", "lon", "lat")


def geo_url(code: str) -> str:
    """The URL of the child layer of region ``code`` (the one place that spells it)."""
    return f"/geo/{code}.geojson"


def register(server: Flask, store: Store, settings: Settings) -> None:
    """Add the geometry route to ``server``.

    Parameters
    ----------
    server : flask.Flask
        The Dash app's server.
    store : Store
        The read-only store the layers come from.
    settings : Settings
        ``cache_max_age`` sets how long browsers may reuse a layer without asking again.
    """

    @server.get(GEO_PATH)
    def geo_children(code: str) -> Response:
        # Validate before anything touches the store: the code goes into a bound parameter
        # anyway, but a malformed one has no business reaching the database at all.
        if not REGION_CODE.fullmatch(code):
            return _error(404, f"invalid region code: {code[:40]!r} (expected 12 digits)")
        etag = _etag(store, code)
        if request.if_none_match.contains_weak(etag):
            return _cached(Response(status=304), etag, settings)
        con = store.cursor()
        region = run(con, "region", code=code)
        if region.empty:
            return _error(404, f"unknown region: {code}")
        if region.at[0, "level"] == "village":
            children = run(con, "grid_children", village_code=code)
        else:
            children = run(con, "region_children", parent_code=code)
        # application/json rather than application/geo+json so the app's response
        # compression, which only knows the common types, applies to it.
        body = feature_collection(children)
        return _cached(Response(body, mimetype="application/json"), etag, settings)


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
    response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
    return response


def _error(status: int, message: str) -> Response:
    return Response(
        orjson.dumps({"error": message, "status": status}),
        status=status,
        mimetype="application/json",
    )
