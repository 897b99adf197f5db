"""Callbacks of the analyst workbench (事件分析) and its filter bar.

* ``filter_state``: the one writer of the filter state. Controls, chips, the reset button
  and cross-filter clicks (any chart ``{"type": XFILTER_GRAPH, "field": …}`` or map layer
  ``{"type": XFILTER_MAP, …}``) all land here; it writes the URL query and sets the
  controls back, so URL and controls never disagree.
* ``region_options``: the region picker searches the tree on the server.
* ``overview_of_cases``, ``case_table``, ``case_detail``: read the URL and fill the page.

Like every callback, they take the user's scope from the session and the filters from
the untrusted URL: a malformed filter answers 400, a region or grid outside the
jurisdiction 403, and nothing is read.
"""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from dashboard import access, ids
from dashboard import cases_data as data
from dashboard.callbacks.common import guarded, now_local
from dashboard.callbacks.overview import FIT_OPTIONS
from dashboard.filters import Filters
from dashboard.i18n import current_lang, t
from dashboard.overview_data import bounds_of
from dashboard.routes import geo_url
from dashboard.settings import Settings
from dashboard.store import Store
from layouts import cases as view
from layouts import filterbar
from queries import run

CHART_FIELDS = ("major", "source", "status", "day")


def _from_controls(period, start, end, region, categories, sources, statuses, grids) -> Filters:
    categories = categories or []
    return Filters.from_query({
        "period": period, "from": (start or "")[:10], "to": (end or "")[:10],
        "region": region or "", "major": [c for c in categories if len(c) == 3],
        "minor": [c for c in categories if len(c) != 3], "source": sources or [],
        "status": statuses or [], "grid": grids or [],
    })


def _toggle(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value) if value in values else (*values, value)


def apply_click(filters: Filters, field: str, key: str) -> Filters:
    """The filters after a click on a chart element of ``field`` whose key is ``key``."""
    if field == "major":
        return filters.with_(majors=_toggle(filters.majors, key))
    if field == "source":
        return filters.with_(sources=_toggle(filters.sources, key))
    if field == "status":
        return filters.with_(statuses=_toggle(filters.statuses, key))
    if field == "day":
        from datetime import date

        day = date.fromisoformat(str(key)[:10])
        return filters.with_(period="custom", date_from=day, date_to=day)
    raise ValueError(f"unknown cross-filter field {field!r}")


def remove_chip(filters: Filters, field: str, value: str) -> Filters:
    """The filters without one chip's value."""
    if field == "region":
        return filters.with_(region="")
    if field == "category":
        return filters.with_(majors=tuple(v for v in filters.majors if v != value),
                             minors=tuple(v for v in filters.minors if v != value))
    if field in ("source", "status", "grid"):
        name = {"source": "sources", "status": "statuses", "grid": "grids"}[field]
        return filters.with_(**{name: tuple(v for v in getattr(filters, name) if v != value)})
    raise ValueError(f"unknown chip field {field!r}")


def register(app: Dash, store: Store, settings: Settings) -> None:
    """Register the workbench callbacks on ``app``."""

    @app.callback(
        Output(ids.FILTER_PERIOD_DROPDOWN, "value"),
        Output(ids.FILTER_DATES_PICKER, "start_date"),
        Output(ids.FILTER_DATES_PICKER, "end_date"),
        Output(ids.FILTER_DATES_PICKER, "disabled"),
        Output(ids.FILTER_REGION_DROPDOWN, "value"),
        Output(ids.FILTER_CATEGORY_DROPDOWN, "value"),
        Output(ids.FILTER_SOURCE_DROPDOWN, "value"),
        Output(ids.FILTER_STATUS_DROPDOWN, "value"),
        Output(ids.FILTER_GRIDS_STORE, "data"),
        Output(ids.FILTER_URL, "search"),
        Input(ids.FILTER_PERIOD_DROPDOWN, "value"),
        Input(ids.FILTER_DATES_PICKER, "start_date"),
        Input(ids.FILTER_DATES_PICKER, "end_date"),
        Input(ids.FILTER_REGION_DROPDOWN, "value"),
        Input(ids.FILTER_CATEGORY_DROPDOWN, "value"),
        Input(ids.FILTER_SOURCE_DROPDOWN, "value"),
        Input(ids.FILTER_STATUS_DROPDOWN, "value"),
        Input(ids.FILTER_RESET_BUTTON, "n_clicks"),
        Input({"type": ids.FILTER_CHIP_BUTTON, "field": ALL, "value": ALL}, "n_clicks"),
        Input({"type": ids.XFILTER_GRAPH, "field": ALL}, "clickData"),
        Input({"type": ids.XFILTER_MAP, "name": ALL}, "n_clicks"),
        State({"type": ids.XFILTER_MAP, "name": ALL}, "clickData"),
        State(ids.FILTER_GRIDS_STORE, "data"),
        State(ids.FILTER_URL, "search"),
        prevent_initial_call=True,
    )
    @guarded
    def filter_state(period, start, end, region, categories, sources, statuses, _reset,
                     _chips, charts, _map_clicks, map_data, grids, search):
        trigger = ctx.triggered_id
        if period == "custom" and not (start and end):
            # Custom range chosen but not yet picked: wait for the dates.
            return (*[no_update] * 3, False, *[no_update] * 6)
        if period != "custom":
            start = end = None
        filters = _from_controls(period, start, end, region, categories, sources, statuses,
                                 grids)
        if trigger == ids.FILTER_RESET_BUTTON:
            filters = Filters()
        elif isinstance(trigger, dict) and trigger.get("type") == ids.FILTER_CHIP_BUTTON:
            # Chips are re-created with n_clicks=0 whenever the filters change; only a
            # real click (n_clicks > 0 on the chip that fired) removes a filter.
            clicks = {(i["id"]["field"], i["id"]["value"]): i.get("value")
                      for i in ctx.inputs_list[8]}
            if not clicks.get((trigger["field"], trigger["value"])):
                return (no_update,) * 10
            filters = remove_chip(filters, trigger["field"], trigger["value"])
        elif isinstance(trigger, dict) and trigger.get("type") == ids.XFILTER_GRAPH:
            click = charts[[i["id"]["field"] for i in ctx.inputs_list[9]].index(
                trigger["field"])]
            if not click or not click.get("points"):
                return (no_update,) * 10
            key = click["points"][0].get("customdata")
            filters = apply_click(filters, trigger["field"], str(key))
        elif isinstance(trigger, dict) and trigger.get("type") == ids.XFILTER_MAP:
            feature = (map_data or [None])[0]
            props = (feature or {}).get("properties") or {}
            code = str(props.get("short_code") or "")
            if props.get("level") == "grid":
                filters = filters.with_(grids=_toggle(filters.grids, code))
            elif code:
                filters = filters.with_(region=code, grids=())
        filters.scope(access.user_scope())  # Forbidden → 403 before the URL changes
        query = filters.to_query()
        return (
            filters.period,
            filters.date_from.isoformat() if filters.date_from else None,
            filters.date_to.isoformat() if filters.date_to else None,
            filters.period != "custom",
            filters.region or None,
            list(filters.majors + filters.minors),
            list(filters.sources),
            list(filters.statuses),
            list(filters.grids),
            query if query != (search or "") else no_update,
        )

    @app.callback(
        Output(ids.FILTER_REGION_DROPDOWN, "options"),
        Input(ids.FILTER_REGION_DROPDOWN, "search_value"),
        State(ids.FILTER_REGION_DROPDOWN, "value"),
        State(ids.FILTER_REGION_DROPDOWN, "options"),
        prevent_initial_call=True,
    )
    @guarded
    def region_options(text, value, options):
        if not text:
            return no_update
        found = data.search_regions(store.cursor(), access.user_scope(), text)
        out = [{"label": f"{r.name}" + (f"（{r.path}）" if r.level == "grid" else ""),
                "value": r.code} for r in found.itertuples()]
        keep = [o for o in (options or []) if o.get("value") == value]
        return keep + [o for o in out if o["value"] != value]

    @app.callback(
        Output(ids.CASES_TOTAL_TEXT, "children"),
        Output(ids.FILTER_CHIPS_DIV, "children"),
        Output({"type": ids.XFILTER_GRAPH, "field": "day"}, "figure"),
        Output({"type": ids.XFILTER_GRAPH, "field": "major"}, "figure"),
        Output({"type": ids.XFILTER_GRAPH, "field": "source"}, "figure"),
        Output({"type": ids.XFILTER_GRAPH, "field": "status"}, "figure"),
        Output({"type": ids.XFILTER_MAP, "name": "units"}, "url"),
        Output({"type": ids.XFILTER_MAP, "name": "units"}, "hideout"),
        Output(ids.CASES_MAP, "viewport"),
        Output(ids.CASES_EXPORT_CSV_LINK, "href"),
        Output(ids.CASES_EXPORT_XLSX_LINK, "href"),
        Output(ids.CASES_PROFILE_DIV, "children"),
        Input(ids.FILTER_URL, "search"),
    )
    @guarded
    def overview_of_cases(search):
        lang = current_lang()
        con = store.cursor()
        user = access.user_scope()
        filters = Filters.from_query(search or "")
        scope = filters.scope(user)
        facets = data.facets(con, user, filters, now_local())
        names = _names(con, facets, filters)
        parent = scope.prefix[:12] if len(scope.prefix) == 15 else scope.prefix.ljust(12, "0")
        region = run(con, "region", code=parent)
        viewport = no_update
        if not region.empty:
            viewport = {"bounds": bounds_of(region.at[0, "geometry"]), "transition": "fitBounds",
                        "options": {**FIT_OPTIONS, "paddingTopLeft": [10, 10],
                                    "paddingBottomRight": [10, 10]}}
        query = filters.to_query()
        hideout = view.unit_hideout(facets["unit"])
        if filters.grids:
            hideout["selected"] = filters.grids[0]
        # One grid in view (the region, or the only grid picked): its profile.
        grid = scope.prefix if len(scope.prefix) == 15 else (
            filters.grids[0] if len(filters.grids) == 1 else None)
        if grid:
            hideout["selected"] = grid
        profile = None
        if grid:
            cleared = bool(getattr(access.current_user(), "pii_clearance", False))
            profile = data.grid_profile(con, user, grid, now_local(), cleared=cleared,
                                        ontime=settings.kpi_ontime)
        return (
            t("cases.total", lang, n=f"{facets['total']:,}"),
            filterbar.chips(filters, names, lang),
            view.trend_figure(facets["day"]),
            view.bar_figure(facets["major"], set(filters.majors), horizontal=True),
            view.bar_figure(facets["source"], set(filters.sources)),
            view.bar_figure(facets["status"], set(filters.statuses)),
            app.get_relative_path(geo_url(parent)),
            hideout,
            viewport,
            # to_query() is already URL-encoded
            app.get_relative_path("/export/cases.csv") + query,
            app.get_relative_path("/export/cases.xlsx") + query,
            view.grid_profile_panel(profile),
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
    def case_table(search, page_current, sort_by, page_size):
        con = store.cursor()
        user = access.user_scope()
        filters = Filters.from_query(search or "")
        number = 0 if ctx.triggered_id == ids.FILTER_URL else int(page_current or 0)
        sort, desc = "reported_at", True
        if sort_by:
            sort, desc = sort_by[0]["column_id"], sort_by[0]["direction"] == "desc"
        size = int(page_size or view.PAGE_SIZE)
        rows = data.page(con, user, filters, now_local(), sort=sort, desc=desc, number=number,
                         size=size)
        if rows.empty and number > 0:  # past the end (the set shrank): back to the start
            number = 0
            rows = data.page(con, user, filters, now_local(), sort=sort, desc=desc, size=size)
        total = int(rows["total"].iloc[0]) if len(rows) else 0
        pages = max(1, -(-total // size))
        return view.table_rows(rows), pages, number

    @app.callback(
        Output(ids.CASES_DETAIL_DIV, "children"),
        Input(ids.CASES_TABLE, "active_cell"),
        State(ids.CASES_TABLE, "data"),
        prevent_initial_call=True,
    )
    @guarded
    def case_detail(active, rows):
        if not active or not rows or active.get("row") is None:
            return no_update
        row = int(active["row"])
        if not 0 <= row < len(rows):
            raise ValueError("row out of range")
        case_id = rows[row].get("id")
        if not isinstance(case_id, int):
            raise ValueError("malformed case id")
        return view.case_panel(data.case(store.cursor(), access.user_scope(), case_id),
                               current_lang())


def _names(con, facets, filters: Filters) -> dict[str, str]:
    """Display names for the chips: 大类 names from the facets, 小类 and regions looked up."""
    names = dict(zip(facets["major"]["key"], facets["major"]["label"], strict=True))
    cats = run(con, "category_options")
    names.update(dict(zip(cats["major_code"], cats["major_name"], strict=False)))
    names.update({r.code: r.minor_name for r in cats.itertuples()})
    for code in (filters.region, *filters.grids):
        if code:
            found = run(con, "region_search_code", code=code)
            if not found.empty:
                names[code] = found.at[0, "name"]
    return names
