"""Callbacks of the analyst workbench (事件分析): its figures, map, table and case panel.

The filter bar's callbacks (the one writer of the filter state, region search, chips) are
in ``dashboard/callbacks/filterbar.py``; these read the URL and fill the page. Like every
callback, they take the user's scope from the session and the filters from the untrusted
URL: a malformed filter answers 400, a region or grid outside the jurisdiction 403, and
nothing is read.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update

from dashboard import access, formats, ids, pagememo, rewarm, taxonomy, thematic_data
from dashboard import cases_data as data
from dashboard.callbacks.analysis import kpi_strip, points_url, unit_map
from dashboard.callbacks.common import (
    ActiveCell,
    SortBy,
    analysis_now,
    analysis_request,
    guarded,
)
from dashboard.field_notes import Notes
from dashboard.filters import Filters
from dashboard.i18n import current_lang, t, value, values
from dashboard.settings import Settings
from dashboard.store import Store
from dashboard.urls import export_url
from layouts import analysis
from layouts import cases as view
from layouts.filterbar import INCIDENT_FIELDS

PAGE = "cases"


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the workbench callbacks on ``app``."""

    @app.callback(
        Output(ids.CASES_TOTAL_TEXT, "children"),
        Output(analysis.graph_id(PAGE, "trend", "day"), "figure"),
        Output(analysis.graph_id(PAGE, "major", "major"), "figure"),
        Output(analysis.graph_id(PAGE, "source", "source"), "figure"),
        Output(analysis.graph_id(PAGE, "status", "status"), "figure"),
        Output({"type": ids.XFILTER_MAP, "name": PAGE}, "url"),
        Output({"type": ids.XFILTER_MAP, "name": PAGE}, "hideout"),
        Output(ids.CASES_MAP, "viewport"),
        Output(ids.page_id(PAGE, "points", "geojson"), "url"),
        Output(ids.CASES_EXPORT_CSV_LINK, "href"),
        Output(ids.CASES_EXPORT_XLSX_LINK, "href"),
        Output(ids.CASES_PROFILE_DIV, "children"),
        Output(ids.page_id(PAGE, "repeat", "div"), "children"),
        Output(ids.page_id(PAGE, "kpis", "div"), "children"),
        Input(ids.FILTER_URL, "search"),
    )
    @guarded
    def overview_of_cases(search: str | None):
        r = analysis_request(store, search)
        # once per (who asks, filters, store version, language, moment): dashboard/pagememo.py
        return tuple(pagememo.request_outputs(
            app.server, "cases_out", (search or "", r.now), lambda: facets_of(r)))

    def facets_of(r):
        lang, con, user, filters, scope, now = (r.lang, r.con, r.user, r.filters, r.scope,
                                                r.now)
        facets = data.facets(con, user, filters, now)
        vocab = taxonomy.vocab(con) if lang != "zh" else None
        if lang != "zh":  # the store's English names of categories and sources
            facets["major"] = taxonomy.relabel(facets["major"], vocab, "category_major", lang)
            facets["source"] = taxonomy.relabel(facets["source"], vocab, "incident_source",
                                                lang)
            status = facets["status"]
            facets["status"] = status.assign(label=values("status", status["key"], lang))
        query = filters.to_query()
        hideout = analysis.unit_hideout(facets["unit"], lang=lang)
        # One grid in view (the region, or the only grid picked): its profile.
        grid = scope.prefix if len(scope.prefix) == 15 else (
            filters.grids[0] if len(filters.grids) == 1 else None)
        if filters.grids:
            hideout["selected"] = filters.grids[0]
        if grid:
            hideout["selected"] = grid
        profile = None
        if grid:
            cleared = bool(getattr(access.current_user(), "pii_clearance", False))
            profile = data.grid_profile(con, user, grid, now, cleared=cleared,
                                        ontime=settings.kpi_ontime)
            if profile is not None and lang != "zh":
                profile["vocab"] = vocab
        url, viewport = unit_map(app, con, scope)
        repeats = thematic_data.repeat_places(con, user, filters, now)
        return (
            t("cases.total", lang, n=formats.exact(facets["total"])),
            analysis.trend_figure(facets["day"], lang=lang),
            analysis.bar_figure(facets["major"], set(filters.majors), horizontal=True,
                                lang=lang),
            analysis.bar_figure(facets["source"], set(filters.sources), lang=lang),
            analysis.bar_figure(facets["status"], set(filters.statuses), lang=lang),
            url,
            hideout,
            viewport,
            # Case points (clustered: the hotspots) from town level down, or wherever the
            # units are grids (a store of fewer levels); above it the choropleth says
            # where, and thousands of points would only hide it.
            points_url(app, "incident", query)
            if len(scope.prefix) >= 9 or data.unit_length(con, scope.prefix) == 15 else None,
            # to_query() is already URL-encoded
            app.get_relative_path(export_url("csv")) + query,
            app.get_relative_path(export_url("xlsx")) + query,
            view.grid_profile_panel(profile, lang),
            view.repeat_list(repeats, lang, vocab),
            kpi_strip(con, user, filters, now, view.KPIS, settings, lang, INCIDENT_FIELDS),
        )

    @app.callback(
        Output(ids.CASES_TABLE, "data"),
        Output(ids.CASES_TABLE, "page_count"),
        Output(ids.CASES_TABLE, "page_current"),
        Input(ids.FILTER_URL, "search"),
        Input(ids.CASES_TABLE, "page_current"),
        Input(ids.CASES_TABLE, "sort_by"),
        State(ids.CASES_TABLE, "page_size"),
    )
    @guarded
    def case_table(search: str | None, page_current: int | None,
                   sort_by: list[SortBy] | None, page_size: int | None):
        con = store.cursor()
        user = access.user_scope()
        filters = Filters.from_query(search or "", con=con)
        now = analysis_now(con)
        number = 0 if ctx.triggered_id == ids.FILTER_URL else int(page_current or 0)
        sort, desc = "reported_at", True
        if sort_by:
            sort, desc = sort_by[0]["column_id"], sort_by[0]["direction"] == "desc"
        size = int(page_size or view.PAGE_SIZE)
        rows = data.page(con, user, filters, now, sort=sort, desc=desc, number=number,
                         size=size)
        if rows.empty and number > 0:  # past the end (the set shrank): back to the start
            number = 0
            rows = data.page(con, user, filters, now, sort=sort, desc=desc, size=size)
        total = int(rows["total"].iloc[0]) if len(rows) else 0
        pages = max(1, -(-total // size))
        lang = current_lang()
        if lang != "zh" and len(rows):
            vocab = taxonomy.vocab(con)
            rows = rows.assign(
                category=[vocab.label("category", c, lang) for c in rows["category_code"]],
                source=[vocab.label("incident_source", c, lang) for c in rows["source"]],
                status=values("status", rows["status"], lang),
                village=[value("place", v, lang) for v in rows["village"]])
        return view.table_rows(rows), pages, number

    # the two read only: replayed on a new store version (dashboard/rewarm.py)
    rewarm.allow(app.server, ids.CASES_TOTAL_TEXT, ids.CASES_TABLE)

    @app.callback(
        Output(ids.CASES_DETAIL_DIV, "children"),
        Input(ids.CASES_TABLE, "active_cell"),
        State(ids.CASES_TABLE, "data"),
        prevent_initial_call=True,
    )
    @guarded
    def case_detail(active: ActiveCell | None, rows: list[dict[str, Any]] | None):
        if not active or not rows or active.get("row") is None:
            return no_update
        row = int(active["row"])
        if not 0 <= row < len(rows):
            raise ValueError("row out of range")
        case_id = rows[row].get("id")
        if not isinstance(case_id, int):
            raise ValueError("malformed case id")
        con = store.cursor()
        lang = current_lang()
        detail = data.case(con, access.user_scope(), case_id, notes=Notes(settings.store))
        if detail is not None and lang != "zh":
            vocab, case = taxonomy.vocab(con), detail["case"]
            case.update(major=vocab.label("category_major", case["major_code"], lang),
                        category=vocab.label("category", case["category_code"], lang),
                        source=vocab.label("incident_source", case["source"], lang))
            detail["vocab"] = vocab
        return view.case_panel(detail, lang)

