"""事件分析: the analyst workbench for cases.

Filter bar, chips, a map of the filtered cases by unit, the daily trend, charts by 大类,
source and status (click any of them to filter), the case table (server-side paging and
sorting) and the case panel. Everything reads the filters from the URL, so a link reopens
the same view. Formatters here are pure functions the callbacks call.
"""

from __future__ import annotations

import pandas as pd
from dash import dash_table, html

from dashboard import formats, ids, taxonomy
from dashboard.cases_data import SORTABLE
from dashboard.i18n import t
from dashboard.urls import case_photo_url, export_url
from layouts import theme
from layouts.analysis import FrameData, card, frame, graph, lines, units_map
from layouts.filterbar import INCIDENT_FIELDS

TABLE_COLUMNS = ("case_no", "reported_at", "category", "source", "status", "village",
                 "deadline_at", "closed_at", "handle_hours")
PAGE_SIZE = 10
TIERS = taxonomy.tier_names()


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
        html.Div(" · ".join(filter(None, (case["place"], case["grid"]))),
                 className="gc-case-meta"),
        html.Div(f"处置层级 {TIERS.get(case['tier'], case['tier'])} · "
                 f"{case['department'] or '—'} · "
                 + (f"时限 {case['deadline_hours']:g} 小时"
                    if not pd.isna(case["deadline_hours"]) else "无时限")
                 + (f" + 延期 {case['extended_hours']} 小时" if case["extended_hours"] else "")
                 + (f" · 返工 {case['rework_count']} 次" if case["rework_count"] else ""),
                 className="gc-case-meta"),
    ])
    steps = []
    for stage in detail["stages"]:
        done = stage["at"] is not None
        took = "" if stage["hours"] is None else "+" + formats.duration(stage["hours"])
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
    note = detail.get("note")
    words = None
    if note:
        words = html.Div(className="gc-case-note", id="cases-note", children=[
            html.Div(f"网格员上报（{note['by']}）" if note["by"] else "网格员上报",
                     className="gc-case-meta"),
            html.P(note["text"], className="gc-case-note-text"),
            html.A(html.Img(src=case_photo_url(case["case_no"]), alt="现场照片",
                            className="gc-case-photo"),
                   href=case_photo_url(case["case_no"]), target="_blank")
            if note["photo"] else None,
        ])
    return [
        head,
        words,
        html.Ol(steps, className="gc-steps"),
        html.Div("已超时限结案" if late else "", className="gc-case-late"),
        html.H3("流转（四级联动）") if handoffs else None,
        html.Ul(handoffs, className="gc-case-list") if handoffs else None,
        html.H3("回访评价") if surveys else None,
        html.Ul(surveys, className="gc-case-list") if surveys else None,
    ]


PROFILE_LABELS = {"reported": "上报数", "close_rate": "结案率", "ontime_rate": "按期结案率",
                  "deadline_share": "有时限案件占比", "median_handle_hours": "中位处置时长",
                  "satisfaction_rate": "满意率", "avg_handle_hours": "平均处置时长",
                  "overdue": "超期未结", "open_hazards": "未整改隐患"}


def grid_profile_panel(profile: dict | None, lang: str = "zh") -> list:
    """The grid profile: who and how big, its KPIs beside those of the levels above it
    (last 30 days), the 12-month trend and key-population counts (small ones suppressed)."""
    if not profile:
        return []
    g = profile["grid"]
    head = html.Div(className="gc-case-head", children=[
        html.Div(f"网格档案 · {g['name']}", className="gc-case-no"),
        html.Div(" · ".join(filter(None, (profile["path"], f"网格员 {g['worker_name']}"))),
                 className="gc-case-meta"),
        html.Div(f"常住人口 {g['population']:,} 人 · {g['households']:,} 户 · "
                 f"面积 {g['area_km2']:.2f} km²", className="gc-case-meta"),
    ])
    table = profile["kpis"]
    rows = [html.Tr([html.Th("近30天")] + [html.Th(profile["labels"][c])
                                           for c in table.columns])]
    for key, values in table.iterrows():
        cells = []
        for value in values:
            cells.append(html.Td(formats.kpi_text(key, value, lang)))
        rows.append(html.Tr([html.Th(PROFILE_LABELS[key]), *cells]))
    trend = " ".join(f"{pd.Timestamp(p):%m}月{int(n)}"
                     for p, n in zip(profile["trend"]["period"], profile["trend"]["reported"],
                                     strict=True))
    groups = "，".join(f"{k} {v}" for k, v in profile["groups"].items() if v != 0) or "无"
    return [head, html.Table(rows, className="gc-profile-table"),
            html.Div(f"近12个月上报：{trend}", className="gc-case-meta"),
            html.Div(f"重点人群：{groups}", className="gc-case-meta")]


KPIS = ("reported", "close_rate", "ontime_rate", "avg_handle_hours", "overdue")
NOTES = ("重复投诉点位：同一网格内、同一小类、相距约100米以内（经纬度取至0.001°）的事件，"
         "期内不少于3件。",)


def layout(data: FrameData, lang: str) -> html.Div:
    """The workbench, its controls set from the URL query (``data``: validated and
    jurisdiction-checked by ``dashboard.frames``)."""
    page = "cases"
    columns = [{"name": t(f"cases.col.{c}", lang), "id": c} for c in TABLE_COLUMNS]
    exports = [
        html.Span(t("cases.export", lang)),
        html.A("CSV", id=ids.CASES_EXPORT_CSV_LINK, className="gc-button",
               href=export_url("csv")),
        html.A("XLSX", id=ids.CASES_EXPORT_XLSX_LINK, className="gc-button",
               href=export_url("xlsx")),
    ]
    body = html.Div(className="gc-analysis-grid", children=[
        card(t("cases.map", lang), units_map(page, points="incident", cluster=True),
             "gc-area-map"),
        card(t("cases.trend", lang), graph(page, "trend", "day"), "gc-area-trend"),
        card(t("cases.major", lang), graph(page, "major", "major"), "gc-area-major"),
        card(t("cases.source", lang), graph(page, "source", "source"), "gc-area-source"),
        card(t("cases.status", lang), graph(page, "status", "status"), "gc-area-status"),
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
        card(t("cases.repeat", lang), html.Div(id=ids.page_id(page, "repeat", "div"),
                                               className="gc-case"), "gc-area-repeat"),
        card("网格档案 / 案件详情", html.Div([
            html.Div(id=ids.CASES_PROFILE_DIV, className="gc-case"),
            html.Div(t("cases.detail.pick", lang), id=ids.CASES_DETAIL_DIV,
                     className="gc-case"),
        ]), "gc-area-detail"),
    ])
    return frame(page, data, lang, INCIDENT_FIELDS, body, exports=exports, kpis=KPIS,
                 notes=NOTES)


def repeat_list(frame_: pd.DataFrame) -> html.Table | html.Div:
    """重复投诉点位: where the same problem keeps being reported."""
    rows = [{"place": f"{r.village} · {r.grid}", "category": r.category, "n": int(r.n),
             "open": int(r.open_n), "last": pd.Timestamp(r.last_at).strftime("%m-%d")}
            for r in frame_.itertuples()]
    return lines(rows, (("place", "地点"), ("category", "小类"), ("n", "件数"),
                        ("open", "未结"), ("last", "最近")),
                 empty="期内没有重复投诉点位（同一小类、约100米内、不少于3件）")


__all__ = ["SORTABLE", "layout"]
