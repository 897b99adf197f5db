"""事件分析: the analyst workbench for cases.

Filter bar, chips, a map of the filtered cases by unit, the daily trend, charts by 大类,
source and status (click any of them to filter), the case table (server-side paging and
sorting) and the case panel. Everything reads the filters from the URL, so a link reopens
the same view. Formatters here are pure functions the callbacks call.
"""

from __future__ import annotations

import dash_leaflet as dl
import pandas as pd
import plotly.graph_objects as go
from dash import dash_table, dcc, html
from flask import current_app

from dashboard import access, ids
from dashboard.cases_data import SORTABLE
from dashboard.filters import Filters
from dashboard.i18n import current_lang, t
from layouts import theme
from layouts.filterbar import filter_bar
from layouts.overview import class_breaks, class_colors, format_count
from queries import run

TABLE_COLUMNS = ("case_no", "reported_at", "category", "source", "status", "village",
                 "deadline_at", "closed_at", "handle_hours")
PAGE_SIZE = 10
TIERS = {"village": "村(社区)", "town": "乡镇(街道)", "county": "区县", "city": "市"}


def _figure(height_rows: int = 0) -> go.Figure:
    return go.Figure(layout={"template": theme.TEMPLATE})


def bar_figure(frame: pd.DataFrame, selected: set[str], horizontal: bool = False) -> go.Figure:
    """Counts per key as bars; selected keys bright, the rest dimmed. ``customdata`` is the
    key, which a click sends back as the filter value."""
    colors = [theme.SERIES[0] if not selected or k in selected else "rgba(53,208,255,0.3)"
              for k in frame["key"]]
    if horizontal:
        frame = frame.iloc[::-1]
        colors = colors[::-1]
        trace = go.Bar(y=frame["label"], x=frame["n"], orientation="h", marker_color=colors,
                       customdata=frame["key"], hovertemplate="%{y}: %{x:,}<extra></extra>")
    else:
        trace = go.Bar(x=frame["label"], y=frame["n"], marker_color=colors,
                       customdata=frame["key"], hovertemplate="%{x}: %{y:,}<extra></extra>")
    fig = go.Figure(trace)
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 8, "r": 8, "t": 6, "b": 6},
                      clickmode="event", bargap=0.25)
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def trend_figure(frame: pd.DataFrame) -> go.Figure:
    """Cases per day; a click on a day filters to it."""
    fig = go.Figure(go.Scatter(
        x=frame["key"], y=frame["n"], mode="lines+markers", customdata=frame["key"],
        line={"color": theme.SERIES[1], "width": 2}, marker={"size": 5},
        hovertemplate="%{x}: %{y:,}<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE, margin={"l": 40, "r": 8, "t": 6, "b": 24},
                      clickmode="event")
    return fig


def unit_hideout(frame: pd.DataFrame) -> dict:
    """Map colours for the case counts per unit (keys are the features' 12/15-digit codes)."""
    values = {(k if len(k) >= 12 else k.ljust(12, "0")): float(n)
              for k, n in zip(frame["key"], frame["n"], strict=True)}
    breaks = class_breaks(list(values.values()))
    return {"values": values, "labels": {c: format_count(v) for c, v in values.items()},
            "breaks": breaks, "colors": class_colors(len(breaks) + 1), "noData": theme.NO_DATA,
            "unit": "件", "details": {}, "selected": None}


def _cell(value, column: str):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column.endswith("_at"):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    if column == "handle_hours":
        return round(float(value), 1)
    return value


def table_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows for the DataTable (dates as text), with the case id and the overdue flag."""
    rows = []
    for row in frame.to_dict("records"):
        out = {c: _cell(row[c], c) for c in TABLE_COLUMNS}
        out["id"] = int(row["id"])
        out["overdue"] = "超期" if row["overdue"] else ""
        rows.append(out)
    return rows


def case_panel(detail: dict | None, lang: str = "zh") -> list:
    """The lifecycle timeline, hand-offs and rating of one case."""
    if detail is None:
        return [html.Div(t("cases.detail.none", lang), className="gc-empty")]
    case = detail["case"]
    head = html.Div(className="gc-case-head", children=[
        html.Div(case["case_no"], className="gc-case-no"),
        html.Div(f"{case['major']} / {case['category']} · {case['source']} · {case['status']}",
                 className="gc-case-meta"),
        html.Div(f"{case['town']} · {case['village']} · {case['grid']}",
                 className="gc-case-meta"),
        html.Div(f"处置层级 {TIERS.get(case['tier'], case['tier'])} · "
                 f"{case['department'] or '—'} · "
                 f"时限 {case['deadline_hours']} 小时"
                 + (f" + 延期 {case['extended_hours']} 小时" if case["extended_hours"] else "")
                 + (f" · 返工 {case['rework_count']} 次" if case["rework_count"] else ""),
                 className="gc-case-meta"),
    ])
    steps = []
    for stage in detail["stages"]:
        done = stage["at"] is not None
        took = "" if stage["hours"] is None else f"+{stage['hours']:.1f} 小时"
        steps.append(html.Li(className="gc-step" + (" gc-step-done" if done else ""), children=[
            html.Span(stage["stage"], className="gc-step-name"),
            html.Span(stage["at"].strftime("%m-%d %H:%M") if done else "—",
                      className="gc-step-time"),
            html.Span(took, className="gc-step-took"),
        ]))
    deadline = case.get("deadline_at")
    late = (deadline is not None and not pd.isna(deadline) and case.get("closed_at") is not None
            and not pd.isna(case["closed_at"]) and case["closed_at"] > deadline)
    handoffs = []
    for r in detail["escalations"].to_dict("records"):
        route = (f"{TIERS.get(r['from_tier'], r['from_tier'])} → "
                 f"{TIERS.get(r['to_tier'], r['to_tier'])}")
        dept = f"（{r['to_dept']}）" if r["to_dept"] else ""
        handoffs.append(html.Li(
            f"{pd.Timestamp(r['happened_at']):%m-%d %H:%M} {r['what']}：{route}{dept}"))
    surveys = [
        html.Li(f"{pd.Timestamp(r['happened_at']):%m-%d %H:%M} 回访（{r['what']}）："
                f"{r['rating'] if r['rating'] is not None else '未参评'}")
        for r in detail["surveys"].to_dict("records")
    ]
    return [
        head,
        html.Ol(steps, className="gc-steps"),
        html.Div("已超时限结案" if late else "", className="gc-case-late"),
        html.H3("流转（四级联动）") if handoffs else None,
        html.Ul(handoffs, className="gc-case-list") if handoffs else None,
        html.H3("回访评价") if surveys else None,
        html.Ul(surveys, className="gc-case-list") if surveys else None,
    ]


PROFILE_LABELS = {"reported": "上报数", "close_rate": "结案率", "ontime_rate": "按期结案率",
                  "satisfaction_rate": "满意率", "avg_handle_hours": "平均处置时长",
                  "overdue": "超期未结", "open_hazards": "未整改隐患"}


def grid_profile_panel(profile: dict | None) -> list:
    """The grid profile: who and how big, its KPIs beside its village's and town's (last 30
    days), the 12-month trend and key-population counts (small ones suppressed)."""
    if not profile:
        return []
    from layouts.overview import format_kpi

    g = profile["grid"]
    head = html.Div(className="gc-case-head", children=[
        html.Div(f"网格档案 · {g['name']}", className="gc-case-no"),
        html.Div(f"{g['town']} · {g['village']} · 网格员 {g['worker_name']}",
                 className="gc-case-meta"),
        html.Div(f"常住人口 {g['population']:,} 人 · {g['households']:,} 户 · "
                 f"面积 {g['area_km2']:.2f} km²", className="gc-case-meta"),
    ])
    table = profile["kpis"]
    names = {"grid": "本网格", "village": "所在村(社区)", "town": "所在乡镇(街道)"}
    rows = [html.Tr([html.Th("近30天")] + [html.Th(names[c]) for c in table.columns])]
    for key, values in table.iterrows():
        cells = []
        for value in values:
            number, unit = format_kpi(key, None if pd.isna(value) else float(value))
            cells.append(html.Td(f"{number}{unit}"))
        rows.append(html.Tr([html.Th(PROFILE_LABELS[key]), *cells]))
    trend = " ".join(f"{pd.Timestamp(p):%m}月{int(n)}"
                     for p, n in zip(profile["trend"]["period"], profile["trend"]["reported"],
                                     strict=True))
    groups = "，".join(f"{k} {v}" for k, v in profile["groups"].items() if v != 0) or "无"
    return [head, html.Table(rows, className="gc-profile-table"),
            html.Div(f"近12个月上报：{trend}", className="gc-case-meta"),
            html.Div(f"重点人群：{groups}", className="gc-case-meta")]


def _card(title, body, class_name=""):
    return html.Section(className=f"gc-card {class_name}", children=[
        html.Div(html.H2(title), className="gc-card-head"), body])


def _graph(field: str):
    return dcc.Graph(id={"type": ids.XFILTER_GRAPH, "field": field}, className="gc-chart",
                     config={"displayModeBar": False, "responsive": True}, figure=_figure())


def layout(**query) -> html.Div:
    """The workbench, its controls set from the URL query (validated, jurisdiction-checked)."""
    lang = current_lang()
    error = ""
    try:
        filters = Filters.from_query(query)
        filters.scope(access.user_scope())
    except access.Forbidden:
        filters, error = Filters(), t("filter.denied", lang)
    except ValueError as exc:
        filters, error = Filters(), t("filter.bad", lang, error=exc)
    store = current_app.extensions["gridcmd_store"]
    con = store.cursor()
    categories = run(con, "category_options")
    region_options = []
    if filters.region:
        found = run(con, "region_search_code", code=filters.region)
        region_options = [{"label": r.name, "value": r.code} for r in found.itertuples()]
    columns = [{"name": t(f"cases.col.{c}", lang), "id": c} for c in TABLE_COLUMNS]
    return html.Div(className="gc-page gc-analysis", children=[
        dcc.Location(id=ids.FILTER_URL, refresh=False),
        filter_bar(filters, categories, region_options, lang),
        html.Div(className="gc-chipsrow", children=[
            html.Span(id=ids.CASES_TOTAL_TEXT, className="gc-total"),
            html.Div(id=ids.FILTER_CHIPS_DIV, className="gc-chips"),
            html.Div(error, id=ids.FILTER_ERROR_DIV, className="gc-filter-error"),
            html.Div(className="gc-exports", children=[
                html.Span(t("cases.export", lang)),
                html.A("CSV", id=ids.CASES_EXPORT_CSV_LINK, className="gc-button",
                       href="/export/cases.csv"),
                html.A("XLSX", id=ids.CASES_EXPORT_XLSX_LINK, className="gc-button",
                       href="/export/cases.xlsx"),
            ]),
        ]),
        html.Div(className="gc-analysis-grid", children=[
            _card(t("cases.map", lang), dl.MapContainer(
                id=ids.CASES_MAP, className="gc-map gc-map-small", center=[32.2, 120.9],
                zoom=8, zoomSnap=0.1, attributionControl=False, children=[
                    dl.GeoJSON(id={"type": ids.XFILTER_MAP, "name": "units"},
                               style={"variable": "gridcmd.map.styleRegion"},
                               onEachFeature={"variable": "gridcmd.map.bindRegion"},
                               hoverStyle={"weight": 3, "color": "#ffffff"},
                               hideout=unit_hideout(pd.DataFrame(columns=["key", "n"]))),
                ]), "gc-area-map"),
            _card(t("cases.trend", lang), _graph("day"), "gc-area-trend"),
            _card(t("cases.major", lang), _graph("major"), "gc-area-major"),
            _card(t("cases.source", lang), _graph("source"), "gc-area-source"),
            _card(t("cases.status", lang), _graph("status"), "gc-area-status"),
            html.Section(className="gc-card gc-area-table", children=[
                dash_table.DataTable(
                    id=ids.CASES_TABLE, columns=columns, data=[], page_current=0,
                    page_size=PAGE_SIZE, page_action="custom", sort_action="custom",
                    sort_mode="single", sort_by=[{"column_id": "reported_at",
                                                  "direction": "desc"}],
                    style_as_list_view=True, cell_selectable=True,
                    style_header={"backgroundColor": "#0b1f3d", "color": "#dbe8f7",
                                  "fontWeight": "600", "border": "none"},
                    style_cell={"backgroundColor": "transparent", "color": "#dbe8f7",
                                "fontFamily": theme.FONT, "fontSize": "0.85rem",
                                "border": "none", "borderBottom": "1px solid #163055",
                                "padding": "0.2rem 0.5rem", "textAlign": "left"},
                    style_data_conditional=[
                        {"if": {"filter_query": '{overdue} = "超期"'}, "color": "#ff8d80"},
                        {"if": {"state": "active"}, "backgroundColor": "#12305a",
                         "color": "#ffffff", "border": "none"},
                        {"if": {"state": "selected"}, "backgroundColor": "#12305a",
                         "color": "#ffffff", "border": "none"},
                    ],
                    sort_as_null=[""],
                ),
            ]),
            _card("网格档案 / 案件详情", html.Div([
                html.Div(id=ids.CASES_PROFILE_DIV, className="gc-case"),
                html.Div(t("cases.detail.pick", lang), id=ids.CASES_DETAIL_DIV,
                         className="gc-case"),
            ]), "gc-area-detail"),
        ]),
    ])


__all__ = ["SORTABLE", "layout"]
