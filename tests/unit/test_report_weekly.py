"""The weekly 通报 (周通报): an ISO week, Monday to Sunday, with 环比 against the week before
and 同比 against the same weekdays 52 weeks earlier; counts checked against pandas over the
raw rows, the headline against the KPI engine on the bases computed here by hand; the
writers' words, the archive, the schedule and the command line."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

from dashboard.kpi import Scope
from dashboard.kpi.engine import kpis
from dashboard.periods import ReportPeriod, parse_week, report_period, week_label
from dashboard.report import HEADLINE_KEYS, NoDataError, build_report
from dashboard.report.archive import Archive, dumps, generate, loads
from dashboard.report.pdf import write_pdf
from dashboard.report.schedule import due, run_period, scheduled_run
from dashboard.report.word import write_docx
from dashboard.report.xlsx import write_xlsx
from dashboard.settings import Settings


def close(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def end_day(demo) -> date:
    end = demo.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    return datetime.fromisoformat(end).date()


@pytest.fixture(scope="module")
def week(end_day) -> date:
    """The Monday of the last whole week before the store's history ends."""
    return end_day - timedelta(days=end_day.weekday() + 7)


@pytest.fixture(scope="module")
def raw(demo) -> pd.DataFrame:
    return demo.execute("SELECT * FROM incidents").df()


@pytest.fixture(scope="module")
def reports(demo, week):
    return {region: build_report(demo, Scope(region, "admin"), week_label(week))
            for region in ("3206", "320613")}


def _in(frame, column, start: date, days: int = 7):
    t0 = pd.Timestamp(start)
    return frame[(frame[column] >= t0) & (frame[column] < t0 + pd.Timedelta(days=days))]


def test_weeks_parse_as_iso_weeks():
    assert parse_week("2026-W01") == (date(2025, 12, 29), date(2026, 1, 4))
    assert parse_week("2020W53") == (date(2020, 12, 28), date(2021, 1, 3))
    assert parse_week(date(2026, 12, 4)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert week_label(date(2025, 12, 31)) == "2026-W01"
    for bad in ("2021-W53", "2026-W00", "2026-48", "W48", "2026-W4"):
        with pytest.raises(ValueError):
            parse_week(bad)
    assert report_period("2026-10").kind == "month"
    assert report_period("2026-w48") == ReportPeriod("week", date(2026, 11, 23),
                                                     date(2026, 11, 29))
    with pytest.raises(ValueError, match="not a week"):
        report_period("2026-10", "week")
    # the last whole week before a day: Monday's last week is the week that just ended
    assert ReportPeriod.previous("week", date(2026, 11, 30)).label == "2026-W48"
    assert ReportPeriod.previous("week", date(2026, 12, 6)).label == "2026-W48"
    p = report_period("2026-W48")
    assert p.bases(p.first, p.last) == {"mom": (date(2026, 11, 16), date(2026, 11, 22)),
                                        "yoy": (date(2025, 11, 24), date(2025, 11, 30))}
    assert p.back(12) == date(2026, 9, 7) and p.zh == "2026年第48周"


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_weekly_headline_equals_the_engine_on_hand_made_bases(demo, reports, week, region):
    report = reports[region]
    scope = Scope(region, "admin")
    keys = list(HEADLINE_KEYS)
    values = {name: kpis(demo, scope, d0, d0 + timedelta(days=6), keys=keys)
              .set_index("key")["value"]
              for name, d0 in (("now", week), ("mom", week - timedelta(days=7)),
                               ("yoy", week - timedelta(weeks=52)))}
    assert (report.date_from, report.date_to) == (week, week + timedelta(days=6))
    assert report.period == week_label(week) and report.period_kind == "week"
    assert not report.partial
    for h in report.headline:
        assert close(h.value, values["now"][h.key]), h.key
        assert close(h.mom_value, values["mom"][h.key]), h.key
        if h.yoy_value is not None:  # a demo of less than a year has no 同比
            assert close(h.yoy_value, values["yoy"][h.key]), h.key
    assert report.title == f"{report.region_name}网格化治理工作周通报"
    assert report.period_zh.startswith(f"{week.isocalendar()[0]}年第{week.isocalendar()[1]}周")
    assert any("周通报按自然周" in n for n in report.notes)


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_weekly_counts_equal_pandas(reports, raw, week, region):
    rows = raw[raw["grid_code"].str.startswith(region)]
    report = reports[region]
    this = _in(rows, "reported_at", week)
    assert report.categories_total == len(this) == report.headline[0].value > 0
    counts = this.groupby("category_code").size()
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(c.code, c.reported) for c in report.categories] == expected
    prev = _in(rows, "reported_at", week - timedelta(days=7)).groupby("category_code").size()
    assert [c.prev_reported for c in report.categories] == [
        int(prev.get(c.code, 0)) for c in report.categories]
    closed = _in(rows[~rows["is_void"]], "closed_at", week)
    assert next(h.value for h in report.headline if h.key == "closed") == len(closed)
    # overdue at the week's end: a deadline passed by Sunday 24:00 and still open then
    end = pd.Timestamp(week + timedelta(days=7))
    live = rows[~rows["is_void"] & rows["deadline_at"].notna()]
    is_open = (live["deadline_at"] < end) & (live["closed_at"].isna() | (live["closed_at"] >= end))
    assert report.overdue_open_total == int(is_open.sum())


def test_weekly_trend_is_twelve_weeks_of_raw_counts(reports, raw, week):
    report = reports["3206"]
    starts = [p.start for p in report.trend]
    assert starts == [week - timedelta(weeks=11 - i) for i in range(12)]
    assert all(s.weekday() == 0 for s in starts)
    for p in report.trend:
        assert p.reported == len(_in(raw, "reported_at", p.start)), p.start
    assert report.trend_label[-1] == f"{week:%m-%d}"


def test_the_writers_speak_of_weeks(reports, tmp_path):
    report = reports["320613"]
    wb = load_workbook(write_xlsx(report, tmp_path / "w.xlsx"))
    head = [c.value for c in wb["概览"][5]]
    assert head[2:4] == ["本周", "上周"] and "去年同期" in head
    assert wb["趋势"]["A1"].value == "周次（周一）"
    assert "近12周" in str(wb["趋势"]._charts[0].title.tx.rich.p[0].r[0].t)
    assert "期末超期未结" in [c.value for c in wb["部门排名"][1]]
    doc = Document(str(write_docx(report, tmp_path / "w.docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "二、近12周趋势" in text and "本周上报总数" in text and "本月" not in text
    assert doc.tables[0].rows[0].cells[1].text == "本周"
    out = subprocess.run(["pdftotext", "-layout", str(write_pdf(report, tmp_path / "w.pdf")),
                          "-"], capture_output=True, text=True, check=True).stdout
    assert "本周要点" in out and "周通报" in out and "月末" not in out


def test_a_store_s_first_week_is_partial_and_says_so(demo):
    start = demo.execute("SELECT value FROM meta WHERE key = 'history_start'").fetchone()[0]
    first = datetime.fromisoformat(start)
    if first.weekday() == 0 and first.time() == datetime.min.time():
        pytest.skip("the demo history starts on a Monday: no partial first week")
    report = build_report(demo, Scope("3206", "admin"), week_label(first.date()))
    assert report.partial and report.date_from == first.date()
    assert any(n.startswith("本周数据覆盖") for n in report.notes)
    assert "本周数据覆盖" in report.period_zh


def test_a_week_outside_the_store_is_refused(demo, end_day):
    with pytest.raises(NoDataError, match="no data for week"):
        build_report(demo, Scope("3206", "admin"), week_label(end_day + timedelta(days=21)))


def test_weekly_and_monthly_reports_are_archived_apart(demo, week, tmp_path):
    archive = Archive(tmp_path / "archive")
    now = datetime(2030, 1, 1)  # later than every record: nothing arrived after it
    w = generate(demo, archive, "320613", week_label(week), as_of=now, now=now,
                 formats=["xlsx"])
    m = generate(demo, archive, "320613", f"{week:%Y-%m}", as_of=now, now=now,
                 formats=["xlsx"])
    assert (w.status, m.status) == ("made", "made")
    assert (w.entry.period_kind, w.entry.period) == ("week", week_label(week))
    assert (m.entry.period_kind, m.entry.period) == ("month", f"{week:%Y-%m}")
    assert archive.path(w.entry, "xlsx").name == f"通报_320613_{week_label(week)}.xlsx"
    again = generate(demo, archive, "320613", week_label(week), as_of=now, now=now,
                     formats=["pdf"])
    assert again.status == "archived" and again.entry.id == w.entry.id
    assert again.entry.formats == ("pdf", "xlsx")
    snap = archive.snapshot(w.entry)
    assert snap.period_kind == "week" and snap.headline == w.report.headline
    assert snap.trend == w.report.trend
    # a week is listed before the month that started earlier
    assert [e.id for e in archive.entries(Scope("320613", "admin"))] == [w.entry.id, m.entry.id]


def test_a_snapshot_archived_before_weekly_reports_still_loads(reports):
    data = json.loads(dumps(reports["320613"]))
    data["month"] = data.pop("period")
    data.pop("period_kind")
    for point in data["trend"]:
        point["month"] = point.pop("start")
    old = loads(json.dumps(data))
    assert old.period_kind == "month" and old.period == reports["320613"].period
    assert [p.start for p in old.trend] == [p.start for p in reports["320613"].trend]


def test_the_schedule_makes_last_week_s_reports(demo, demo_store, end_day, tmp_path):
    settings = Settings.load(store=demo_store, demo_on_start=False, report_levels="",
                             report_week_levels="county",
                             report_archive=str(tmp_path / "archive"))
    assert due(settings) == {"week": ("county",)}

    class Store:  # the app store's one method the schedule uses
        @staticmethod
        def cursor():
            return demo

    out = scheduled_run(Store, settings)
    from dashboard.clock import store_now

    week = ReportPeriod.previous("week", store_now(demo).date())
    counties = [r[0] for r in demo.execute(
        "SELECT short_code FROM regions WHERE level = 'county' ORDER BY 1").fetchall()]
    assert sorted(o.region for o in out) == counties
    made = [o for o in out if o.status == "made"]
    if store_now(demo).date() > end_day + timedelta(days=7):
        assert not made  # the store's clock is past its data: last week has none
    for o in made:
        assert (o.entry.period_kind, o.entry.period, o.entry.origin) == \
            ("week", week.label, "schedule")
    archive = Archive(tmp_path / "archive")
    again = run_period(demo, archive, ("county",), week, now=store_now(demo),
                       formats=("xlsx",), ontime="closed")
    assert {o.status for o in again} <= {"skipped", "nodata"}


def test_cli_week_writes_the_file_named_by_its_week(demo_store, week, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep
           + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-m", "dashboard.cli", "report", "--store",
                          str(demo_store), "--week", week_label(week), "--region", "320613",
                          "--format", "docx", "--no-archive"], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    path = Path(out.stdout.strip())
    assert path.name == f"通报_320613_{week_label(week)}.docx" and (tmp_path / path).is_file()
    assert "周通报" in Document(str(tmp_path / path)).paragraphs[0].text


def test_replace_keeps_words_with_the_kind(reports):
    month = dataclasses.replace(reports["320613"], period_kind="month")
    assert month.words.say("本月") == "本月" and reports["320613"].words.say("本月") == "本周"
