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
from dashboard.periods import report_period
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
    head = ("地区", "层级", "统计期", "数据截至", "生成时间", "上报数", "结案率", "按期结案率",
            "截至后到达", "下载")
    body = []
    for r in rows:
        k = r["kpis"]
        body.append(html.Tr([
            html.Td(f"{r['region_name']}（{r['region']}）"),
            html.Td(LEVEL_ZH.get(r["level"], r["level"])),
            html.Td([report_period(r["period"], r["period_kind"]).zh,
                     html.Span(KIND_ZH.get(r["period_kind"], ""), className="gc-report-kind")],
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
        content = html.P("本辖区暂无已归档的通报。通报按计划生成（月报每月1日、周报每周一，"
                         "或由 gridcmd report 生成），归档后在此下载。",
                         className="gc-report-empty", id="reports-empty")
    return html.Div(className="gc-reports", children=[
        html.H2(f"通报归档 · {scope_name}", className="gc-report-title"),
        html.P("每份通报保存生成时的数据快照：再次下载数字不变；“截至后到达”为生成时"
               "统计期内在数据截至时点之后才到达的记录数。下载留有审计记录。",
               className="gc-report-note"),
        content,
    ])
