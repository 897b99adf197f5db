"""Every URL the app spells, in one place: the route patterns the blueprints register and
the functions that build links to them.

Callbacks and layouts build links here (never from the modules that serve them), so a page
never imports a route handler; the blueprints (:mod:`dashboard.routes`,
:mod:`dashboard.exports`, :mod:`dashboard.persons`, :mod:`dashboard.auth.session`) register
the patterns. URLs are app-relative; a callback passes them through
``app.get_relative_path`` when the app is served below a prefix.
"""

from __future__ import annotations

from urllib.parse import urlencode

# --- the map layers and the language (dashboard.routes) -----------------------------------
GEO_PATH = "/geo/<code>.geojson"
POINTS_PATH = "/points/<code>.geojson"
ANALYSIS_POINTS_PATH = "/api/points/<layer>.geojson"
LANG_PATH = "/lang/<lang>"
# --- the exports of the 事件分析 page (dashboard.exports) ---------------------------------
EXPORT_PATH = "/export/cases.<fmt>"
# --- person data and the audit log (dashboard.persons) ------------------------------------
PERSONS_PATH = "/api/persons"
PERSON_PATH = "/api/persons/<int:person_id>"
PERSONS_EXPORT_PATH = "/api/persons/export.csv"
PERSON_COUNTS_PATH = "/api/persons/counts"
AUDIT_PATH = "/admin/audit"
# --- the archived 通报 (dashboard.report.web) --------------------------------------------
REPORTS_PAGE = "/reports"
REPORT_FILE_PATH = "/reports/file/<report_id>.<fmt>"
# --- sessions (dashboard.auth.session) -----------------------------------------------------
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
HEALTH_PATH = "/healthz"
AREA_PATH = "/area/<code>"
KIOSK_PATH = "/kiosk/<token>"
AUTH_CSS_PATH = "/auth/static/auth.css"
HOME = "/"
# --- 我的网格, the grid worker's page (dashboard.mygrid) ------------------------------------
MYGRID_PATH = "/mygrid"
MYGRID_OFFLINE_PATH = "/mygrid/offline"  # the service worker's offline copy of the page
MYGRID_SW_PATH = "/mygrid/sw.js"
CASE_PHOTO_PATH = "/cases/photo/<case_no>"  # a quick report's photo (dashboard/field_notes.py)
MYGRID_STATIC_PATH = "/mygrid/static/<digest>/<name>"
MYGRID_REPORT_PATH = "/api/mygrid/report"


def geo_url(code: str) -> str:
    """The URL of the child layer of region ``code`` (the one place that spells it)."""
    return f"/geo/{code}.geojson"


def points_url(code: str, layer: str, stamp: str = "", asof: str | None = None,
               period: str | None = None) -> str:
    """The URL of the ``layer`` points (``incident`` or ``hazard``) of a village or grid,
    for the overview's as-of day (``YYYY-MM-DD``, None: the default) and period (None:
    the default).

    ``stamp`` only makes the URL change when the data may have (each refresh), so a
    browser never shows points older than the figures beside them.
    """
    query = [("layer", layer)]
    query += [(k, v) for k, v in (("asof", asof), ("period", period)) if v]
    query += [("t", stamp)] if stamp else []
    return f"/points/{code}.geojson?{urlencode(query)}"


def analysis_points_url(layer: str, query: str = "") -> str:
    """The URL of an analysis page's point layer for its filters ``query`` (``?…`` or '',
    already URL-encoded: ``Filters.to_query``)."""
    return f"/api/points/{layer}.geojson{query}"


def export_url(fmt: str, query: str = "") -> str:
    """The URL of the 事件分析 export in ``fmt`` (``csv`` or ``xlsx``) for ``query``."""
    return f"/export/cases.{fmt}{query}"


def lang_url(lang: str) -> str:
    """The URL that switches the screen language and returns to the page."""
    return f"/lang/{lang}"


def area_url(code: str) -> str:
    """The URL that makes a worker with several areas work in area ``code``."""
    return f"/area/{code}"


def mygrid_static_url(digest: str, name: str) -> str:
    """The URL of a 我的网格 script or stylesheet under its content digest (cached a year)."""
    return f"/mygrid/static/{digest}/{name}"


def case_photo_url(case_no: str) -> str:
    """The photo of a quick report (我的网格) by its case number."""
    return CASE_PHOTO_PATH.replace("<case_no>", case_no)


def report_file_url(report_id: str, fmt: str) -> str:
    """The download URL of an archived 通报 in ``fmt`` (docx, pdf or xlsx)."""
    return f"/reports/file/{report_id}.{fmt}"
