"""The 通报 page (``/reports``): the archived reports of the user's jurisdiction.

A pure function of the rows :func:`dashboard.report.web.page_layout` reads per page load
(already limited to the jurisdiction there): one line per report with its region, period (a
month or an ISO week), as-of moment, headline figures and a download link per format. The
links go to ``/reports/file/<id>.<fmt>``, which checks the jurisdiction again and audits the
download.
"""

from __future__ import annotations

from dash import html

from dashboard import formats
from dashboard.i18n import t
from dashboard.periods import report_period
from dashboard.taxonomy import level_name
from dashboard.urls import report_file_url

PAGE = "reports"
FORMAT_LABELS = {"docx": "Word", "pdf": "PDF", "xlsx": "Excel"}
KIND_ZH = {"month": "月报", "week": "周报"}
LEVEL_ZH = {"city": "市", "county": "区县", "town": "乡镇(街道)", "village": "村(社区)"}


def _rate(value) -> str:
    return formats.MISSING if value is None else formats.rate(value)


def _count(value) -> str:
    return formats.MISSING if value is None else f"{value:,.0f}"


def layout(rows: list[dict], scope_name: str, lang: str = "zh") -> html.Div:
    """The page. ``rows``: dicts with id, region, region_name, level, period, as_of,
    generated_at, formats, kpis, late_total (:class:`dashboard.report.archive.Entry`)."""
    head = [t(f"reports.col.{k}", lang) for k in (
        "region", "level", "period", "as_of", "generated", "reported", "close_rate",
        "ontime_rate", "late", "download")]
    body = []
    for r in rows:
        k = r["kpis"]
        body.append(html.Tr([
            html.Td(f"{r['region_name']}（{r['region']}）" if lang == "zh"
                    else f"{r['region_name']} ({r['region']})"),
            html.Td(LEVEL_ZH.get(r["level"], r["level"]) if lang == "zh"
                    else level_name(r["level"], lang) if r["level"] in LEVEL_ZH
                    else r["level"]),
            html.Td([report_period(r["period"], r["period_kind"]).zh if lang == "zh"
                     else r["period"],
                     html.Span(t(f"reports.kind.{r['period_kind']}", lang)
                               if r["period_kind"] in KIND_ZH else "",
                               className="gc-report-kind")],
                    title=r["period"]),
            html.Td(f"{r['as_of']:%Y-%m-%d %H:%M}"),
            html.Td(f"{r['generated_at']:%Y-%m-%d %H:%M}"),
            html.Td(_count(k.get("reported")), className="gc-num"),
            html.Td(_rate(k.get("close_rate")), className="gc-num"),
            html.Td(_rate(k.get("ontime_rate")), className="gc-num"),
            html.Td(_count(r["late_total"]), className="gc-num"),
            html.Td([html.A(FORMAT_LABELS.get(f, f), href=report_file_url(r["id"], f),
                            className="gc-report-link", download="",
                            **{"data-format": f})
                     for f in r["formats"]]),
        ], **{"data-report": r["id"]}))
    if body:
        content = html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                              html.Tbody(body)], className="gc-report-table",
                             id="reports-table")
    else:
        content = html.P(t("reports.empty", lang), className="gc-report-empty",
                         id="reports-empty")
    if lang != "zh":  # "崇川区（320613）": the scope's name is the store's, the brackets ours
        scope_name = scope_name.replace("（", " (").replace("）", ")")
    return html.Div(className="gc-reports", children=[
        html.H2(t("reports.title", lang, scope=scope_name), className="gc-report-title"),
        html.P(t("reports.note", lang), className="gc-report-note"),
        content,
    ])
