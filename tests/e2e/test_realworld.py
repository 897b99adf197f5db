"""Import the two real-world-style datasets exactly as tests/fixtures/realworld/README.md
("How to import") tells a new user, with the real CLI in subprocesses, into fresh stores,
and compare what the store then reports with pandas computed straight from the files
(tests/e2e/expected.py, which imports nothing of the product).

- lakeport_311: a US 311 export (CRS84 wards, EPSG:3435 precincts without a crs member,
  gzip CSV, 12-hour US times, a geocoder's placeholder point, rows to quarantine).
- cuiyuan_community: a Chinese street's platform (EPSG:4490 and GCJ-02 outlines, an XLSX
  with a merged title row, per-case time limits in days, a GBK hazard list with date-only
  deadlines, a BOM survey file) and the monthly table the platform published.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.e2e import expected as ex

ROOT = Path(__file__).resolve().parents[2]
MONTHS = pd.period_range("2024-01", "2024-06", freq="M")
ROOT_REGION = "0001"  # the whole area of a store built by import boundaries (docs/ingest.md)


def gridcmd(*args: str, cwd: Path) -> str:
    """Run ``gridcmd`` (``python -m dashboard.cli``) of this checkout; its stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"gridcmd {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def kpi_json(store: Path, region: str, keys: list[str], by: str | None = "month",
             span: tuple[str, str] = ("2024-01-01", "2024-06-30")) -> pd.DataFrame:
    """``gridcmd kpi --format json`` of the first half of 2024 (or ``span``)."""
    args = ["kpi", "--store", str(store), "--region", region, "--from", span[0],
            "--to", span[1], "--format", "json", "--kpi", *keys]
    if by:
        args += ["--by", by]
    frame = pd.DataFrame(json.loads(gridcmd(*args, cwd=ROOT)))
    if by:
        frame["month"] = pd.PeriodIndex(pd.to_datetime(frame["period"]), freq="M")
    return frame


def by_month(frame: pd.DataFrame, key: str, column: str = "value") -> pd.Series:
    return frame[frame["key"] == key].set_index("month")[column].reindex(MONTHS)


def readme_commands(section: str) -> list[str]:
    """The ``gridcmd`` lines of a dataset's block under "How to import" in the README
    (continuation lines joined)."""
    text = (ex.FIXTURES / "README.md").read_text(encoding="utf-8")
    start = text.index("## How to import")
    block = text[text.index(f"# {section}", start):]
    block = block[:block.index("```")]
    lines, current = [], ""
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        current += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            lines.append(current.strip())
            current = ""
    return lines


def run_readme(section: str, cwd: Path, store: Path) -> list[dict]:
    """Run the README's commands of ``section`` in the dataset's folder, the store at
    ``store``; the JSON summaries of the record imports, in order."""
    summaries = []
    for line in readme_commands(section):
        words = shlex.split(line.replace("STORE.duckdb", str(store)))
        assert words[0] == "gridcmd", line
        args = words[1:]
        records = args[:2] == ["import", "records"]
        if records:
            args += ["--json"]
        if args[:2] in (["import", "records"], ["import", "boundaries"]):
            args += ["--quiet"]
        out = gridcmd(*args, cwd=cwd)
        if records:
            summaries.append(json.loads(out))
    return summaries


# =============================================================================== lakeport_311


@pytest.fixture(scope="module")
def lakeport(tmp_path_factory):
    store = tmp_path_factory.mktemp("lakeport") / "lakeport.duckdb"
    (summary,) = run_readme("lakeport_311", ex.LAKEPORT, store)
    return {"store": store, "summary": summary, "df": ex.lakeport_requests()}


def _loaded(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["rule"].isna()]


def test_lakeport_rows_loaded_and_quarantined_by_rule(lakeport):
    df, s = lakeport["df"], lakeport["summary"]
    want = df["rule"].value_counts().to_dict()
    assert (s["rows_in"], s["loaded"], s["quarantined"], s["skipped"]) == \
        (len(df), len(_loaded(df)), int(df["rule"].notna().sum()), 0)
    assert s["quarantined_by_rule"] == want
    # each rule's rows are exactly the requests pandas says break it
    con = duckdb.connect(str(lakeport["store"]), read_only=True)
    try:
        q = con.execute("SELECT rule, json_extract_string(record, '$.SR_NUMBER') AS sr "
                        "FROM quarantine").df()
        stored = {r[0] for r in con.execute("SELECT case_no FROM incidents").fetchall()}
    finally:
        con.close()
    for rule in want:
        assert set(q.loc[q["rule"] == rule, "sr"]) == \
            set(df.loc[df["rule"] == rule, "SR_NUMBER"]), rule
    assert stored == set(_loaded(df)["SR_NUMBER"])
    # the 311 origins were added to the store's list of sources
    assert sorted(s["added_to_taxonomy"]["incident_source"]) == sorted(df["ORIGIN"].unique())


def test_lakeport_placeholder_point_is_detected_and_kept_out_of_precincts(lakeport):
    from dashboard.kpi.engine import kpis
    from dashboard.kpi.scope import Scope

    df, s = _loaded(lakeport["df"]), lakeport["summary"]
    at_hall = df[df["placeholder"]]
    (point,) = s["placeholder_points"]
    assert (round(point["lon"], 5), round(point["lat"], 5)) == \
        (round(ex.CITY_HALL[0], 5), round(ex.CITY_HALL[1], 5))
    assert (point["rows"], point["placed"]) == (len(at_hall),
                                               {"ward": int(at_hall["WARD"].ne("").sum())})
    # per precinct (the grid level): the real points only, in the precinct under them
    con = duckdb.connect(str(lakeport["store"]), read_only=True)
    try:
        got = kpis(con, Scope(ROOT_REGION, "leader"), date(2024, 1, 1), date(2024, 6, 30),
                   keys=["reported"], level="grid")
        source = dict(con.execute("SELECT code, source_code FROM code_map").fetchall())
    finally:
        con.close()
    got = got.assign(precinct=got["region"].map(source)).set_index("precinct")["value"]
    want = df.loc[~df["placeholder"]].groupby("precinct_pt").size()
    assert want.sum() == len(df) - len(at_hall)
    hall_precinct = ex._locate(pd.Series([ex.CITY_HALL[0]]), pd.Series([ex.CITY_HALL[1]]),
                               ex.lakeport_precincts()).iloc[0]
    assert hall_precinct in want.index  # the precinct the placeholder rows would inflate
    assert got.astype(int).sort_index().to_dict() == want.astype(int).sort_index().to_dict()


def test_lakeport_ward_totals_include_placeholder_rows_with_a_ward(lakeport):
    df = _loaded(lakeport["df"])
    want = df.groupby("ward").size()
    assert set(want.index) == {"1", "2", "3", "4", "5", "6"}
    for ward, n in want.items():  # --region takes the ward's source code
        got = kpi_json(lakeport["store"], ward, ["reported"], by=None)
        assert int(got.loc[got["key"] == "reported", "value"].iloc[0]) == n, ward
    whole = kpi_json(lakeport["store"], ROOT_REGION, ["reported"], by=None)
    # the whole area: every loaded row, placeholders without a ward too
    assert int(whole["value"].iloc[0]) == len(df) > want.sum()


def test_lakeport_monthly_kpis_equal_pandas(lakeport):
    df = _loaded(lakeport["df"])
    want = ex.monthly_case_kpis(df, "created", "closed", "void", "deadline").reindex(MONTHS)
    got = kpi_json(lakeport["store"], ROOT_REGION,
                   ["reported", "closed", "avg_close_hours", "median_close_hours",
                    "p90_close_hours", "ontime_rate", "deadline_share"])
    assert by_month(got, "reported").astype(int).tolist() == \
        want["reported"].astype(int).tolist()
    assert by_month(got, "closed").astype(int).tolist() == want["closed"].astype(int).tolist()
    for key, col in (("avg_close_hours", "close_mean"), ("median_close_hours", "close_median"),
                     ("p90_close_hours", "close_p90"), ("ontime_rate", "ontime_rate"),
                     ("deadline_share", "deadline_share")):
        assert by_month(got, key).tolist() == pytest.approx(want[col].tolist(), rel=1e-6), key
    # 按期结案率 counts only the closed cases with a deadline: noise complaints (no SLA) are
    # neither on time nor late
    assert by_month(got, "ontime_rate", "numerator").astype(int).tolist() == \
        want["ontime"].astype(int).tolist()
    assert by_month(got, "ontime_rate", "denominator").astype(int).tolist() == \
        want["with_deadline"].astype(int).tolist()
    assert (want["with_deadline"] < want["closed"]).all()
    no_sla = df[df["sla_days"].isna() & df["closed"].notna() & ~df["void"]]
    assert len(no_sla) > 0 and no_sla["SR_SHORT_CODE"].isin(["NOI", "AAF", "INF"]).all()


def test_lakeport_period_medians_equal_pandas(lakeport):
    """The median and P90 closing time of a period with whole months (read from the ranked
    durations of migration 018 for the whole area): pandas over the loaded rows, for six
    whole months and for partial months at both ends."""
    df = _loaded(lakeport["df"])
    done = df[df["closed"].notna() & ~df["void"]].copy()
    done["hours"] = (done["closed"] - done["created"]).dt.total_seconds() / 3600
    with duckdb.connect(str(lakeport["store"]), read_only=True) as con:  # the ranked path's
        assert con.execute("SELECT count(*) FROM duration_ranks WHERE measure = 'close'"
                           ).fetchone()[0] == len(done)
    for span in (("2024-01-01", "2024-06-30"), ("2024-01-17", "2024-05-09"),
                 ("2024-02-29", "2024-04-01")):
        got = kpi_json(lakeport["store"], ROOT_REGION,
                       ["median_close_hours", "p90_close_hours"], by=None, span=span)
        got = got.set_index("key")["value"]
        day = done["closed"].dt.normalize()
        hours = done.loc[(day >= pd.Timestamp(span[0])) & (day <= pd.Timestamp(span[1])),
                         "hours"]
        assert len(hours) > 100, span
        assert got["median_close_hours"] == pytest.approx(hours.median(), rel=1e-9), span
        assert got["p90_close_hours"] == pytest.approx(hours.quantile(0.9), rel=1e-9), span


def test_lakeport_overview_as_of_the_last_data_day(lakeport):
    """The store's data ended on 30 June 2024: the overview shows it as of that day (a
    数据截至 banner, not "数据已…未更新"), non-zero cards, and as overdue exactly the cases
    open past their deadline at that moment (pandas)."""
    from dashboard import overview_data as od
    from dashboard.clock import store_now
    from dashboard.kpi.scope import Scope
    from layouts.overview import status_banner

    df = _loaded(lakeport["df"])
    scope = Scope(ROOT_REGION, "leader")
    con = duckdb.connect(str(lakeport["store"]), read_only=True)
    try:
        now = store_now(con)
        a = od.as_of(con, now)
        cards = {c["key"]: c for c in od.cards(con, scope, a.moment, period="month")}
        counts, _ = od.alerts(con, scope, a.moment)
        wards = od.children(con, od.view(con, scope, None), a.moment, period="month")
    finally:
        con.close()
    last = max(df["created"].max(), df["closed"].max())
    assert (a.mode, a.day, a.latest) == ("data", last.date(), last.to_pydatetime())
    text, hidden, _ = status_banner(a, (now - a.latest).total_seconds() / 60, 60)
    assert not hidden and "2024-06-30" in text and "未更新" not in text
    june = df[df["created"] >= "2024-06-01"]
    assert cards["reported"]["value"] == len(june) > 0
    assert cards["close_rate"]["value"] > 0 and cards["ontime_rate"]["value"] > 0
    # overdue at the as-of moment: open then (closed after it or never), past a deadline
    moment = pd.Timestamp(a.moment)
    overdue = df[~df["void"] & df["deadline"].notna() & (df["deadline"] < moment)
                 & (df["closed"].isna() | (df["closed"] > moment))]
    assert counts["overdue"] == len(overdue) > 0
    # the ward map: each ward's overdue (its placeholder rows with a WARD included)
    assert len(wards) == 6
    assert int(wards["overdue"].sum()) == int(overdue.groupby("ward").size().sum())



def _round3(x: pd.Series) -> pd.Series:
    """Round to 0.001 half away from zero, as DuckDB's round() does."""
    return np.sign(x) * np.floor(x.abs() * 1000 + 0.5) / 1000


def test_lakeport_repeat_places_equal_pandas_without_the_placeholder_point(lakeport):
    """The 事件 page's 重复投诉点位 over the half year (longer than 92 days, so read from
    repeat_place_cases through its bound): the places of pandas over the loaded rows (same
    precinct, same request type, points rounded to 0.001°, three cases or more), leaving
    out the geocoder's placeholder point, which would make hundreds of unrelated requests
    one "place"."""
    from dashboard import thematic_data as td
    from dashboard.filters import Filters
    from dashboard.kpi.scope import Scope

    df = _loaded(lakeport["df"])
    df = df[~df["void"] & df["lon"].notna()].assign(lon3=_round3(df["lon"]),
                                                   lat3=_round3(df["lat"]))
    keys = ["precinct_pt", "SR_SHORT_CODE", "lon3", "lat3"]
    fake = df[df["placeholder"]].groupby(keys).size()
    assert fake.max() > 100  # the placeholder alone would be the top "place"
    g = df[~df["placeholder"]].groupby(keys)
    want = pd.DataFrame({"n": g.size(), "first_at": g["created"].min(),
                         "last_at": g["created"].max(),
                         "open_n": g["closed"].agg(lambda c: int(c.isna().sum()))})
    want = want[want["n"] >= 3].sort_values(["n", "last_at"], ascending=False)
    assert len(want) >= 5
    filters = Filters.from_query("?period=custom&from=2024-01-01&to=2024-06-30")
    scope = Scope(ROOT_REGION, "leader")
    cols = ["n", "first_at", "last_at", "open_n"]
    with duckdb.connect(str(lakeport["store"]), read_only=True) as con:
        every = td.repeat_places(con, scope, filters, pd.Timestamp("2024-06-30"),
                                 limit=10**6)
        top = td.repeat_places(con, scope, filters, pd.Timestamp("2024-06-30"), limit=5)
    got = every[cols].sort_values(cols).reset_index(drop=True)
    expect = want[cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.astype({"n": "int64", "open_n": "int64"}),
                                  expect.astype({"n": "int64", "open_n": "int64"}),
                                  check_dtype=False)
    assert (top["n"].tolist(), top["last_at"].tolist()) == \
        (want["n"].head(5).tolist(), want["last_at"].head(5).tolist())


# ========================================================================== cuiyuan_community


@pytest.fixture(scope="module")
def cuiyuan(tmp_path_factory):
    store = tmp_path_factory.mktemp("cuiyuan") / "cuiyuan.duckdb"
    events, hazards, surveys = run_readme("cuiyuan_community", ex.CUIYUAN, store)
    return {"store": store, "events": events, "hazards": hazards, "surveys": surveys}


def test_cuiyuan_every_row_loads(cuiyuan):
    cases, found, answers = ex.cuiyuan_cases(), ex.cuiyuan_hazards(), ex.cuiyuan_surveys()
    for name, n in (("events", len(cases)), ("hazards", len(found)),
                    ("surveys", len(answers))):
        s = cuiyuan[name]
        assert (s["rows_in"], s["loaded"], s["quarantined"]) == (n, n, 0), (name, s)
    assert "异常人员出入" in cuiyuan["hazards"]["added_to_taxonomy"]["hazard_type"]
    assert set(cuiyuan["events"]["added_to_taxonomy"]["category"]) == \
        set(cases["事件类型"].unique())
    con = duckdb.connect(str(cuiyuan["store"]), read_only=True)
    try:
        types = {r[0] for r in con.execute(
            "SELECT code FROM taxonomy WHERE field = 'hazard_type'").fetchall()}
        deadlines = con.execute("SELECT case_no, deadline_at FROM incidents").df()
    finally:
        con.close()
    assert set(found["隐患类型"]) <= types
    # 办理时限(天) per case: 受理 + days; blank: no deadline
    merged = cases.merge(deadlines, left_on="事件编号", right_on="case_no")
    assert len(merged) == len(cases)
    same = (merged["deadline"] == merged["deadline_at"]) | \
        (merged["deadline"].isna() & merged["deadline_at"].isna())
    assert same.all(), merged.loc[~same, ["事件编号", "deadline", "deadline_at"]].head()


def test_cuiyuan_cases_per_month_equal_pandas_and_the_published_table(cuiyuan):
    cases, pub = ex.cuiyuan_cases(), ex.published_table().reindex(MONTHS)
    want = ex.monthly_case_kpis(cases, "created", "closed", "void", "deadline") \
        .reindex(MONTHS)
    got = kpi_json(cuiyuan["store"], ROOT_REGION,
                   ["reported", "closed", "avg_close_hours", "ontime_rate", "deadline_share"])
    reported = by_month(got, "reported").astype(int)
    assert reported.tolist() == want["reported"].astype(int).tolist() == \
        pub["上报事件数"].astype(int).tolist()
    closed = by_month(got, "closed").astype(int)
    assert closed.tolist() == want["closed"].astype(int).tolist()
    # the published 办结事件数 counts state 已办结 by 办结时间, ours the non-void cases
    # closed in the month: the same here, because no 已作废 or 处置中 row has a 办结时间
    assert cases.loc[cases["处置状态"] != "已办结", "closed"].isna().all()
    assert closed.tolist() == pub["办结事件数"].astype(int).tolist()
    # 平均办结天数 = 办结时间 − 上报时间 over the month's 办结事件: our 平均办结时长 / 24
    avg = by_month(got, "avg_close_hours")
    assert avg.tolist() == pytest.approx(want["close_mean"].tolist(), rel=1e-6)
    assert [f"{v / 24:.2f}" for v in avg] == pub["平均办结天数"].tolist()
    for key in ("ontime_rate", "deadline_share"):
        assert by_month(got, key).tolist() == pytest.approx(want[key].tolist(), rel=1e-6), key


def _hazard_expected() -> pd.DataFrame:
    """Hazards per month: found (发现时间), rectified (整改完成时间) and rectified on time,
    整改期限 being the whole day (rectified before the next midnight)."""
    h = ex.cuiyuan_hazards()
    end = pd.to_datetime(h["整改期限"]) + pd.Timedelta(days=1)
    fixed = h[h["fixed"].notna()]
    month = fixed["fixed"].dt.to_period("M")
    return pd.DataFrame({
        "found": h.groupby(h["found"].dt.to_period("M")).size(),
        "rectified": fixed.groupby(month).size(),
        "ontime": (fixed["fixed"] < end[fixed.index]).groupby(month).sum(),
    }).reindex(MONTHS).fillna(0).astype(int)


def test_cuiyuan_hazards_per_month_and_date_deadlines_mean_the_whole_day(cuiyuan):
    want, pub = _hazard_expected(), ex.published_table().reindex(MONTHS)
    h = ex.cuiyuan_hazards()
    on_the_day = h["fixed"].dt.normalize() == pd.to_datetime(h["整改期限"])
    assert on_the_day.sum() > 0  # rectified on the deadline day, after its midnight
    got = kpi_json(cuiyuan["store"], ROOT_REGION,
                   ["hazards", "hazard_rectify_rate", "hazard_ontime_rate"])
    assert by_month(got, "hazards").astype(int).tolist() == want["found"].tolist() == \
        pub["隐患发现数"].astype(int).tolist()
    rectified = by_month(got, "hazard_rectify_rate", "numerator").astype(int)
    assert rectified.tolist() == want["rectified"].tolist() == \
        pub["隐患整改数"].astype(int).tolist()
    assert by_month(got, "hazard_ontime_rate", "numerator").astype(int).tolist() == \
        want["ontime"].tolist()


def test_cuiyuan_area_satisfaction_per_month(cuiyuan):
    answers = ex.cuiyuan_surveys()
    want = ex.area_satisfaction(answers, lambda d: d["day"].dt.to_period("M")).reindex(MONTHS)
    pub = ex.published_table().reindex(MONTHS)
    got = kpi_json(cuiyuan["store"], ROOT_REGION,
                   ["area_satisfaction_rate", "area_survey_answers"])
    rate = by_month(got, "area_satisfaction_rate")
    assert rate.isna().tolist() == want["rate"].isna().tolist()
    assert rate.fillna(-1).tolist() == pytest.approx(want["rate"].fillna(-1).tolist(),
                                                     rel=1e-9)
    assert by_month(got, "area_satisfaction_rate", "denominator").fillna(0).astype(int) \
        .tolist() == want["answers"].fillna(0).astype(int).tolist()
    # the published 群众满意度; January "—": no rated answer that month
    shown = ["—" if pd.isna(v) else f"{100 * v:.1f}%" for v in rate]
    assert shown == pub["群众满意度"].tolist()
    assert by_month(got, "area_survey_answers").astype(int).sum() == len(answers)


@pytest.mark.parametrize(("flag", "label", "start", "days"), [
    ("--week", "2024-W20", date(2024, 5, 13), 7),
    ("--month", "2024-05", date(2024, 5, 1), 31),
])
def test_cuiyuan_weekly_and_monthly_reports_count_the_fixture_s_cases(cuiyuan, tmp_path, flag,
                                                                      label, start, days):
    """The 通报 of the imported street, through the cron path (``--all`` into an archive):
    its xlsx's 上报数 and 结案数 equal pandas over the fixture's own rows."""
    from openpyxl import load_workbook

    archive = tmp_path / "archive"
    out = gridcmd("report", "--store", str(cuiyuan["store"]), "--all", "--level", "city",
                  flag, label, "--format", "xlsx", "--archive", str(archive), cwd=tmp_path)
    lines = [line.split("\t") for line in out.strip().splitlines()]
    assert [line[:2] for line in lines] == [[ROOT_REGION, "made"]], out
    files = list(Path(lines[0][2]).glob("*.xlsx"))
    assert [f.name for f in files] == [f"通报_{ROOT_REGION}_{label}.xlsx"]
    sheet = load_workbook(files[0])["概览"]
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=6, values_only=True) if row[0]}
    cases = ex.cuiyuan_cases()
    t0, t1 = pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=days)
    reported = cases[(cases["created"] >= t0) & (cases["created"] < t1)]
    done = cases[~cases["void"] & (cases["closed"] >= t0) & (cases["closed"] < t1)]
    assert len(reported) > 0 and len(done) > 0
    assert (values["上报数"], values["结案数"]) == (len(reported), len(done))
    assert sheet["A1"].value.endswith("周通报" if flag == "--week" else "月度网格化治理工作通报")


def _community_of_grid() -> dict[str, str]:
    """网格编码 → 所属社区代码, read from the fixture's grid outlines."""
    data = json.loads((ex.CUIYUAN / "网格边界.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["网格编码"]: f["properties"]["所属社区代码"]
            for f in data["features"]}


def test_cuiyuan_playback_frames_are_seven_day_counts_of_the_fixture(cuiyuan):
    """态势回放 on the imported street as of its last data day: each community's frame is
    the 7 days' reports ending that day, counted by pandas from the fixture's rows and its
    grids' 所属社区代码; the 当日上报 card is the day's reports."""
    from datetime import datetime, timedelta

    from dashboard import levels
    from dashboard import overview_data as od
    from dashboard import playback as pb
    from dashboard.kpi.scope import Scope

    cases = ex.cuiyuan_cases()
    cases["community"] = cases["网格编码"].map(_community_of_grid())
    assert cases["community"].notna().all()
    now = datetime(2024, 6, 30, 23, 59, 59)
    con = duckdb.connect(str(cuiyuan["store"]), read_only=True)
    try:
        v = od.view(con, Scope(ROOT_REGION, "leader"), "")
        kids = od.units(con, v)
        got = pb.frames(con, v, now, "30d", "incidents", kids)
        source = [levels.source_code(con, s) for s in kids["short_code"]]
    finally:
        con.close()
    assert got["days"][-1] == now.date() and len(got["days"]) == 30
    assert sorted(source) == sorted(cases["community"].unique())
    for i, day in enumerate(got["days"]):
        t1 = pd.Timestamp(day) + pd.Timedelta(days=1)
        week = cases[(cases["created"] >= t1 - pd.Timedelta(days=7)) & (cases["created"] < t1)]
        counts = week.groupby("community").size()
        assert [int(x) for x in got["values"][:, i]] == \
            [int(counts.get(c, 0)) for c in source], day
        today = cases[(cases["created"] >= t1 - timedelta(days=1)) & (cases["created"] < t1)]
        assert got["cards"]["reported"][i] == len(today), day


def test_cuiyuan_at_risk_scores_are_the_fixture_s_open_cases(cuiyuan):
    """The import scored the at-risk model as of the last data day: exactly the cases open
    then (not void, not yet closed) whose deadline is still ahead, by pandas over the
    fixture; calibrated probabilities with reasons, whose stored parts (migration 020) word
    back to the stored Chinese and, in English, state the time left to the fixture's
    deadline."""
    from dashboard.foresight.explain import stored_reasons

    cases = ex.cuiyuan_cases()
    con = duckdb.connect(str(cuiyuan["store"]), read_only=True)
    try:
        scores = con.execute("SELECT case_no, asof_at, probability, reasons, model_version, "
                             "reason_parts FROM foresight_scores WHERE kind = 'risk'").df()
        active = con.execute("SELECT model_version FROM foresight_models "
                             "WHERE active AND kind = 'risk'").fetchall()
    finally:
        con.close()
    asof = scores["asof_at"].iloc[0]
    assert (scores["asof_at"] == asof).all() and asof.date() == date(2024, 6, 30)
    open_then = cases[~cases["void"] & (cases["created"] <= asof)
                      & (cases["closed"].isna() | (cases["closed"] > asof))
                      & cases["deadline"].notna() & (cases["deadline"] > asof)]
    assert len(open_then) > 0
    assert sorted(scores["case_no"]) == sorted(open_then["事件编号"])
    assert scores["probability"].between(0, 1).all()
    assert (scores["reasons"].str.len() > 0).all()
    assert [r[0] for r in active] == [scores["model_version"].iloc[0]]
    deadline = dict(zip(open_then["事件编号"], open_then["deadline"], strict=True))
    for row in scores.itertuples():
        assert stored_reasons("risk", row.reason_parts, None, "zh") == row.reasons
        en = stored_reasons("risk", row.reason_parts, None, "en")
        m = re.match(r"(\d+(?:\.\d)?) (h|days) left to the deadline, ", en)
        assert m, en
        left = (deadline[row.case_no] - asof).total_seconds() / 3600
        shown = float(m[1]) * (24 if m[2] == "days" else 1)
        assert abs(shown - left) <= (0.5 if m[2] == "h" else 1.2) + 1e-9, (en, left)
