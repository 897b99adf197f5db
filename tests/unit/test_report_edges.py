"""The monthly 通报 at the edges of a store (issue 14, item 11).

A store whose data starts on 25 February and ends at noon on 15 June: its first and last
months are partial. Both are reported over the days covered, with a note naming them,
and their numbers equal ``kpis`` over exactly those days; months entirely outside the
store stay an error. The PDF of the first month (a trend of one month) is read back with
pdftotext; trend series that are empty or have one point draw as 无数据 or a marker
instead of crashing reportlab, and the xlsx charts say the same.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date, datetime

import duckdb
import pytest
from openpyxl import load_workbook

from dashboard.kpi import Scope, kpis
from dashboard.report import HEADLINE_KEYS, NoDataError, build_report, write_pdf, write_xlsx
from dashboard.report.data import TrendPoint
from dashboard.report.pdf import _chart, _font

START, END = datetime(2025, 2, 25), datetime(2025, 6, 15, 12, 0)


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory):
    from dashboard.demo import DemoSpec, build_demo

    path = tmp_path_factory.mktemp("edges") / "edges.duckdb"
    build_demo(path, DemoSpec(incidents=3000, seed=11, years=0.3, end=END,
                              key_person_share=0.0003), progress=False)
    con = duckdb.connect(str(path), read_only=True)
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert datetime.fromisoformat(meta["history_start"]) == START
    yield con
    con.close()


def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: PDF text not checked")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, encoding="utf-8", check=True).stdout


@pytest.mark.parametrize(("month", "days"), [
    ("2025-02", (date(2025, 2, 25), date(2025, 2, 28))),
    ("2025-06", (date(2025, 6, 1), date(2025, 6, 15))),
])
def test_partial_first_and_last_months_cover_the_days_the_store_holds(edge_store, month, days):
    scope = Scope("3206", "admin")
    report = build_report(edge_store, scope, month)
    assert report.partial and (report.date_from, report.date_to) == days
    note = f"本月数据覆盖 {days[0].isoformat()} 至 {days[1].isoformat()}"
    assert any(note in line for line in report.notes)
    assert note in report.period_zh
    got = kpis(edge_store, scope, *days, keys=list(HEADLINE_KEYS)).set_index("key")["value"]
    for h in report.headline:
        want = got[h.key]
        assert (h.value is None and want != want) or h.value == pytest.approx(want), h.key
    assert report.trend[-1].start == days[0].replace(day=1)
    assert report.trend[-1].reported == got["reported"]
    # the base of 环比 is the same days of the month before, when the store holds them
    h = {x.key: x for x in report.headline}
    if month == "2025-06":
        base = kpis(edge_store, scope, date(2025, 5, 1), date(2025, 5, 15),
                    keys=["reported"])["value"].iloc[0]
        assert h["reported"].mom_value == base
    else:
        assert h["reported"].mom_value is None and len(report.trend) == 1


def test_a_whole_month_is_not_partial(edge_store):
    report = build_report(edge_store, Scope("3206", "admin"), "2025-04")
    assert not report.partial and (report.date_from, report.date_to) == (
        date(2025, 4, 1), date(2025, 4, 30))
    assert not any("本月数据覆盖" in line for line in report.notes)
    assert [p.start for p in report.trend] == [date(2025, 3, 1), date(2025, 4, 1)]


@pytest.mark.parametrize("month", ["2025-01", "2025-07", "1999-12"])
def test_months_outside_the_data_are_refused(edge_store, month):
    with pytest.raises(NoDataError, match="no day of that month"):
        build_report(edge_store, Scope("3206", "admin"), month)


def test_first_month_pdf_and_xlsx(edge_store, tmp_path):
    report = build_report(edge_store, Scope("3206", "admin"), "2025-02")
    assert len(report.trend) == 1  # one point on every trend chart
    text = pdf_text(write_pdf(report, tmp_path / "feb.pdf"))
    assert "本月数据覆盖 2025-02-25 至 2025-02-28" in text.replace("\n", "")
    assert "有时限案件占比" in text and "中位办结时长" in text
    wb = load_workbook(write_xlsx(report, tmp_path / "feb.xlsx"))
    trend = wb["趋势"]
    assert trend.cell(row=2, column=1).value == "2025-02*"
    for chart in trend._charts:
        assert all(s.marker.symbol == "circle" for s in chart.series)


def test_empty_and_one_point_trend_series_draw(edge_store, tmp_path):
    report = build_report(edge_store, Scope("3206", "admin"), "2025-05")
    blank = [dataclasses.replace(p, satisfaction_rate=None, avg_handle_hours=None)
             for p in report.trend]
    for trend in (blank, blank[-1:], []):
        path = write_pdf(dataclasses.replace(report, trend=trend), tmp_path / "t.pdf")
        text = pdf_text(path)
        assert "无数据" in text
        wb = load_workbook(write_xlsx(dataclasses.replace(report, trend=trend),
                                      tmp_path / "t.xlsx"))
        titles = [str(c.title.tx.rich.p[0].r[0].t) for c in wb["趋势"]._charts]
        assert any("平均处置时长(小时)无数据" in t for t in titles), titles
    one = [TrendPoint(start=date(2025, 5, 1), reported=10.0, close_rate=None,
                      satisfaction_rate=0.9, avg_handle_hours=None)]
    write_pdf(dataclasses.replace(report, trend=one), tmp_path / "one.pdf")


def test_chart_of_no_values_says_so():
    from reportlab.graphics import renderPDF

    font = _font()
    for series in ([("a", [None, None])], [("a", [])], [("a", [2.0])],
                   [("a", [1.0, 2.0]), ("b", [None, None])]):
        labels = ["1月", "2月"][:len(series[0][1])]
        drawing = _chart("t", labels, series, font, percent=False)
        assert renderPDF.drawToString(drawing)[:5] == b"%PDF-"
        texts = [getattr(x, "text", "") for x in drawing.contents]
        if not any(v is not None for _, values in series for v in values):
            assert "无数据" in texts
        elif len(series) > 1:
            assert "b（无数据）" in texts
