"""The monthly 通报: its numbers against independent computations, its files, its CLI.

The report is a window on the KPI layer and on raw incidents, so every table is checked
against a second way of getting the same numbers: ``kpis`` for the headline and trend,
``score_regions`` for the sub-region league, plain pandas over raw incidents for the top
categories, the department league and the overdue list. The month is the one before the
store's ``history_end`` month, so nothing depends on today's date.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.kpi import Scope, kpis
from dashboard.kpi.evaluation import grade, score_departments, score_regions
from dashboard.periods import parse_month
from dashboard.report import (
    HEADLINE_KEYS,
    NoDataError,
    atomic_path,
    build_report,
    department_ranking,
    write_pdf,
    write_xlsx,
)
from dashboard.report.data import TOP_CATEGORIES
from dashboard.report.xlsx import (
    CATEGORY_HEADERS,
    DEPARTMENT_HEADERS,
    HEADLINE_HEADERS,
    OVERDUE_HEADERS,
    REGION_HEADERS,
    SHEETS,
    TREND_HEADERS,
)


def gridcmd(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH",
                                                                                "")}
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=300, cwd=cwd, env=env)


def close(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def month(demo) -> date:
    """First day of the month before the store's history_end month: complete, with data."""
    end = demo.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    first = datetime.fromisoformat(end).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


@pytest.fixture(scope="module")
def bounds(month) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(month)
    return start, start + pd.offsets.MonthBegin(1)


@pytest.fixture(scope="module")
def raw(demo) -> pd.DataFrame:
    return demo.execute("SELECT * FROM incidents").df()


@pytest.fixture(scope="module")
def reports(demo, month) -> dict[str, object]:
    return {region: build_report(demo, Scope(region, "admin"), f"{month:%Y-%m}")
            for region in ("3206", "320613")}


def scoped(raw: pd.DataFrame, region: str) -> pd.DataFrame:
    return raw[raw["grid_code"].str.startswith(region)]


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_headline_equals_the_engine(demo, reports, month, region):
    report = reports[region]
    last = parse_month(month)[1]
    now = kpis(demo, Scope(region, "admin"), month, last, keys=list(HEADLINE_KEYS))
    prev_first = (month - timedelta(days=1)).replace(day=1)
    prev = kpis(demo, Scope(region, "admin"), prev_first, month - timedelta(days=1),
                keys=list(HEADLINE_KEYS))
    # 同比: the same calendar month a year earlier, whole (the months here are whole)
    yoy_first = month.replace(year=month.year - 1)
    yoy_last = (yoy_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    yoy = kpis(demo, Scope(region, "admin"), yoy_first, yoy_last, keys=list(HEADLINE_KEYS))
    now, prev = now.set_index("key")["value"], prev.set_index("key")["value"]
    yoy = yoy.set_index("key")["value"]
    assert [h.key for h in report.headline] == list(HEADLINE_KEYS)
    for h in report.headline:
        assert close(h.value, now[h.key]), h.key
        assert close(h.mom_value, prev[h.key]), h.key
        if h.yoy_value is not None:  # None where the store does not cover that month
            assert close(h.yoy_value, yoy[h.key]), h.key
        for base, change, rel, improved in (
                (h.mom_value, h.mom_change, h.mom_change_rel, h.mom_improved),
                (h.yoy_value, h.yoy_change, h.yoy_change_rel, h.yoy_improved)):
            if h.value is None or base is None:
                assert change is None and rel is None and improved is None, h.key
                continue
            assert close(change, h.value - base)
            assert (rel is None) if base == 0 else close(rel, (h.value - base) / base)
            if change != 0:
                assert improved == ((change > 0) == (h.better == "higher"))
    assert report.headline[0].value > 0
    assert report.title == f"{report.region_name}月度网格化治理工作通报"
    assert report.date_from == month and report.date_to == last


def test_trend_is_twelve_months_of_engine_values(demo, reports, month):
    report = reports["3206"]
    assert len(report.trend) == 12 and report.trend[-1].start == month
    first = report.trend[0].start
    frame = kpis(demo, Scope("3206", "admin"), first, parse_month(month)[1],
                 keys=["reported", "close_rate", "satisfaction_rate", "avg_handle_hours"],
                 by="month")
    wide = frame.pivot(index="period", columns="key", values="value")
    for p in report.trend:
        for key in ("reported", "close_rate", "satisfaction_rate", "avg_handle_hours"):
            assert close(getattr(p, key), wide.loc[p.start, key]), (p.start, key)


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_top_categories_equal_pandas(reports, raw, bounds, region):
    start, end = bounds
    rows = scoped(raw, region)
    month = rows[(rows["reported_at"] >= start) & (rows["reported_at"] < end)]
    counts = month.groupby("category_code").size()
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
    report = reports[region]
    assert [(c.code, c.reported) for c in report.categories] == expected
    assert report.categories_total == len(month) == report.headline[0].value
    for c in report.categories:
        assert close(c.share, c.reported / len(month))
    prev = rows[(rows["reported_at"] >= start - pd.offsets.MonthBegin(1))
                & (rows["reported_at"] < start)].groupby("category_code").size()
    assert [c.prev_reported for c in report.categories] == [
        int(prev.get(c.code, 0)) for c in report.categories]


def overdue_frame(raw, region, start, end):
    rows = scoped(raw, region)
    rows = rows[~rows["is_void"] & rows["deadline_at"].notna()]
    is_open = (rows["deadline_at"] < end) & (rows["closed_at"].isna() | (rows["closed_at"] >= end))
    late = ((rows["closed_at"] >= start) & (rows["closed_at"] < end)
            & (rows["closed_at"] > rows["deadline_at"]))
    return rows[is_open], rows[late & ~is_open]


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_overdue_list_counts_equal_pandas(reports, raw, bounds, region):
    start, end = bounds
    open_rows, late_rows = overdue_frame(raw, region, start, end)
    report = reports[region]
    assert report.overdue_open_total == len(open_rows)
    assert report.overdue_late_total == len(late_rows)
    assert report.overdue_total == len(open_rows) + len(late_rows) > 0
    overdue_kpi = next(h for h in report.headline if h.key == "overdue")
    assert report.overdue_open_total == overdue_kpi.value
    assert len(report.overdue) == min(200, report.overdue_total)
    days = [o.days_overdue for o in report.overdue]
    assert days == sorted(days, reverse=True)
    expected = pd.concat([
        (end - open_rows["deadline_at"]).dt.total_seconds() / 86400,
        (late_rows["closed_at"] - late_rows["deadline_at"]).dt.total_seconds() / 86400])
    assert close(days[0], expected.max())
    cases = set(open_rows["case_no"]) | set(late_rows["case_no"])
    assert {o.case_no for o in report.overdue} <= cases
    for o in report.overdue:
        assert o.kind in ("超期未结", "逾期结案") and o.category and o.grid and o.village


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_department_counts_equal_pandas(reports, raw, bounds, region):
    start, end = bounds
    rows = scoped(raw, region)
    rows = rows[~rows["is_void"] & rows["dept_code"].notna()]
    closed = rows[(rows["closed_at"] >= start) & (rows["closed_at"] < end)]
    open_rows = rows[rows["deadline_at"].notna() & (rows["deadline_at"] < end)
                     & (rows["closed_at"].isna() | (rows["closed_at"] >= end))]
    expected = pd.DataFrame({
        "closed": closed.groupby("dept_code").size(),
        "closed_ontime": closed[closed["closed_at"] <= closed["deadline_at"]]
        .groupby("dept_code").size(),
        "closed_late": closed[closed["closed_at"] > closed["deadline_at"]]
        .groupby("dept_code").size(),
        "overdue_open": open_rows.groupby("dept_code").size(),
    }).fillna(0).astype(int)
    got = pd.DataFrame([{"dept_code": d.code, "closed": d.closed,
                         "closed_ontime": d.closed_ontime, "closed_late": d.closed_late,
                         "overdue_open": d.overdue_open} for d in reports[region].departments])
    got = got.set_index("dept_code").sort_index()
    pd.testing.assert_frame_equal(got, expected.sort_index(), check_names=False)


def test_department_ranking_respects_minimum_volume_and_grades(demo, month):
    last = parse_month(month)[1]
    rows = department_ranking(demo, Scope("3206", "admin"), month, last, min_volume=3)
    ranked = [d for d in rows if d.ranked]
    assert ranked and any(not d.ranked for d in rows)
    assert rows[:len(ranked)] == ranked, "ranked departments come first"
    assert [d.rank for d in ranked] == sorted(d.rank for d in ranked)
    for d in rows:
        assert d.ranked == (d.closed >= 3)
        assert close(d.ontime_rate, d.closed_ontime / d.closed if d.closed else None)
        if d.ranked:
            assert d.grade == grade(d.score)
            assert d.ontime_lo <= d.ontime_rate <= d.ontime_hi
        else:
            assert d.grade is None and d.rank is None
    scores = [d.score for d in ranked]
    assert scores == sorted(scores, reverse=True)


def test_department_ontime_due_definition(demo, month):
    last = parse_month(month)[1]
    for d in department_ranking(demo, Scope("3206", "admin"), month, last, ontime="due"):
        den = d.closed + d.overdue_open
        assert close(d.ontime_rate, d.closed_ontime / den if den else None)


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_department_league_is_score_departments(demo, reports, month, region):
    last = parse_month(month)[1]
    scores = score_departments(demo, Scope(region, "admin"), month, last).set_index("dept_code")
    rows = reports[region].departments
    assert sorted(d.code for d in rows) == sorted(scores.index)
    for d in rows:
        s = scores.loc[d.code]
        assert d.name == s["name"] and d.tier == s["tier"]
        assert d.ranked == bool(s["ranked"])
        assert close(d.score, s["score_shrunk"])
        assert d.grade == (s["grade"] if d.ranked else None)
        assert close(d.ontime_rate, s["ontime_rate"])
        assert close(d.ontime_lo, s["ontime_rate_lo"]) and close(d.ontime_hi, s["ontime_rate_hi"])
        if d.closed:
            assert close(d.ontime_shrunk, s["ontime_rate_shrunk"])


def test_department_league_composite_grades_when_ranked(demo, month):
    last = parse_month(month)[1]
    rows = department_ranking(demo, Scope("3206", "admin"), month, last, min_volume=3)
    assert any(d.ranked for d in rows)
    for d in rows:
        if d.ranked:
            assert d.grade == grade(d.score)
        else:
            assert d.grade is None


def test_subregions_are_score_regions_with_names(demo, reports, month):
    report = reports["3206"]
    assert report.subregion_level == "county"
    scores = score_regions(demo, Scope("3206", "admin"), month, parse_month(month)[1], "county")
    assert [r.code for r in report.subregions] == scores["region"].tolist()
    assert [r.grade for r in report.subregions] == [
        g if ranked else None for g, ranked in zip(scores["grade"], scores["ranked"], strict=True)]
    assert [r.rank for r in report.subregions] == [
        None if pd.isna(k) else int(k) for k in scores["rank"]]
    assert any(r.ranked for r in report.subregions)
    names = dict(demo.execute("SELECT short_code, name FROM regions WHERE level = 'county'")
                 .fetchall())
    assert all(r.name == names[r.code] for r in report.subregions)
    assert reports["320613"].subregion_level == "town"


@pytest.fixture(scope="module")
def villages(raw, bounds, demo) -> tuple[str, str]:
    """The busiest village of the month, and a village without any case at all."""
    start, end = bounds
    month = raw[(raw["reported_at"] >= start) & (raw["reported_at"] < end)]
    busy = month["grid_code"].str[:12].value_counts().index[0]
    used = set(raw["grid_code"].str[:12])
    all_villages = [c for (c,) in demo.execute(
        "SELECT short_code FROM regions WHERE level = 'village' ORDER BY code").fetchall()]
    return busy, next(v for v in all_villages if v not in used)


def test_village_report_ranks_its_grids(demo, month, villages):
    report = build_report(demo, Scope(villages[0], "admin"), month)
    assert report.subregion_level == "grid"
    assert all(r.code.startswith(villages[0]) and len(r.code) == 15 for r in report.subregions)
    assert all("网格" in r.name for r in report.subregions)


def test_empty_months_and_months_outside_the_store_are_refused(demo, month, villages):
    with pytest.raises(NoDataError, match="no data for month"):
        build_report(demo, Scope(villages[1], "admin"), month)
    end = demo.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    running = datetime.fromisoformat(end).date()
    for bad in (date(running.year + 1, 1, 1), date(1999, 1, 1)):
        with pytest.raises(NoDataError, match="no data for month"):
            build_report(demo, Scope("3206", "admin"), bad)
    # the month still running is reported over its days so far (tests/unit/
    # test_report_edges.py checks partial months in detail)
    partial = build_report(demo, Scope("3206", "admin"), running)
    assert partial.partial and partial.date_to == running
    with pytest.raises(ValueError, match="not a month"):
        build_report(demo, Scope("3206", "admin"), "2024-13")
    with pytest.raises(ValueError, match="unknown region"):
        build_report(demo, Scope("3299", "admin"), month)


def test_xlsx_has_the_sheets_headers_chart_and_numbers(reports, tmp_path):
    report = reports["320613"]
    path = write_xlsx(report, tmp_path / "r.xlsx")
    assert sorted(os.listdir(tmp_path)) == ["r.xlsx"]
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS)

    def header(ws, row=1, n=None):
        return tuple(c.value for c in ws[row][:n or ws.max_column])

    ov = wb["概览"]
    assert ov["A1"].value == report.title
    assert header(ov, 5, len(HEADLINE_HEADERS)) == HEADLINE_HEADERS
    for i, h in enumerate(report.headline):
        assert ov.cell(row=6 + i, column=1).value == h.name
        assert close(ov.cell(row=6 + i, column=3).value, h.value)
        assert close(ov.cell(row=6 + i, column=4).value, h.mom_value)
        if h.kind == "rate":
            assert ov.cell(row=6 + i, column=3).number_format == "0.0%"
    trend = wb["趋势"]
    assert header(trend, 1, len(TREND_HEADERS)) == TREND_HEADERS
    assert len(trend._charts) >= 1
    assert [trend.cell(row=2 + i, column=2).value for i in range(len(report.trend))] == [
        p.reported for p in report.trend]
    cats = wb["类别"]
    assert header(cats, 1, len(CATEGORY_HEADERS)) == CATEGORY_HEADERS
    assert [(cats.cell(row=2 + i, column=2).value, cats.cell(row=2 + i, column=6).value)
            for i in range(len(report.categories))] == [
        (c.code, c.reported) for c in report.categories]
    assert header(wb["区域排名"], 1, len(REGION_HEADERS)) == REGION_HEADERS
    assert [wb["区域排名"].cell(row=2 + i, column=2).value
            for i in range(len(report.subregions))] == [r.code for r in report.subregions]
    depts = wb["部门排名"]
    assert header(depts, 1, len(DEPARTMENT_HEADERS)) == DEPARTMENT_HEADERS
    assert sum(depts.cell(row=2 + i, column=6).value
               for i in range(len(report.departments))) == sum(d.closed
                                                               for d in report.departments)
    assert [depts.cell(row=2 + i, column=15).value for i in range(len(report.departments))] == [
        d.score for d in report.departments]
    over = wb["超期清单"]
    assert header(over, 1, len(OVERDUE_HEADERS)) == OVERDUE_HEADERS
    assert [over.cell(row=2 + i, column=2).value for i in range(len(report.overdue))] == [
        o.case_no for o in report.overdue]
    assert over.column_dimensions["B"].width > 10


def test_pdf_is_a_pdf_with_the_title(reports, tmp_path):
    report = reports["320613"]
    path = write_pdf(report, tmp_path / "r.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    assert sorted(os.listdir(tmp_path)) == ["r.pdf"]
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: PDF text not checked")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, encoding="utf-8", check=True).stdout
    assert report.title in text.replace(" ", "")
    assert report.region_name in text
    assert report.overdue[0].case_no in text


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "x.pdf") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "docx"])
def test_cli_writes_the_file_and_prints_its_path(demo_store, month, tmp_path, fmt):
    out = gridcmd("report", "--store", str(demo_store), "--month", f"{month:%Y-%m}",
                  "--region", "320613", "--format", fmt, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    name = f"通报_320613_{month:%Y-%m}.{fmt}"
    assert out.stdout.strip() == name
    assert os.listdir(tmp_path) == [name]
    head = (tmp_path / name).read_bytes()[:4]
    assert head == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")


def test_cli_out_path(demo_store, month, tmp_path):
    target = tmp_path / "sub" / "月报.pdf"
    target.parent.mkdir()
    out = gridcmd("report", "--store", str(demo_store), "--month", f"{month:%Y-%m}",
                  "--region", "3206", "--out", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(target) and target.read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2024-13"], "--month: not a month"),
        (["--month", "2024-1"], "--month: not a month"),
        (["--month", "October"], "--month: not a month"),
        (["--month", "1999-01"], "no data for month 1999-01"),
        (["--month", "AFTER"], "no day of that month"),
        (["--region", "EMPTY"], "no data for month"),
        (["--region", "3299"], "unknown region '3299'"),
        (["--region", "32x6"], "invalid region code"),
        (["--region", "32061"], "invalid region code"),
        (["--region", "320613001001001"], "grid code"),
        (["--format", "rtf"], "unknown format 'rtf'"),
        (["--as-of", "yesterday"], "--as-of: not an ISO date-time"),
        (["--as-of", "2026-01-01T00:00+08:00"], "without an offset"),
        (["--as-of", "1999-01-01"], "arrived after it"),
        (["--level", "county"], "--level goes with --all"),
        (["--format", "pdf", "--out", "OUT/r.xlsx"], "ends in .xlsx"),
        (["--out", "OUT/missing/r.pdf"], "does not exist"),
        (["--out", "OUT"], "is a directory"),
        (["--store", "MISSING"], "store not found"),
    ],
)
def test_bad_input_exits_2_and_leaves_no_file(demo_store, demo, month, villages, tmp_path,
                                              args, message):
    end = demo.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    subs = {"MISSING": str(tmp_path / "missing.duckdb"), "EMPTY": villages[1],
            "AFTER": f"{datetime.fromisoformat(end).year + 1}-01"}
    argv = {"--store": str(demo_store), "--month": f"{month:%Y-%m}", "--region": "3206",
            "--format": "pdf"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        argv[flag] = subs.get(value, value.replace("OUT", str(tmp_path)))
    out = gridcmd("report", *[x for kv in argv.items() for x in kv], cwd=tmp_path)
    assert out.returncode == 2, out.stdout
    assert out.stderr.startswith("gridcmd: error: ")
    assert message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stdout == ""
    assert os.listdir(tmp_path) == [], "no file may be left behind"


def test_missing_arguments_exit_2(demo_store, tmp_path):
    for argv, message in ((["--region", "3206", "--format", "pdf"],
                           "--month (YYYY-MM) or --week (YYYY-Www) is required"),
                          (["--month", "2024-01", "--week", "2024-W02", "--region", "3206"],
                           "--month and --week exclude each other"),
                          (["--week", "2024-W54", "--region", "3206", "--format", "pdf"],
                           "--week: not a week"),
                          (["--month", "2024-01", "--format", "pdf"], "--region is required"),
                          (["--month", "2024-01", "--region", "3206"], "--format is required")):
        out = gridcmd("report", "--store", str(demo_store), *argv, cwd=tmp_path)
        assert out.returncode == 2 and message in out.stderr
    assert os.listdir(tmp_path) == []


def test_cli_all_writes_every_county_into_the_archive(demo_store, demo, month, tmp_path):
    archive = tmp_path / "archive"
    out = gridcmd("report", "--store", str(demo_store), "--all", "--level", "county",
                  "--month", f"{month:%Y-%m}", "--format", "pdf", "--archive", str(archive),
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    counties = [r[0] for r in demo.execute(
        "SELECT short_code FROM regions WHERE level = 'county' ORDER BY 1").fetchall()]
    lines = [line.split("\t") for line in out.stdout.strip().splitlines()]
    assert [line[0] for line in lines] == counties
    made = [line for line in lines if line[1] == "made"]
    assert made and all(line[1] in ("made", "nodata") for line in lines)
    for _, _, folder in made:
        assert any(name.endswith(".pdf") for name in os.listdir(folder))
    assert os.listdir(tmp_path) == ["archive"]
