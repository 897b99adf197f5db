"""Callbacks of the thematic analysis pages, generated from their descriptions
(``layouts/thematic.py``), and the parts every analysis page's callback shares: the units
map, the point layer URL and the KPI strip.

One callback per page reads the URL (the filter state), computes the page's data in one
or two queries (``dashboard/thematic_data.py``) and fills every panel. The scope comes from
the session and only narrows; a malformed filter answers 400, a region outside the
jurisdiction 403, and nothing is read. Person lists are only built for users with
clearance, masked, and audited before they leave.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dash import Dash, Input, Output, no_update

from dashboard import access, auth, ids, pagememo, privacy, rewarm, taxonomy, thematic_data
from dashboard.callbacks.common import analysis_request, guarded
from dashboard.callbacks.overview import FIT_OPTIONS
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope
from dashboard.overview_data import bounds_of
from dashboard.settings import Settings
from dashboard.store import Store
from dashboard.urls import analysis_points_url, geo_url
from layouts import analysis
from layouts.thematic import PAGES, Page
from queries import names as Q
from queries import run


def unit_map(app: Dash, con, scope: Scope) -> tuple[str, dict]:
    """The URL of the units layer below ``scope`` (a grid is shown among its village's
    grids) and the viewport that fits it."""
    parent = scope.prefix[:12] if len(scope.prefix) == 15 else scope.prefix.ljust(12, "0")
    region = run(con, Q.REGION_REGION, code=parent)
    viewport = no_update
    if not region.empty:
        viewport = {"bounds": bounds_of(region.at[0, "geometry"]), "transition": "fitBounds",
                    "options": {**FIT_OPTIONS, "paddingTopLeft": [10, 10],
                                "paddingBottomRight": [10, 10]}}
    return app.get_relative_path(geo_url(parent)), viewport


def points_url(app: Dash, layer: str, query: str) -> str:
    """The URL of a page's point layer for the filters ``query`` (``?…`` or '')."""
    return app.get_relative_path(analysis_points_url(layer)) + query


def kpi_strip(con, user: Scope, filters: Filters, now, keys, settings: Settings,
              lang: str, fields=frozenset()) -> list:
    """The KPI cards of a page: the KPI engine for the filtered region and period (the same
    numbers as the overview and the 通报), each with its definition; a note when the page's
    other filters (``fields``, or several grids) narrow its charts but not the cards."""
    scope = filters.scope(user)
    d0, d1 = filters.span(now.date())
    values = kpis(con, scope, d0, d1, keys=analysis.with_companions(keys),
                  ontime=settings.kpi_ontime)
    found = run(con, Q.REGION_SEARCH_CODE, code=scope.prefix)
    name = found.at[0, "name"] if not found.empty else scope.prefix
    used = {"category": filters.majors + filters.minors, "source": filters.sources,
            "status": filters.statuses, "htype": filters.hazard_types, "risk": filters.risks,
            "pcat": filters.person_categories, "stype": filters.sensor_types}
    narrowed = any(used[f] for f in fields if f in used) or bool(
        len(filters.grids) > 1 or (filters.grids and filters.grids[0] != scope.prefix))
    cleared = bool(getattr(access.current_user(), "pii_clearance", False))
    masked = None
    if not cleared:
        # listed at the period end, from the jurisdiction's protected table (as the page)
        end = datetime.combine(d1 + timedelta(days=1), datetime.min.time())
        table = privacy.protected_counts(con, user.prefix, end)
        masked = {k: table.value(scope.prefix) for k in keys if k == "key_persons"}
    span = t("analysis.span", lang, start=f"{d0:%Y-%m-%d}", end=f"{d1:%Y-%m-%d}")
    return analysis.kpi_cards(values, name, span, narrowed, lang, shown=list(keys),
                              masked=masked)


def page_data(con, page: Page, user: Scope, filters: Filters, now,
              risk_threshold: float = 0.5) -> dict:
    """The data of a thematic page; the person list only for users with clearance
    (masked, audited); on 时效 the stored at-risk queue (``risk``)."""
    data = _page_rows(con, page, user, filters, now)
    if page.key == "timeliness":
        data["risk"] = thematic_data.at_risk(con, user, filters, risk_threshold)
    data["vocab"] = taxonomy.vocab(con)  # the store's names (English ones in English mode)
    return data


def _page_rows(con, page: Page, user: Scope, filters: Filters, now) -> dict:
    cleared = bool(getattr(access.current_user(), "pii_clearance", False))
    if page.key == "persons":
        data = thematic_data.persons(con, user, filters, now, cleared=cleared)
        data["people"] = None
        if cleared:
            scope = filters.scope(user)
            data["people"] = thematic_data.person_list(
                con, user, filters, now, cleared=True,
                audit=lambda action, what, ids_: auth.audit(action, what, ids_, scope))
        return data
    return getattr(thematic_data, page.key)(con, user, filters, now)


def register_page(app: Dash, store: Store, settings: Settings, page: Page) -> None:
    """The one callback of a thematic page: URL → total, KPI strip, map and every panel."""
    outputs = [Output(ids.page_id(page.key, "total", "text"), "children"),
               Output(ids.page_id(page.key, "kpis", "div"), "children")]
    if page.map_title:
        outputs += [Output({"type": ids.XFILTER_MAP, "name": page.key}, "url"),
                    Output({"type": ids.XFILTER_MAP, "name": page.key}, "hideout"),
                    Output(ids.page_id(page.key, "map", "container"), "viewport")]
    if page.points:
        outputs.append(Output(ids.page_id(page.key, "points", "geojson"), "url"))
    outputs += [Output(*page.panel_output(p)) for p in page.panels]

    @app.callback(*outputs, Input(ids.FILTER_URL, "search"))
    @guarded
    def fill(search: str | None):
        r = analysis_request(store, search)
        if page.key == "persons":  # the person list is audited at every view: never kept
            return compute(r)
        # one computation per (who asks, filters, store version, language, moment): a page
        # asked again in the same minute and version is a lookup (dashboard/pagememo.py)
        return tuple(pagememo.request_outputs(
            app.server, "analysis_out", (page.key, search or "", r.now),
            lambda: compute(r)))

    def compute(r):
        lang, con, user, filters, scope, now = (r.lang, r.con, r.user, r.filters, r.scope,
                                                r.now)
        data = page_data(con, page, user, filters, now, settings.foresight_threshold)
        shown = page.render(data, filters, lang)
        out = [page.total(data, lang),
               kpi_strip(con, user, filters, now, page.kpis, settings, lang, page.fields)]
        if page.map_title:
            url, viewport = unit_map(app, con, scope)
            hideout = shown["map"]
            if filters.grids:
                hideout["selected"] = filters.grids[0]
            out += [url, hideout, viewport]
        if page.points:
            out.append(points_url(app, page.points, filters.to_query()))
        out += [shown[p.name] for p in page.panels]
        return tuple(out)

    fill.__name__ = f"fill_{page.key}"
    if page.key != "persons":  # the person list writes the audit log: never replayed
        rewarm.allow(app.server, ids.page_id(page.key, "total", "text"))


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register every thematic page's callback on ``app``."""
    for page in PAGES:
        register_page(app, store, settings, page)
