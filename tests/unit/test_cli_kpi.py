"""``gridcmd kpi`` run as a real process against the session's demo store.

The CLI must print exactly what the engine computes (it is a window on ``kpis``, not a
second implementation), and every kind of bad input must end in one clear line and exit 2.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from datetime import date, timedelta

import duckdb
import pytest

from dashboard.kpi import KPIS, Scope, kpis
from dashboard.kpi.cli_format import display_width, format_value, render_table
from dashboard.kpi.registry import get
from dashboard.settings import Settings

KEYS = ["reported", "close_rate", "avg_handle_hours", "overdue", "satisfaction_rate"]


def gridcmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


@pytest.fixture(scope="module")
def months(demo_store) -> tuple[date, date]:
    """The last two full calendar months of the store's history (it ends near today)."""
    with duckdb.connect(str(demo_store), read_only=True) as con:
        last = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0].date()
    end = last.replace(day=1) - timedelta(days=1)
    start = (end.replace(day=1) - timedelta(days=1)).replace(day=1)
    return start, end


def direct(demo_store, region, d0, d1, keys=None, by=None):
    with duckdb.connect(str(demo_store), read_only=True) as con:
        return kpis(con, Scope(region, "admin"), d0, d1, keys=keys, by=by)


def same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def base(demo_store, d0, d1, region="3206"):
    return ["kpi", "--store", str(demo_store), "--region", region, "--from", d0.isoformat(),
            "--to", d1.isoformat()]


@pytest.mark.parametrize("region", ["3206", "320613"])
def test_json_equals_the_engine(demo_store, months, region):
    d0, d1 = months
    out = gridcmd(*base(demo_store, d0, d1, region), "--format", "json")
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    expected = direct(demo_store, region, d0, d1)
    assert [r["key"] for r in records] == expected["key"].tolist() == [k.key for k in KPIS]
    for rec, exp in zip(records, expected.to_dict("records"), strict=True):
        for col in ("value", "numerator", "denominator"):
            assert same(rec[col], exp[col]), (rec["key"], col, rec[col], exp[col])
    assert any(r["value"] for r in records), "the period should have data"


def test_csv_parses_with_the_same_numbers(demo_store, months):
    d0, d1 = months
    out = gridcmd(*base(demo_store, d0, d1), "--kpi", *KEYS, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    expected = direct(demo_store, "3206", d0, d1, keys=KEYS)
    assert [r["key"] for r in rows] == KEYS
    for row, exp in zip(rows, expected.to_dict("records"), strict=True):
        for col in ("value", "numerator", "denominator"):
            got = float(row[col]) if row[col] else None
            assert same(got, exp[col]), (row["key"], col)


def test_by_month_gives_one_row_per_month_per_kpi(demo_store, months):
    d0, d1 = months
    out = gridcmd(*base(demo_store, d0, d1), "--by", "month", "--kpi", *KEYS,
                  "--format", "json")
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert len(records) == 2 * len(KEYS)
    periods = {r["period"] for r in records}
    assert periods == {d0.isoformat(), d1.replace(day=1).isoformat()}
    expected = direct(demo_store, "3206", d0, d1, keys=KEYS, by="month")
    for rec, exp in zip(records, expected.to_dict("records"), strict=True):
        assert rec["period"] == exp["period"].isoformat() and rec["key"] == exp["key"]
        assert same(rec["value"], exp["value"])


def test_table_shows_chinese_names_and_units(demo_store, months):
    d0, d1 = months
    out = gridcmd(*base(demo_store, d0, d1), "--kpi", *KEYS, "--by", "month")
    assert out.returncode == 0, out.stderr
    head, *lines = out.stdout.splitlines()
    # a line naming the region and the period, then the table
    assert head.startswith("地区 region: 南通市 (3206)") and f"{d0} 至 {d1}" in head
    assert lines[0].split() == ["期间", "指标", "代码", "数值", "分子", "分母"]
    assert len(lines) == 2 + 2 * len(KEYS)
    for name in ("上报数", "结案率", "平均处置时长", "超期数", "满意率"):
        assert name in out.stdout
    assert "%" in out.stdout and "小时" in out.stdout and " 件" in out.stdout
    # columns line up with CJK counted as two: every 数值 cell ends where its rule ends
    value_end = sum(len(seg) + 2 for seg in lines[1].split("  ")[:4]) - 3
    for line in lines[2:]:
        slots = "".join(ch * display_width(ch) for ch in line)
        assert slots[value_end] != " " and slots[value_end + 1] == " ", line


def test_kpi_accepts_chinese_names_and_commas(demo_store, months):
    d0, d1 = months
    out = gridcmd(*base(demo_store, d0, d1), "--kpi", "结案率,reported", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [r["key"] for r in json.loads(out.stdout)] == ["close_rate", "reported"]


def test_month_shorthand_covers_whole_months(demo_store, months):
    d0, d1 = months
    out = gridcmd("kpi", "--store", str(demo_store), "--region", "3206", "--from",
                  d0.strftime("%Y-%m"), "--to", d1.strftime("%Y-%m"), "--kpi", "reported",
                  "--format", "json")
    assert out.returncode == 0, out.stderr
    exp = direct(demo_store, "3206", d0, d1, keys=["reported"])
    assert json.loads(out.stdout)[0]["value"] == exp["value"].iloc[0]


def test_empty_period_is_zero_not_an_error(demo_store):
    d0 = d1 = date(1990, 1, 1)
    out = gridcmd(*base(demo_store, d0, d1), "--kpi", "reported", "close_rate", "--format",
                  "json")
    assert out.returncode == 0, out.stderr
    reported, close_rate = json.loads(out.stdout)
    assert reported["value"] == 0 and reported["denominator"] is None
    assert close_rate["value"] is None and close_rate["denominator"] == 0
    table = gridcmd(*base(demo_store, d0, d1), "--kpi", "close_rate")
    assert table.returncode == 0 and "–" in table.stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_list_prints_the_registry(fmt):
    out = gridcmd("kpi", "--list", "--format", fmt)
    assert out.returncode == 0, out.stderr
    for kpi in KPIS:
        assert kpi.key in out.stdout and kpi.name_zh in out.stdout
    if fmt == "json":
        assert len(json.loads(out.stdout)) == len(KPIS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kpi", "no_such_kpi"], "unknown kpi 'no_such_kpi'"),
        (["--kpi", "满意度"], "unknown kpi"),
        (["--region", "32x6"], "invalid region code"),
        (["--region", "32061"], "invalid region code"),
        (["--region", "3206%"], "invalid region code"),
        (["--region", "329999"], "unknown region '329999'"),
        (["--region", "320600"], "unknown region"),
        (["--region", "320613001001001"], "grid code"),
        (["--from", "2024-02-30"], "--from: not a date"),
        (["--to", "yesterday"], "--to: not a date"),
        (["--from", "2024-03-01", "--to", "2024-02-01"], "is after --to"),
        (["--store", "MISSING"], "store not found"),
    ],
)
def test_bad_input_exits_2_with_one_line(demo_store, tmp_path, args, message):
    argv = ["kpi", "--store", str(demo_store), "--region", "3206", "--from", "2024-01-01",
            "--to", "2024-01-31"]
    for flag, value in zip(args[::2], args[1::2], strict=True):
        value = str(tmp_path / "missing.duckdb") if value == "MISSING" else value
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    out = gridcmd(*argv)
    assert out.returncode == 2, out.stdout
    assert out.stderr.startswith("gridcmd: error: ")
    assert message in out.stderr.lower()
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stdout == ""


def test_not_a_store_exits_2(tmp_path):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("not a database")
    out = gridcmd("kpi", "--store", str(bogus), "--region", "3206", "--from", "2024-01-01",
                  "--to", "2024-01-31")
    assert out.returncode == 2 and out.stderr.startswith("gridcmd: error: cannot open store")
    assert "Traceback" not in out.stderr


def test_missing_required_arguments_exit_2(demo_store):
    out = gridcmd("kpi", "--store", str(demo_store), "--from", "2024-01-01", "--to", "2024-01-31")
    assert out.returncode == 2 and "--region is required" in out.stderr


def test_formatting_helpers():
    assert format_value(get("close_rate"), 0.8534) == "85.3%"
    assert format_value(get("close_rate"), float("nan")) == "–"
    assert format_value(get("avg_handle_hours"), 12.04) == "12.0 小时"
    assert format_value(get("reported"), 1234.0) == "1,234 件"
    assert display_width("结案率") == 6
    table = render_table(["指标", "数值"], [["上报数", "1 件"], ["x", "10,000 件"]],
                         [False, True])
    assert len({display_width(line) for line in table.splitlines()}) == 1


def test_official_ontime_definition_follows_the_setting(demo_store, now, monkeypatch):
    # a year ending on a day whose end has a case open past its deadline (found in the raw
    # rows), so the two definitions differ; how many cases are overdue at the demo's 'now'
    # depends on the hour it was built (none, some evenings)
    with duckdb.connect(str(demo_store), read_only=True) as con:
        end = con.execute(
            "SELECT max(CAST(deadline_at AS DATE)) FROM incidents WHERE NOT is_void "
            "AND deadline_at IS NOT NULL AND CAST(deadline_at AS DATE) < $today "
            "AND (closed_at IS NULL OR closed_at >= CAST(deadline_at AS DATE) + INTERVAL 1 DAY)",
            {"today": now.date()}).fetchone()[0]
    assert end is not None, "the demo has no case ever open past its deadline"
    args = [sys.executable, "-m", "dashboard.cli", "kpi", "--store", str(demo_store),
            "--region", "3206", "--from", (end - timedelta(days=364)).isoformat(),
            "--to", end.isoformat(),
            "--kpi", "ontime_rate,ontime_rate_due,ontime_rate_closed", "--format", "json"]
    rows = {}
    for mode in ("closed", "due"):
        out = subprocess.run(args, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "GRIDCMD_KPI_ONTIME": mode})
        assert out.returncode == 0, out.stderr
        rows[mode] = {r["key"]: r["value"] for r in json.loads(out.stdout)}
    assert rows["closed"]["ontime_rate"] == rows["closed"]["ontime_rate_closed"]
    assert rows["due"]["ontime_rate"] == rows["due"]["ontime_rate_due"]
    assert rows["closed"]["ontime_rate_closed"] != rows["closed"]["ontime_rate_due"]
    monkeypatch.setenv("GRIDCMD_KPI_ONTIME", "sometimes")
    with pytest.raises(ValueError, match="kpi_ontime"):
        Settings.load()


def test_medians_and_time_limits_are_printed_by_default_and_on_request(demo_store, months):
    d0, d1 = months
    out = gridcmd(*base(demo_store, d0, d1))
    assert out.returncode == 0, out.stderr
    for name in ("平均办结时长", "中位办结时长", "P90办结时长", "中位响应时长", "中位处置时长",
                 "有时限案件占比"):
        assert name in out.stdout, name
    picked = gridcmd(*base(demo_store, d0, d1), "--kpi", "median_close_hours,avg_close_hours",
                     "--format", "json")
    assert picked.returncode == 0, picked.stderr
    rows = {r["key"]: r for r in json.loads(picked.stdout)}
    exp = direct(demo_store, "3206", d0, d1, keys=["median_close_hours", "avg_close_hours"])
    exp = exp.set_index("key")
    assert rows["median_close_hours"]["numerator"] is None  # a quantile has no numerator
    for key in rows:
        assert same(rows[key]["value"], exp.loc[key, "value"]), key
        assert rows[key]["denominator"] == exp.loc[key, "denominator"] > 0
    assert rows["median_close_hours"]["value"] < rows["avg_close_hours"]["value"]
