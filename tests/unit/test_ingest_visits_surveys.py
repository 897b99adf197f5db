"""Importing 走访 (visits) and 回访评价 (surveys): clean loads, each rule's quarantine, reruns
that change nothing, summaries that follow each batch and KPIs equal to a full rebuild."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.engine import kpis
from dashboard.kpi.scope import Scope
from dashboard.kpi.summaries import refresh_summaries
from tests.unit.ingest_helpers import connect, copy_store, data_checksums, summary_checksums

MAPPINGS = Path(__file__).resolve().parents[2] / "dashboard" / "ingest" / "mappings"
KPI_KEYS = ["visit_rate", "satisfaction_rate", "rating_rate"]


@pytest.fixture()
def con(ingest_store, tmp_path):
    c = connect(copy_store(ingest_store, tmp_path))
    yield c
    c.close()


def _visits(con) -> pd.DataFrame:
    """The store's visits as the grid app exports them (person by ID number)."""
    return con.execute(
        "SELECT p.id_number, v.due_date, v.visited_at, v.kind, v.grid_code FROM visits AS v "
        "JOIN key_person_pii AS p ON p.person_id = v.person_id ORDER BY v.id").df()


def _surveys(con) -> pd.DataFrame:
    return con.execute(
        "SELECT i.case_no, s.surveyed_at, s.channel, s.rating FROM surveys AS s "
        "JOIN incidents AS i ON i.id = s.incident_id ORDER BY s.surveyed_at, i.id").df()


def _load(con, kind, frame, path, mapping=None):
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    s = load_files(con, kind, mapping or Mapping.identity(kind), [path])
    assert s.balanced(), s.report()
    return s


def _quarantine(con, name):
    return con.execute("SELECT line, rule, column_name FROM quarantine "
                       "WHERE source_file = $f ORDER BY line", {"f": name}).df()


def _new_visits(con, n: int) -> pd.DataFrame:
    """``n`` visits the store does not have: a day after a stored due day of the person
    (due days of one person are 7 or more days apart), some missed, no grid code given."""
    v = _visits(con).iloc[::7].head(n).copy()
    v["due_date"] = pd.to_datetime(v["due_date"]) + timedelta(days=1)
    v["visited_at"] = pd.to_datetime(v["due_date"]) + timedelta(hours=10)
    v.loc[v.index[::4], "visited_at"] = pd.NaT
    return _past(v).drop(columns=["grid_code"])


def _past(visits: pd.DataFrame) -> pd.DataFrame:
    """No visit made in the future (the demo's schedule runs up to today)."""
    future = pd.to_datetime(visits["visited_at"]) > pd.Timestamp.now() - timedelta(days=1)
    return visits.assign(visited_at=pd.to_datetime(visits["visited_at"]).mask(future))


def _open_and_closed_unsurveyed(con):
    closed = con.execute("SELECT case_no, closed_at FROM incidents WHERE closed_at IS NOT NULL "
                         "AND id NOT IN (SELECT incident_id FROM surveys) ORDER BY id").df()
    open_ = con.execute("SELECT case_no, reported_at FROM incidents WHERE closed_at IS NULL "
                        "ORDER BY id LIMIT 1").df()
    return closed, open_


def test_visits_clean_load_grid_from_person_and_idempotent(con, tmp_path):
    new = _new_visits(con, 60)
    # a visit made before the person's registration is fine
    reg = con.execute("SELECT p.id_number, k.registered_at, k.grid_code FROM key_persons AS k "
                      "JOIN key_person_pii AS p ON p.person_id = k.id ORDER BY k.id "
                      "LIMIT 1").df()
    early = pd.DataFrame({"id_number": reg.id_number, "due_date": reg.registered_at.dt.floor("D")
                          - timedelta(days=3), "visited_at": reg.registered_at
                          - timedelta(days=3), "kind": ["电话随访"]})
    frame = pd.concat([new, early], ignore_index=True)
    s = _load(con, "visits", frame, tmp_path / "visits.csv")
    assert (s.inserted, s.quarantined, s.rows_in) == (61, 0, 61), s.report()
    assert s.summaries == "incremental"
    stored = con.execute(
        "SELECT count(*) FROM visits AS v JOIN key_persons AS k ON k.id = v.person_id "
        "WHERE v.id > (SELECT max(id) - 61 FROM visits) AND v.grid_code = k.grid_code"
    ).fetchone()[0]
    assert stored == 61  # grid taken from the person
    before = data_checksums(con)
    again = _load(con, "visits", frame, tmp_path / "visits.csv")
    assert again.skipped == 61 and again.loaded == 0
    other = _load(con, "visits", frame, tmp_path / "visits_again.parquet")
    assert other.unchanged == 61 and other.inserted + other.updated == 0, other.report()
    after = data_checksums(con)
    assert {k: v for k, v in after.items() if k != "quarantine"} == \
        {k: v for k, v in before.items() if k != "quarantine"}
    count = con.execute("SELECT count(*) FROM visits").fetchone()[0]
    assert count == len(_visits(con))


@pytest.mark.parametrize("rule, column, change", [
    ("unknown_person", "id_number", {"id_number": "320000199001011234"}),
    ("future_time", "visited_at", {"visited_at": "2099-01-01 10:00:00"}),
    ("unknown_value", "kind", {"kind": "路过看看"}),
    ("unknown_grid_code", "grid_code", {"grid_code": "999999999999999"}),
    ("unparseable_time", "due_date", {"due_date": "下周三"}),
    ("null_key", "due_date", {"due_date": ""}),
    ("missing_value", "kind", {"kind": ""}),
])
def test_visit_rules(con, tmp_path, rule, column, change):
    frame = _new_visits(con, 5).astype(object)
    frame["grid_code"] = None
    for k, v in change.items():
        frame.loc[frame.index[1], k] = v
    s = _load(con, "visits", frame, tmp_path / f"v_{rule}.csv")
    q = _quarantine(con, f"v_{rule}.csv")
    assert s.quarantined == 1 and s.inserted == 4, s.report()
    assert q["rule"].tolist() == [rule] and q["column_name"].tolist() == [column]
    assert q["line"].tolist() == [3]


def test_visit_duplicate_key_keeps_the_first(con, tmp_path):
    frame = _new_visits(con, 3)
    frame = pd.concat([frame, frame.head(1).assign(kind="视频随访")], ignore_index=True)
    s = _load(con, "visits", frame, tmp_path / "dup.csv")
    assert (s.inserted, s.quarantined) == (3, 1)
    assert _quarantine(con, "dup.csv")["rule"].tolist() == ["duplicate_key"]


def test_surveys_clean_load_rules_and_idempotent(con, tmp_path):
    closed, open_ = _open_and_closed_unsurveyed(con)
    assert len(closed) >= 12 and len(open_) == 1
    good = pd.DataFrame({"case_no": closed.case_no.head(8),
                         "surveyed_at": closed.closed_at.head(8) + timedelta(hours=5),
                         "channel": ["电话", "短信", "小程序", "电话"] * 2,
                         "rating": ["满意", "基本满意", "不满意", None] * 2})
    s = _load(con, "surveys", good, tmp_path / "sv.csv")
    assert (s.inserted, s.quarantined) == (8, 0), s.report()
    assert s.summaries == "incremental"
    before = data_checksums(con)
    again = _load(con, "surveys", good, tmp_path / "sv.csv")
    assert again.skipped == 8 and again.loaded == 0
    assert data_checksums(con) == before
    other = _load(con, "surveys", good, tmp_path / "sv_again.parquet")
    assert other.unchanged == 8, other.report()

    spare = closed.iloc[8:].reset_index(drop=True)
    bad = pd.DataFrame({
        "case_no": [spare.case_no[0], "NO-SUCH-CASE", spare.case_no[1], spare.case_no[2],
                    spare.case_no[3], open_.case_no[0]],
        "surveyed_at": [spare.closed_at[0] + timedelta(hours=2),
                        spare.closed_at[0] + timedelta(hours=2),
                        spare.closed_at[1] + timedelta(hours=2),
                        spare.closed_at[2] + timedelta(hours=2),
                        spare.closed_at[3] - timedelta(hours=2),
                        open_.reported_at[0] + timedelta(hours=2)],
        "channel": ["电话", "电话", "电话", "微信", "电话", "电话"],
        "rating": ["满意", "满意", "还行吧", "满意", "满意", "满意"],
    })
    s = _load(con, "surveys", bad, tmp_path / "sv_bad.csv")
    q = _quarantine(con, "sv_bad.csv")
    assert (s.inserted, s.quarantined) == (1, 5), s.report()
    assert list(zip(q["rule"], q["column_name"], strict=True)) == [
        ("unknown_incident", "case_no"), ("unknown_value", "rating"),
        ("unknown_value", "channel"), ("surveyed_before_closed", "surveyed_at"),
        ("surveyed_before_closed", "surveyed_at")]


def test_summaries_and_kpis_after_import_equal_a_full_rebuild(con, tmp_path):
    # updates of stored visits and surveys (missed → made late, ratings changed) and new ones
    v = _visits(con)
    upd = v.iloc[::5].copy()
    upd["visited_at"] = pd.to_datetime(upd["due_date"]) + timedelta(days=2, hours=9)
    upd["kind"] = "电话随访"
    upd = _past(upd)
    visits = pd.concat([upd, _new_visits(con, 200)], ignore_index=True)
    sv = _surveys(con)
    sv_upd = sv.iloc[::3].copy()
    sv_upd["rating"] = sv_upd["rating"].map({"满意": "不满意", "不满意": None}).fillna("满意")
    closed, _ = _open_and_closed_unsurveyed(con)
    sv_new = pd.DataFrame({"case_no": closed.case_no, "channel": "小程序",
                           "surveyed_at": closed.closed_at + timedelta(hours=30),
                           "rating": "基本满意"})
    sv_new = sv_new[sv_new.surveyed_at < pd.Timestamp.now() - timedelta(days=1)]
    surveys = pd.concat([sv_upd, sv_new], ignore_index=True)
    m = Mapping.identity("visits")
    visits.to_csv(tmp_path / "v.csv", index=False)
    surveys.to_parquet(tmp_path / "s.parquet")
    s1 = load_files(con, "visits", m, [tmp_path / "v.csv"], batch_rows=700)
    s2 = load_files(con, "surveys", Mapping.identity("surveys"), [tmp_path / "s.parquet"],
                    batch_rows=150)
    assert s1.batches > 1 and s1.quarantined == 0 and s1.updated > 1000, s1.report()
    assert s1.inserted == 200 and s1.summaries == "incremental"
    assert s2.batches > 1 and s2.quarantined == 0 and s2.updated > 100, s2.report()
    assert s2.inserted == len(sv_new) > 0 and s2.summaries == "incremental"

    d0, d1 = con.execute("SELECT min(due_date), max(due_date) FROM visits").fetchone()
    city = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL").fetchone()[0]
    scopes = [Scope(city, "leader")]
    county = con.execute("SELECT short_code FROM regions WHERE length(short_code) = 6 "
                         "ORDER BY short_code LIMIT 1").fetchone()[0]
    scopes.append(Scope(county, "leader"))
    grid = con.execute("SELECT grid_code FROM visits GROUP BY grid_code "
                       "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    scopes.append(Scope(grid, "grid_worker"))
    args = [(sc, d0, d1, by) for sc in scopes for by in (None, "month")]
    incremental = [kpis(con, sc, a, b, keys=KPI_KEYS, by=by) for sc, a, b, by in args]
    sums = summary_checksums(con)
    refresh_summaries(con)
    assert summary_checksums(con) == sums
    for (sc, a, b, by), got in zip(args, incremental, strict=True):
        pd.testing.assert_frame_equal(got, kpis(con, sc, a, b, keys=KPI_KEYS, by=by))

    # and against the raw rows (city scope, whole span)
    got = incremental[0].set_index("key")
    raw_v = con.execute("SELECT due_date, visited_at FROM visits").df()
    ontime = (pd.to_datetime(raw_v.visited_at).dt.normalize()
              <= pd.to_datetime(raw_v.due_date)).sum()
    assert got.loc["visit_rate", "numerator"] == ontime
    assert got.loc["visit_rate", "denominator"] == len(raw_v)
    raw_s = con.execute("SELECT rating FROM surveys WHERE CAST(surveyed_at AS DATE) "
                        "BETWEEN $a AND $b", {"a": d0, "b": d1}).df()
    rated = raw_s.rating.notna().sum()
    assert got.loc["rating_rate", "numerator"] == rated
    assert got.loc["rating_rate", "denominator"] == len(raw_s)
    assert got.loc["satisfaction_rate", "numerator"] == \
        raw_s.rating.isin(["满意", "基本满意"]).sum()


def test_sample_mappings(con, tmp_path):
    v = _new_visits(con, 10)
    app = pd.DataFrame({"身份证号": v.id_number, "应访日期": pd.to_datetime(v.due_date)
                        .dt.strftime("%Y-%m-%d"),
                        "走访时间": pd.to_datetime(v.visited_at).dt.strftime("%Y/%m/%d %H:%M"),
                        "走访方式": ["入户", "电话", "视频", "入户", "入户"] * 2})
    app.to_csv(tmp_path / "走访记录.csv", index=False, encoding="gbk")
    s = load_files(con, "visits", Mapping.load(MAPPINGS / "grid_app_visits.toml"),
                   [tmp_path / "走访记录.csv"])
    assert (s.inserted, s.quarantined) == (10, 0), s.report()
    kinds = con.execute("SELECT kind, count(*) FROM visits WHERE id > (SELECT max(id) - 10 "
                        "FROM visits) GROUP BY kind ORDER BY kind").fetchall()
    assert kinds == [("上门走访", 6), ("电话随访", 2), ("视频随访", 2)]

    closed, _ = _open_and_closed_unsurveyed(con)
    hot = pd.DataFrame({"工单编号": closed.case_no.head(6),
                        "回访时间": (closed.closed_at.head(6) + timedelta(hours=3))
                        .dt.strftime("%Y/%m/%d %H:%M:%S"),
                        "回访方式": ["电话回访", "短信回访", "小程序评价"] * 2,
                        "满意度": ["非常满意", "满意", "基本满意", "不满意", "", "未接通"]})
    hot.to_csv(tmp_path / "回访.csv", index=False, encoding="gbk")
    s = load_files(con, "surveys", Mapping.load(MAPPINGS / "hotline_12345_surveys.toml"),
                   [tmp_path / "回访.csv"])
    assert (s.inserted, s.quarantined) == (6, 0), s.report()
    got = dict(con.execute("SELECT i.case_no, s.rating FROM surveys AS s JOIN incidents AS i "
                           "ON i.id = s.incident_id WHERE i.case_no IN (SELECT unnest($c))",
                           {"c": list(hot["工单编号"])}).fetchall())
    assert [got[c] for c in hot["工单编号"]] == ["满意", "满意", "基本满意", "不满意", None, None]
