"""The 通报 as docx, its archive (as-of snapshots, late records) and the schedule's runs.

The docx is read back with python-docx and checked against the xlsx of the same report
and against pandas over raw incidents; the archive is checked on a private copy of the
small import store into which records of the reported month are loaded after a report was
archived: the archived numbers must not move, the report must count the late records, and
a fresh computation (which does count them) must differ, so the test can fail.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from ingest_helpers import connect, copy_store, incident_rows
from openpyxl import load_workbook

from dashboard.clock import store_now
from dashboard.ingest.load import load_records, store_area
from dashboard.kpi import Scope
from dashboard.report import AsOfError, build_report, write_docx, write_xlsx
from dashboard.report.archive import Archive, dumps, generate, generate_all, loads
from dashboard.report.schedule import exclusive, parse_levels, previous_month, run_month
from dashboard.report.word import HEADLINE_HEADERS, headline_rows


def _month_before(con) -> date:
    end = con.execute("SELECT value FROM meta WHERE key = 'history_end'").fetchone()[0]
    return previous_month(datetime.fromisoformat(end).date())


@pytest.fixture(scope="module")
def month(demo) -> date:
    return _month_before(demo)


@pytest.fixture(scope="module")
def county(demo, month):
    return build_report(demo, Scope("320613", "admin"), f"{month:%Y-%m}",
                        as_of=datetime(2099, 1, 1))


def test_docx_headline_equals_xlsx_and_pandas(demo, county, month, tmp_path):
    path = write_docx(county, tmp_path / "r.docx")
    assert sorted(os.listdir(tmp_path)) == ["r.docx"]
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == county.title
    assert any(county.period_zh in t for t in texts)
    assert any(t.startswith("数据截至 2099-01-01 00:00:00") for t in texts)
    head = doc.tables[0]
    assert tuple(c.text for c in head.rows[0].cells) == HEADLINE_HEADERS
    body = [tuple(c.text for c in row.cells) for row in head.rows[1:]]
    assert body == headline_rows(county)
    # the xlsx of the same report holds the same values, as numbers
    ws = load_workbook(write_xlsx(county, tmp_path / "r.xlsx"))["概览"]
    by_name = {ws.cell(row=6 + i, column=1).value: ws.cell(row=6 + i, column=3).value
               for i in range(len(county.headline))}
    reported = by_name["上报数"]
    # and pandas over raw incidents counts the same 上报数 and 结案数
    raw = demo.execute("SELECT grid_code, reported_at, closed_at FROM incidents").df()
    start = pd.Timestamp(month)
    end = start + pd.offsets.MonthBegin(1)
    mine = raw[raw["grid_code"].str.startswith("320613")]
    n_reported = int(((mine["reported_at"] >= start) & (mine["reported_at"] < end)).sum())
    n_closed = int(((mine["closed_at"] >= start) & (mine["closed_at"] < end)).sum())
    assert reported == n_reported
    row = dict(zip([r[0] for r in body], body, strict=True))
    assert row["上报数"][1] == f"{n_reported:,} 件"
    assert row["结案数"][1] == f"{n_closed:,} 件"
    # the overdue table lists the report's worst cases, in order
    overdue = next(t for t in doc.tables if t.rows[0].cells[1].text == "案件编号")
    assert [r.cells[1].text for r in overdue.rows[1:]] == [
        o.case_no for o in county.overdue[:50]]


def test_docx_sets_east_asian_fonts(county, tmp_path):
    doc = Document(str(write_docx(county, tmp_path / "r.docx")))
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert doc.styles["Title"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    # body runs carry the attribute themselves; headings and the title inherit their style's
    runs = [r for p in doc.paragraphs if p.style.name == "Normal" for r in p.runs if r.text]
    cells = [r for t in doc.tables for c in t.rows[1].cells for p in c.paragraphs
             for r in p.runs]
    assert len(runs) > 5 and len(cells) > 20
    for run in runs + cells:
        assert run._element.rPr.rFonts.get(qn("w:eastAsia")) in ("宋体", "黑体")


def test_snapshot_round_trip_is_exact(county):
    again = loads(dumps(county))
    assert again == county
    assert again.headline[0].value == county.headline[0].value


# --- the archive and late records -----------------------------------------------------


@pytest.fixture(scope="module")
def late_env(ingest_store, tmp_path_factory):
    """A private copy of the small store, a report of its last whole month archived as of
    now, then 7 incidents of that month loaded after it (the late records)."""
    d = tmp_path_factory.mktemp("late")
    path = copy_store(ingest_store, d)
    con = connect(path)
    first = _month_before(con)
    archive = Archive(d / "archive")
    as_of = store_now(con).replace(microsecond=0) - timedelta(seconds=1)
    made = generate(con, archive, "320612", first, as_of=as_of, now=as_of,
                    formats=["docx", "xlsx"])
    day = (first + timedelta(days=14)).isoformat()
    rows = [r for r in incident_rows(con, 40, prefix="LATE", day=day)][:7]
    summary = load_records(con, "incidents", rows, source="late-test",
                           area=store_area(con))
    assert summary.balanced(), summary.report()
    yield {"con": con, "archive": archive, "as_of": as_of, "first": first, "made": made,
           "rows": rows}
    con.close()


def test_first_generation_is_made_and_indexed(late_env):
    made = late_env["made"]
    assert made.status == "made"
    assert made.entry.formats == ("docx", "xlsx")
    assert made.report.late == []
    folder = late_env["archive"].root / made.entry.id
    assert sorted(os.listdir(folder)) == sorted(
        ["snapshot.json", f"通报_320612_{late_env['first']:%Y-%m}.docx",
         f"通报_320612_{late_env['first']:%Y-%m}.xlsx"])
    assert made.entry.kpis["reported"] == made.report.headline[0].value


def test_same_as_of_gives_the_same_numbers_after_late_records(late_env):
    con, archive, as_of = late_env["con"], late_env["archive"], late_env["as_of"]
    in_grid = sum(r["grid_code"].startswith("320612") if "grid_code" in r else True
                  for r in late_env["rows"])
    again = generate(con, archive, "320612", late_env["first"], as_of=as_of,
                     now=store_now(con), formats=["pdf"])
    assert again.status == "archived"
    assert again.entry.id == late_env["made"].entry.id
    assert again.report.headline == late_env["made"].report.headline
    assert again.entry.formats == ("docx", "pdf", "xlsx")  # the missing format added
    # the late records are counted (by category), by pandas over the raw rows
    raw = con.execute("""SELECT i.grid_code, i.reported_at, b.finished_at FROM incidents i
                         JOIN import_batches b ON b.id = i.batch_id""").df()
    start = pd.Timestamp(late_env["first"])
    late = raw[raw["grid_code"].str.startswith("320612") & (raw["reported_at"] >= start)
               & (raw["reported_at"] < start + pd.offsets.MonthBegin(1))
               & (raw["finished_at"] > pd.Timestamp(as_of))]
    assert again.report.late_total == len(late) > 0
    assert in_grid >= len(late)
    # a fresh computation counts them, so the archived numbers are not just any numbers
    fresh = build_report(con, Scope("320612", "admin"), late_env["first"])
    key = {h.key: h.value for h in fresh.headline}
    assert key["reported"] == again.report.headline[0].value + len(late)
    # the archived docx shows the archived number; the report rendered now says how many
    # records arrived after the as-of
    doc = Document(str(archive.path(again.entry, "pdf").with_suffix(".docx")))
    assert doc.tables[0].rows[1].cells[1].text == f"{again.report.headline[0].value:,.0f} 件"
    now_doc = Document(str(write_docx(again.report, late_env["archive"].root / "x.docx")))
    (line,) = [p.text for p in now_doc.paragraphs if p.text.startswith("截至时点后")]
    assert f"本期记录 {len(late):,} 条" in line
    os.unlink(late_env["archive"].root / "x.docx")


def test_an_old_as_of_without_archive_is_refused(late_env):
    con = late_env["con"]
    with pytest.raises(AsOfError, match="arrived after"):
        build_report(con, Scope("320612", "admin"), late_env["first"],
                     as_of=late_env["as_of"] - timedelta(minutes=5))


def test_generate_all_and_the_schedule_skip_archived(late_env):
    con, archive = late_env["con"], late_env["archive"]
    now = store_now(con)
    out = run_month(con, archive, ("county",), late_env["first"], now=now,
                    formats=("pdf",), ontime="closed")
    by_region = {o.region: o.status for o in out}
    assert by_region["320612"] == "skipped"  # archived at another as-of: the schedule skips
    assert set(by_region.values()) <= {"skipped", "made", "nodata"}
    assert "made" in by_region.values()
    again = run_month(con, archive, ("county",), late_env["first"], now=now,
                      formats=("pdf",), ontime="closed")
    assert {o.status for o in again} <= {"skipped", "nodata"}
    # the cron path at the schedule's as-of returns its archived reports; 320612 was
    # archived at another as-of only, so it gets a report of this one
    cron = {o.region: o.status for o in generate_all(
        con, archive, "county", late_env["first"], as_of=now, now=now, formats=("pdf",))}
    assert cron.pop("320612") == "made"
    assert set(cron.values()) <= {"archived", "nodata"}
    with sqlite3.connect(archive.root / "index.sqlite") as db:
        n = db.execute("SELECT count(*) FROM reports WHERE period = ?",
                       (f"{late_env['first']:%Y-%m}",)).fetchone()[0]
    assert n == sum(o.status == "made" for o in out) + 2


def test_the_schedule_lock_admits_one_run(tmp_path):
    archive = Archive(tmp_path / "a")
    with exclusive(archive) as first:
        code = ("import sys; sys.path.insert(0, sys.argv[1]);"
                "from dashboard.report.archive import Archive;"
                "from dashboard.report.schedule import exclusive;"
                "a = Archive(sys.argv[2]);"
                "cm = exclusive(a); print(cm.__enter__())")
        other = subprocess.run([sys.executable, "-c", code, os.getcwd(), str(archive.root)],
                               capture_output=True, text=True, timeout=60)
        assert first is True
        assert other.stdout.strip() == "False", other.stderr
    with exclusive(archive) as again:
        assert again is True


def test_levels_setting_is_checked():
    assert parse_levels(" County,town,county") == ("county", "town")
    with pytest.raises(ValueError, match="province"):
        parse_levels("province")


def test_archive_refuses_malformed_ids(tmp_path, county):
    archive = Archive(tmp_path / "a")
    entry = archive.add(dataclasses.replace(county, as_of=datetime(2099, 1, 1)), ["pdf"],
                        generated_at=datetime(2099, 1, 1), origin="cli")
    assert archive.get(entry.id) == entry
    for bad in ("../index", entry.id.upper(), entry.id + "0", "", None, "%"):
        assert archive.get(bad) is None
    with pytest.raises(FileExistsError):
        archive.add(county, ["pdf"], generated_at=datetime(2099, 1, 1), origin="cli")
    assert sorted(os.listdir(archive.root)) == sorted([entry.id, "index.sqlite"])


_WORKER = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from dashboard.report.schedule import start
from dashboard.settings import Settings
from dashboard.store import Store
settings = Settings.load(store=sys.argv[2], demo_on_start=False, report_levels="county",
                         report_archive=sys.argv[3])
campaign = start(Store(sys.argv[2]), settings, catch_up=False, retry=0.2)
print("started", flush=True)
campaign.leading.wait()
print("leading", os.getpid(), sorted(j.id for j in campaign.scheduler.get_jobs()), flush=True)
time.sleep(600)
"""


def test_one_scheduler_runs_across_workers_and_another_takes_over(demo_store, tmp_path):
    """Two worker processes campaign for the scheduler: one leads, the other waits; after a
    kill -9 of the leader the other leads within a few retries."""
    import queue
    import signal
    import threading
    import time

    lines: queue.Queue = queue.Queue()

    def worker():
        proc = subprocess.Popen([sys.executable, "-c", _WORKER, os.getcwd(), str(demo_store),
                                 str(tmp_path / "archive")], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=lambda: [lines.put((proc.pid, line.split()))
                                         for line in proc.stdout], daemon=True).start()
        return proc

    def next_line(timeout=60.0):
        return lines.get(timeout=timeout)

    first = worker()
    second = None
    try:
        seen = {}
        while "leading" not in seen.get(first.pid, []):
            pid, words = next_line()
            seen.setdefault(pid, []).append(words[0])
            if words[0] == "leading":
                assert words[2:] == ["['report-monthly']"]
        second = worker()
        pid, words = next_line()
        assert (pid, words) == (second.pid, ["started"])
        time.sleep(1.5)  # seven retries of the second: the lock is held
        assert lines.empty()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        pid, words = next_line(timeout=30)
        assert (pid, words[0]) == (second.pid, "leading")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
