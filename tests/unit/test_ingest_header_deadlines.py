"""Exports as platforms write them (tests/e2e/test_realworld.py found these): a title row
above the header (``[source] header_row``, and detected), a per-case time limit in days
(``deadline_days``), and a deadline written as a date, which means the end of that day."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from dashboard.ingest.load import load_files, store_area
from dashboard.ingest.mapping import Mapping, MappingError
from dashboard.ingest.readers import FileError
from tests.unit.ingest_helpers import connect, copy_store, incident_rows

IDENTITY = Mapping.identity("incidents")


@pytest.fixture(scope="module")
def env(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("header"))
    con = connect(path)
    yield con, store_area(con), tmp_path_factory.mktemp("files")
    con.close()


def _frame(con, n, prefix):
    return pd.DataFrame(incident_rows(con, n, prefix=prefix))


def _titled_csv(path, frame, title="某平台 事件明细（2026年11月）", encoding="utf-8-sig"):
    body = frame.to_csv(index=False)
    path.write_text(f"{title}{',' * (len(frame.columns) - 1)}\n{body}", encoding=encoding)


def _stored(con, prefix):
    return con.execute("SELECT case_no FROM incidents WHERE case_no LIKE $p ORDER BY case_no",
                       {"p": prefix + "%"}).fetchall()


def _quarantine(con, name):
    return con.execute("SELECT line, rule FROM quarantine WHERE source_file = $f "
                       "ORDER BY line", {"f": name}).fetchall()


@pytest.mark.parametrize("header_row", [None, 2])
def test_a_csv_with_a_title_row_above_the_header(env, header_row):
    con, area, d = env
    prefix = f"HT{header_row or 0}"
    frame = _frame(con, 4, prefix)
    frame.loc[2, "reported_at"] = "not a time"  # the 3rd record: physical line 5
    name = f"titled_{header_row}.csv"
    _titled_csv(d / name, frame)
    src = {"encoding": "utf-8-sig"} | ({"header_row": header_row} if header_row else {})
    mapping = Mapping.from_dict({"kind": "incidents", "source": src,
                                 "columns": {c: c for c in frame.columns}})
    s = load_files(con, "incidents", mapping, [d / name], area=area)
    assert (s.inserted, dict(s.by_rule)) == (3, {"unparseable_time": 1}), s.report()
    assert len(_stored(con, prefix)) == 3
    assert _quarantine(con, name) == [(5, "unparseable_time")]


def test_header_row_3_and_an_ordinary_file_unchanged(env):
    con, area, d = env
    frame = _frame(con, 2, "HR3")
    text = "导出说明\n导出时间 2026-11-02\n" + frame.to_csv(index=False)
    (d / "two_lines.csv").write_text(text, encoding="utf-8")
    mapping = Mapping.from_dict({"kind": "incidents", "source": {"header_row": 3},
                                 "columns": {c: c for c in frame.columns}})
    s = load_files(con, "incidents", mapping, [d / "two_lines.csv"], area=area)
    assert s.inserted == 2, s.report()
    # a file whose first row is the header: nothing detected, nothing skipped
    plain = _frame(con, 2, "HR1")
    plain.to_csv(d / "plain.csv", index=False)
    s = load_files(con, "incidents", IDENTITY, [d / "plain.csv"], area=area)
    assert s.inserted == 2, s.report()
    # the hash of a mapping without header_row is what it was
    assert "header_row" not in Mapping.identity("incidents").canonical()["source"]


def test_an_xlsx_with_a_merged_title_row(env):
    con, area, d = env
    for header_row in (None, 2):
        frame = _frame(con, 3, f"HX{header_row or 0}")
        wb = Workbook()
        ws = wb.active
        ws.append(["某平台 事件上报明细"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(frame.columns))
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
        name = f"merged_{header_row}.xlsx"
        wb.save(d / name)
        src = {"header_row": header_row} if header_row else {}
        mapping = Mapping.from_dict({"kind": "incidents", "source": src,
                                     "columns": {c: c for c in frame.columns}})
        s = load_files(con, "incidents", mapping, [d / name], area=area)
        assert s.inserted == 3 and s.quarantined == 0, s.report()
    assert len(_stored(con, "HX")) == 6


def test_bad_header_rows(env):
    con, area, d = env
    with pytest.raises(MappingError, match="header_row"):
        Mapping.from_dict({"kind": "incidents", "source": {"header_row": 0}})
    with pytest.raises(MappingError, match="header_row"):
        Mapping.from_dict({"kind": "incidents", "source": {"header_row": "2"}})
    frame = _frame(con, 1, "HB")
    frame.to_csv(d / "short.csv", index=False)
    mapping = Mapping.from_dict({"kind": "incidents", "source": {"header_row": 5},
                                 "columns": {c: c for c in frame.columns}})
    with pytest.raises(FileError, match="no header row 5"):
        load_files(con, "incidents", mapping, [d / "short.csv"], area=area)


def _deadlines(con, prefix):
    return [str(r[0]) for r in con.execute(
        "SELECT deadline_at FROM incidents WHERE case_no LIKE $p ORDER BY case_no",
        {"p": prefix + "%"}).fetchall()]


def test_a_case_time_limit_in_days(env):
    """办理时限(天) per row: 立案 + days (a half day is 12 hours); blank: the category's
    limit (E0102: 24 h); a deadline_at given wins; negative days are quarantined."""
    con, area, d = env
    frame = _frame(con, 5, "DD")
    frame["registered_at"] = "2026-11-01 09:00:00"
    frame["days"] = ["2", "0.5", "", "3", "-1"]
    frame["deadline_at"] = ["", "", "", "2026-11-02 10:00:00", ""]
    frame.to_csv(d / "days.csv", index=False)
    cols = {c: c for c in frame.columns if c != "days"} | {"deadline_days": "days"}
    mapping = Mapping.from_dict({"kind": "incidents", "columns": cols})
    s = load_files(con, "incidents", mapping, [d / "days.csv"], area=area)
    assert (s.inserted, dict(s.by_rule)) == (4, {"negative_value": 1}), s.report()
    assert _deadlines(con, "DD") == ["2026-11-03 09:00:00", "2026-11-01 21:00:00",
                                     "2026-11-02 09:00:00", "2026-11-02 10:00:00"]


def test_a_deadline_written_as_a_date_is_the_end_of_that_day(env):
    con, area, d = env
    g = con.execute("SELECT code FROM grids ORDER BY code LIMIT 1").fetchone()[0]
    frame = pd.DataFrame({
        "hazard_no": ["EOD1", "EOD2", "EOD3", "EOD4"], "type": "消防", "risk_level": "一般",
        "grid_code": g, "source": "网格员巡查",
        "found_at": "2026-11-01 08:00:00",
        "deadline_at": ["2026-11-05", "2026/11/5", "2026-11-05 12:00:00", "2026-11-04"],
        "rectified_at": "2026-11-05 15:00:00"})
    frame.to_csv(d / "hazards.csv", index=False)
    s = load_files(con, "hazards", Mapping.identity("hazards"), [d / "hazards.csv"], area=area)
    assert s.inserted == 4, s.report()
    got = con.execute("SELECT hazard_no, CAST(deadline_at AS VARCHAR), "
                      "rectified_at <= deadline_at FROM hazards WHERE hazard_no LIKE 'EOD%' "
                      "ORDER BY hazard_no").fetchall()
    assert got == [("EOD1", "2026-11-05 23:59:59.999999", True),
                   ("EOD2", "2026-11-05 23:59:59.999999", True),
                   ("EOD3", "2026-11-05 12:00:00", False),
                   ("EOD4", "2026-11-04 23:59:59.999999", False)]
    # a date-only time_format too
    frame2 = frame.iloc[:1].assign(hazard_no="EOD5", deadline_at="05.11.2026",
                                   found_at="01.11.2026", rectified_at="")
    frame2.to_csv(d / "hazards2.csv", index=False)
    m = Mapping.from_dict({"kind": "hazards", "source": {"time_format": "%d.%m.%Y"},
                           "columns": {c: c for c in frame2.columns}})
    s = load_files(con, "hazards", m, [d / "hazards2.csv"], area=area)
    assert s.inserted == 1, s.report()
    assert con.execute("SELECT CAST(found_at AS VARCHAR), CAST(deadline_at AS VARCHAR) "
                       "FROM hazards WHERE hazard_no = 'EOD5'").fetchone() == \
        ("2026-11-01 00:00:00", "2026-11-05 23:59:59.999999")
