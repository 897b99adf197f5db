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
from dashboard.i18n import t, value
from dashboard.urls import case_photo_url, export_url
from layouts import theme
from layouts.analysis import FrameData, card, frame, graph, lines, units_map
from layouts.filterbar import INCIDENT_FIELDS

TABLE_COLUMNS = ("case_no", "reported_at", "category", "source", "status", "village",
                 "deadline_at", "closed_at", "handle_hours")
PAGE_SIZE = 10
TIERS = taxonomy.tier_names()  # Chinese; a page in another language: tier_names(lang)


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
    tiers = taxonomy.tier_names(lang)
    limit = (t("case.limit", lang, hours=f"{case['deadline_hours']:g}")
             if not pd.isna(case["deadline_hours"]) else t("case.no_limit", lang))
    head = html.Div(className="gc-case-head", children=[
        html.Div(case["case_no"], className="gc-case-no"),
        html.Div(f"{case['major']} / {case['category']} · {case['source']} · "
                 f"{value('status', case['status'], lang)}", className="gc-case-meta"),
        html.Div(" · ".join(filter(None, (case["place"], value("place", case["grid"], lang)))),
                 className="gc-case-meta"),
        html.Div(t("case.tier", lang, tier=tiers.get(case["tier"], case["tier"])) + " · "
                 f"{case['department'] or '—'} · " + limit
                 + (t("case.extended", lang, hours=case["extended_hours"])
                    if case["extended_hours"] else "")
                 + (t("case.rework", lang, n=case["rework_count"])
                    if case["rework_count"] else ""),
                 className="gc-case-meta"),
    ])
    steps = []
    for stage in detail["stages"]:
        done = stage["at"] is not None
        took = "" if stage["hours"] is None else "+" + formats.duration(stage["hours"], lang)
        steps.append(html.Li(className="gc-step" + (" gc-step-done" if done else ""), children=[
            html.Span(value("stage", stage["stage"], lang), className="gc-step-name"),
            html.Span(stage["at"].strftime("%m-%d %H:%M") if done else "—",
                      className="gc-step-time"),
            html.Span(took, className="gc-step-took"),
        ]))
    deadline = case.get("deadline_at")
    late = (deadline is not None and not pd.isna(deadline) and case.get("closed_at") is not None
            and not pd.isna(case["closed_at"]) and case["closed_at"] > deadline)
    handoffs = []
    for r in detail["escalations"].to_dict("records"):
        route = (f"{tiers.get(r['from_tier'], r['from_tier'])} → "
                 f"{tiers.get(r['to_tier'], r['to_tier'])}")
        dept = (f"（{r['to_dept']}）" if lang == "zh" else f" ({r['to_dept']})") \
            if r["to_dept"] else ""
        handoffs.append(html.Li(
            f"{pd.Timestamp(r['happened_at']):%m-%d %H:%M} {value('handoff', r['what'], lang)}"
            f"{t('analysis.colon', lang)}{route}{dept}"))
    vocab = detail.get("vocab")
    surveys = [
        html.Li(f"{pd.Timestamp(r['happened_at']):%m-%d %H:%M} "
                + t("case.survey", lang, channel=vocab.label("survey_channel", r["what"], lang)
                    if vocab is not None else r["what"])
                + t("analysis.colon", lang)
                + value("rating", r["rating"] if r["rating"] is not None else "未参评", lang))
        for r in detail["surveys"].to_dict("records")
    ]
    note = detail.get("note")
    words = None
    if note:
        words = html.Div(className="gc-case-note", id="cases-note", children=[
            html.Div(t("case.note_by", lang, by=note["by"]) if note["by"]
                     else t("case.note", lang), className="gc-case-meta"),
            html.P(note["text"], className="gc-case-note-text"),
            html.A(html.Img(src=case_photo_url(case["case_no"]), alt=t("case.photo", lang),
                            className="gc-case-photo"),
                   href=case_photo_url(case["case_no"]), target="_blank")
            if note["photo"] else None,
        ])
    return [
        head,
        words,
        html.Ol(steps, className="gc-steps"),
        html.Div(t("case.late", lang) if late else "", className="gc-case-late"),
        html.H3(t("case.handoffs", lang)) if handoffs else None,
        html.Ul(handoffs, className="gc-case-list") if handoffs else None,
        html.H3(t("case.surveys", lang)) if surveys else None,
        html.Ul(surveys, className="gc-case-list") if surveys else None,
    ]


PROFILE_LABELS = {k: t(f"profile.kpi.{k}") for k in (
    "reported", "close_rate", "ontime_rate", "deadline_share", "median_handle_hours",
    "satisfaction_rate", "avg_handle_hours", "overdue", "open_hazards")}
"""The profile's row names in Chinese (``profile.kpi.<key>`` in the catalogue)."""


def grid_profile_panel(profile: dict | None, lang: str = "zh") -> list:
    """The grid profile: who and how big, its KPIs beside those of the levels above it
    (last 30 days), the 12-month trend and key-population counts (small ones suppressed)."""
    if not profile:
        return []
    g = profile["grid"]
    head = html.Div(className="gc-case-head", children=[
        html.Div(t("profile.title", lang, name=g["name"]), className="gc-case-no"),
        html.Div(" · ".join(filter(None, (profile["path"],
                                          t("profile.worker", lang, name=g["worker_name"])))),
                 className="gc-case-meta"),
        html.Div(t("profile.size", lang, population=f"{g['population']:,}",
                   households=f"{g['households']:,}", area=f"{g['area_km2']:.2f}"),
                 className="gc-case-meta"),
    ])
    table = profile["kpis"]
    levels = profile.get("levels", {})

    def column(c: str) -> str:
        if c == "grid":
            return t("profile.grid", lang)
        if lang == "zh" or c not in levels:
            return profile["labels"][c]
        return t("profile.within", lang, level=levels[c])

    rows = [html.Tr([html.Th(t("profile.last30", lang))] + [html.Th(column(c))
                                                            for c in table.columns])]
    for key, row in table.iterrows():
        cells = [html.Td(formats.kpi_text(key, v, lang)) for v in row]
        rows.append(html.Tr([html.Th(t(f"profile.kpi.{key}", lang)), *cells]))
    trend = " ".join(t("profile.month", lang, month=f"{pd.Timestamp(p):%m}", n=int(n))
                     for p, n in zip(profile["trend"]["period"], profile["trend"]["reported"],
                                     strict=True))
    vocab = profile.get("vocab")
    groups = ("，" if lang == "zh" else ", ").join(
        f"{vocab.label('key_person_category', k, lang) if vocab is not None else k} {v}"
        for k, v in profile["groups"].items() if v != 0) or t("analysis.none", lang)
    return [head, html.Table(rows, className="gc-profile-table"),
            html.Div(t("profile.trend", lang, trend=trend), className="gc-case-meta"),
            html.Div(t("profile.groups", lang, groups=groups), className="gc-case-meta")]


KPIS = ("reported", "close_rate", "ontime_rate", "avg_handle_hours", "overdue")
NOTES = ("cases.note.repeat",)  # message keys


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
        card(t("cases.map", lang), units_map(page, points="incident", cluster=True, lang=lang),
             "gc-area-map"),
        card(t("cases.trend", lang), graph(page, "trend", "day", lang), "gc-area-trend"),
        card(t("cases.major", lang), graph(page, "major", "major", lang), "gc-area-major"),
        card(t("cases.source", lang), graph(page, "source", "source", lang), "gc-area-source"),
        card(t("cases.status", lang), graph(page, "status", "status", lang), "gc-area-status"),
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
        card(t("cases.detail", lang), html.Div([
            html.Div(id=ids.CASES_PROFILE_DIV, className="gc-case"),
            html.Div(t("cases.detail.pick", lang), id=ids.CASES_DETAIL_DIV,
                     className="gc-case"),
        ]), "gc-area-detail"),
    ])
    return frame(page, data, lang, INCIDENT_FIELDS, body, exports=exports, kpis=KPIS,
                 notes=[t(n, lang) for n in NOTES])


def repeat_list(frame_: pd.DataFrame, lang: str = "zh", vocab=None) -> html.Table | html.Div:
    """重复投诉点位: where the same problem keeps being reported (categories by the
    store's names in ``lang``)."""
    english = {} if lang == "zh" or vocab is None else {
        zh: en for (name, _), (zh, en) in vocab.names.items() if name == "category" and en}

    def category(r) -> str:  # the rows name the 小类 (minor_name), not its code
        return english.get(r.category, r.category)

    rows = [{"place": f"{r.village} · {value('place', r.grid, lang)}", "category": category(r),
             "n": int(r.n), "open": int(r.open_n),
             "last": pd.Timestamp(r.last_at).strftime("%m-%d")}
            for r in frame_.itertuples()]
    return lines(rows, [(k, t(f"cases.repeat.col.{k}", lang))
                        for k in ("place", "category", "n", "open", "last")],
                 empty=t("cases.repeat.none", lang))


__all__ = ["SORTABLE", "layout"]
