"""The at-risk model's stored results (即将超期风险, docs/foresight.md).

The stored scores are checked against an independent computation over the raw rows with
pandas: which cases are scored, their stage and queue, and each probability recomputed from
the stored model (strata, shifts, calibration) with plain lookups and ``np.interp``.
"""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.access import Forbidden
from dashboard.filters import Filters
from dashboard.foresight import model as M
from dashboard.foresight import run as R
from dashboard.kpi.scope import Scope
from dashboard.thematic_data import at_risk
from tests.unit.ingest_helpers import copy_store


@pytest.fixture(scope="module")
def store(demo_store, tmp_path_factory):
    """A copy of the session's demo store, scored again as of a fixed moment (the last
    registration in it), so nothing here depends on the wall clock."""
    path = copy_store(demo_store, tmp_path_factory.mktemp("foresight"))
    con = duckdb.connect(str(path))
    asof = con.execute("SELECT max(registered_at) FROM incidents").fetchone()[0]
    out = R.update(con, asof=asof, refit=True)
    yield con, asof, out
    con.close()


def test_the_demo_build_stores_a_model_and_scores(demo):
    models = demo.execute("SELECT kind, active, n_rows FROM foresight_models "
                          "ORDER BY kind").fetchall()
    # the at-risk model and the surge model (异常预警, tests/unit/test_surge.py)
    assert [(k, a) for k, a, _ in models] == [("risk", True), ("surge", True)]
    assert models[0][2] > 100
    n = demo.execute("SELECT count(*) FROM foresight_scores WHERE kind = 'risk'").fetchone()[0]
    assert n > 0


def _expected_open(con, asof) -> pd.DataFrame:
    """The open cases at ``asof`` with a deadline after it, from the raw rows (pandas)."""
    inc = con.execute("SELECT * FROM incidents").df()
    inc = inc[~inc["is_void"] & inc["deadline_at"].notna() & inc["registered_at"].notna()]
    inc = inc[(inc["registered_at"] <= asof) & ~(inc["closed_at"] <= asof)
              & (inc["deadline_at"] > asof)]
    return inc


def test_scored_cases_stage_and_queue_equal_the_raw_rows(store):
    con, asof, out = store
    scores = con.execute("SELECT * FROM foresight_scores WHERE kind = 'risk'").df()
    expected = _expected_open(con, asof)
    assert out["scored"] == len(scores) == len(expected) > 0
    assert set(scores["case_id"]) == set(expected["id"])
    e = expected.set_index("id").loc[scores["case_id"]]
    stage = np.where(e["verified_at"] <= asof, "verified",
                     np.where(e["handled_at"] <= asof, "handled",
                              np.where(e["dispatched_at"] <= asof, "dispatched", "registered")))
    assert list(scores["stage"]) == list(stage)
    # the queue: dispatched cases of the same county and department kind at asof that are
    # neither handled nor closed
    inc = con.execute("SELECT * FROM incidents WHERE NOT is_void AND dept_code IS NOT NULL "
                      "AND dispatched_at IS NOT NULL").df()
    inc = inc[(inc["dispatched_at"] <= asof) & ~(inc["closed_at"] <= asof)
              & ~(inc["handled_at"] <= asof)]
    line = inc["grid_code"].str[:6] + "-" + inc["dept_code"].str.split("-").str[-1]
    counts = line.value_counts()
    mine = e["grid_code"].str[:6] + "-" + e["dept_code"].fillna("").str.split("-").str[-1]
    want = [int(counts.get(k, 0)) if d else 0 for k, d in zip(mine, e["dept_code"].fillna(""),
                                                              strict=True)]
    assert list(scores["queue"]) == want
    assert (scores["asof_at"] == pd.Timestamp(asof)).all()
    assert (scores["model_version"] == out["model_version"]).all()
    assert scores["reasons"].str.contains("距时限还剩").all()


def _desk_lines(con, asof, days: float) -> dict:
    """Per line (county-kind): [cases waiting at asof (dispatched, neither handled nor
    closed), cases that left the queue (handled, else closed) in (asof − days, asof], the
    dispatch times of the line's cases], by a plain loop over the raw rows."""
    rows = con.execute("SELECT grid_code, dept_code, dispatched_at, handled_at, closed_at "
                       "FROM incidents WHERE NOT is_void AND dept_code IS NOT NULL "
                       "AND dispatched_at IS NOT NULL").fetchall()
    out: dict[str, list] = {}
    for grid, dept, disp, handled, closed in rows:
        c = out.setdefault(grid[:6] + "-" + dept.split("-")[-1], [0, 0, []])
        left = min((x for x in (handled, closed) if x is not None), default=None)
        if disp <= asof and (left is None or left > asof):
            c[0] += 1
        if left is not None and asof - timedelta(days=days) < left <= asof:
            c[1] += 1
        c[2].append(disp)
    return out


def test_probabilities_equal_a_recomputation_from_the_stored_model(store):
    con, asof, out = store
    scores = con.execute("SELECT * FROM foresight_scores WHERE kind = 'risk'").df()
    m = con.execute("SELECT params FROM foresight_models "
                    "WHERE active AND kind = 'risk'").fetchone()[0]
    params = json.loads(m)
    strata = con.execute("SELECT level, key, cdf FROM foresight_strata WHERE model_version = "
                         "$v", {"v": out["model_version"]}).df()
    table = {(int(r.level), r.key): np.asarray(r.cdf) for r in strata.itertuples()}
    lo, hi, n = params["grid"]
    grid = np.linspace(lo, hi, int(n))
    cases = _expected_open(con, asof).set_index("id").loc[scores["case_id"]]
    cats = con.execute("SELECT code, major_code FROM categories").df().set_index("code")
    usual = params["usual_queue"]
    desk_days = params["desk_days"]
    lines = _desk_lines(con, asof, desk_days)
    for s, (_, c) in zip(scores.itertuples(), cases.iterrows(), strict=True):
        reg, dl = c["registered_at"], c["deadline_at"]
        frac = (asof - reg) / max(dl - reg, timedelta(hours=1))
        fbin = str(sum(frac >= e for e in params["frac_edges"]))
        dbin = "-"
        if s.stage == "dispatched":
            dept = c["dept_code"] if isinstance(c["dept_code"], str) else ""
            waiting, handled, disps = (lines.get(c["grid_code"][:6] + "-"
                                                 + dept.split("-")[-1], [0, 0, []])
                                       if dept else [0, 0, []])
            after = sum(c["dispatched_at"] < d <= asof for d in disps)
            backlog_h = max(waiting - after, 0) / (max(handled, 1) / (desk_days * 24))
            slack = (dl - asof).total_seconds() / 3600
            desk = backlog_h / max(slack, 1.0)
            dbin = str(sum(desk >= e for e in params["desk_edges"]))
        parts = [s.stage, fbin, dbin, c["tier"], cats.at[c["category_code"], "major_code"]]
        keys = ["|".join(parts[:3]), "|".join(parts[:4]), "|".join(parts),
                "|".join([*parts[:4], c["category_code"]])]
        cdf = next(table[(lv, k)] for lv, k in reversed(list(enumerate(keys)))
                   if (lv, k) in table)
        dept = c["dept_code"] if isinstance(c["dept_code"], str) else ""
        line = c["grid_code"][:6] + "-" + dept.split("-")[-1] if dept else ""
        load = "1"
        if line in usual:
            ratio = (s.queue + 1) / (usual[line] + 1)
            load = str(sum(ratio >= e for e in params["load_edges"]))
        ts = pd.Timestamp(asof)
        when = ("weekend" if ts.day_of_week >= 5 else
                "work" if 8 <= ts.hour < 18 else "night")
        shift = (params["shift_load"].get(f"{s.stage}|{load}", [0])[0]
                 + params["shift_dept"].get(dept, [0])[0]
                 + params["shift_when"].get(when, [0])[0])
        slack = (dl - asof).total_seconds() / 3600
        x = np.log(slack) - shift
        raw = 1 - (0.0 if x < grid[0] else np.interp(x, grid, cdf))
        p = np.clip(np.interp(raw, params["calibration"]["x"], params["calibration"]["y"]),
                    0, 1)
        assert s.probability == pytest.approx(p, abs=1e-9), s.case_no


def test_reads_are_scoped_and_the_count_is_the_threshold_count(store):
    con, asof, _ = store
    scores = con.execute("SELECT * FROM foresight_scores WHERE kind = 'risk'").df()
    county = scores["grid_code"].value_counts().index[0][:6]
    user = Scope(county, "analyst")
    got = R.risk_queue(con, user, limit=10_000)
    assert set(got["case_id"]) == set(scores.loc[scores["grid_code"].str.startswith(county),
                                                 "case_id"])
    assert got["probability"].is_monotonic_decreasing
    for thr in (0.05, 0.3, 0.5):
        c = R.risk_count(con, user, thr)
        mine = scores[scores["grid_code"].str.startswith(county)]
        assert c["at_risk"] == int((mine["probability"] >= thr).sum())
        assert c["scored"] == len(mine)
    # the page's read narrows the user's scope and refuses anything outside it
    other = sorted({g[:6] for g in scores["grid_code"]} - {county})
    if other:
        with pytest.raises(Forbidden):
            at_risk(con, user, Filters(region=other[0]), 0.5)
    page = at_risk(con, Scope(county[:4], "leader"), Filters(region=county), 0.0)
    assert set(page["rows"]["case_id"]) <= set(got["case_id"])
    assert page["scored"] == len(got)


def test_the_panel_read_equals_pandas_over_the_stored_scores(store):
    """``risk_panel`` (one statement) against pandas over ``foresight_scores``: the count
    at the threshold, the number scored, the queue at the threshold (at most ``limit``,
    most likely first, ties by deadline and id) and the nearest below it when none
    reaches it; for every county, a town, a grid and a region without scores, thresholds
    below, inside and above the scores, limits under and over the watch list's five."""
    con, _, _ = store
    scores = con.execute("SELECT * FROM foresight_scores WHERE kind = 'risk'").df()
    scores = scores.sort_values(["probability", "deadline_at", "case_id"],
                                ascending=[False, True, True], kind="stable")
    grid = scores["grid_code"].iloc[0]
    regions = sorted({g[:6] for g in scores["grid_code"]}) + [grid[:9], grid, "320699999"]
    middle = float(scores["probability"].median())
    for region in regions:
        mine = scores[scores["grid_code"].str.startswith(region)]
        for thr in (0.0, middle, float(scores["probability"].max()), 1.5):
            for limit in (1, 3, 8):
                got = R.risk_panel(con, Scope(region, "leader"), thr, limit)
                above = mine[mine["probability"] >= thr]
                assert got["at_risk"] == len(above) and got["scored"] == len(mine)
                assert list(got["rows"]["case_id"]) == list(above["case_id"][:limit])
                want_watch = list(mine["case_id"][:R.WATCH]) if above.empty else []
                assert list(got["watch"]["case_id"]) == want_watch, (region, thr, limit)
                assert got["ever_scored"] and got["asof_at"] == scores["asof_at"].max()
                assert got["model_version"] == scores["model_version"].max()
    # the rows carry the queue's columns and values (names joined), as risk_queue reads
    queue = R.risk_queue(con, Scope("3206", "leader"), limit=8)
    panel = R.risk_panel(con, Scope("3206", "leader"), 0.0, 8)["rows"]
    pd.testing.assert_frame_equal(panel, queue, check_dtype=False)


def test_with_nothing_at_the_threshold_the_panel_lists_the_nearest_below_it(store):
    from layouts.thematic import risk_panel

    con, _, _ = store
    scores = con.execute("SELECT case_no, probability FROM foresight_scores "
                         "WHERE kind = 'risk' "
                         "ORDER BY probability DESC, deadline_at, case_id").fetchall()
    page = at_risk(con, Scope("3206", "leader"), Filters(), 1.5)
    assert page["rows"].empty and page["at_risk"] == 0
    assert list(page["watch"]["case_no"]) == [c for c, _ in scores[:5]]
    text = str(risk_panel(page, "zh"))
    assert "低于阈值" in text and "gc-risk-watch-row" in text and "'gc-risk-row'" not in text
    # at a threshold some case reaches, no watch list
    some = at_risk(con, Scope("3206", "leader"), Filters(), scores[0][1])
    assert len(some["rows"]) >= 1 and some["watch"].empty


def test_the_panel_says_whether_the_store_was_ever_scored(store):
    """``ever_scored`` (run.risk_panel) decides "no scores yet" for the three readers: True
    on a scored store, also for a region with nothing scored in it (count 0); False on a
    store with no scoring run, where both panels say 暂无评分结果."""
    from layouts.overview import risk_pane
    from layouts.thematic import risk_panel

    con, asof, _ = store
    assert con.execute("SELECT count(*) FROM foresight_scores WHERE kind = 'risk'"
                       ).fetchone()[0] > 0
    scored = R.risk_panel(con, Scope("3206", "leader"), 0.5, 10)
    assert scored["ever_scored"] is True and scored["asof_at"] is not None
    empty = R.risk_panel(con, Scope("320699999", "leader"), 0.5, 10)  # no grid under it
    assert empty["ever_scored"] is True and empty["scored"] == 0
    assert "暂无评分结果" not in str(risk_pane(empty, "zh"))
    assert "暂无评分结果" not in str(risk_panel(empty, "zh"))
    con.execute("BEGIN")  # the same store before any scoring run: no risk scores
    try:
        con.execute("DELETE FROM foresight_scores WHERE kind = 'risk'")
        never = R.risk_panel(con, Scope("3206", "leader"), 0.5, 10)
    finally:
        con.execute("ROLLBACK")
    assert never["ever_scored"] is False and never["scored"] == 0
    assert never["rows"].empty and never["watch"].empty
    assert "暂无评分结果" in str(risk_pane(never, "zh"))
    assert "暂无评分结果" in str(risk_panel(never, "zh"))


def test_an_update_rescores_and_replaces_without_refit(store):
    con, asof, out = store
    later = asof + timedelta(hours=2)
    again = R.update(con, asof=later)
    assert not again["fitted"] and again["model_version"] == out["model_version"]
    assert again["scored"] == len(_expected_open(con, later))
    assert con.execute("SELECT count(DISTINCT asof_at) FROM foresight_scores "
                       "WHERE kind = 'risk'").fetchone()[0] == 1


def test_a_due_refit_waits_when_the_caller_refits_later(store):
    """On the intake path (``fit_when_due=False``) a model past its age still scores the
    batch and the answer says a refit is due; nothing new is fitted in line."""
    con, asof, out = store
    later = asof + timedelta(hours=3)
    again = R.update(con, asof=later, refit_days=0, fit_when_due=False)
    assert again["refit_due"] and not again["fitted"]
    assert again["model_version"] == out["model_version"]
    assert again["scored"] == len(_expected_open(con, later))
    assert con.execute("SELECT count(*) FROM foresight_models "
                       "WHERE active AND kind = 'risk'").fetchone()[0] == 1
    calls = []
    R.after_load(con, "incidents", 1, refit_days=0, refit_later=lambda: calls.append(1))
    R.after_load(con, "incidents", 1, refit_days=1e6, refit_later=lambda: calls.append(2))
    R.after_load(con, "hazards", 5, refit_days=0, refit_later=lambda: calls.append(3))
    assert calls == [1]  # only the due incidents batch asks for a refit


def test_isotonic_calibration_is_monotone_and_fits_steps():
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    y = np.array([0.0, 1.0, 0.0, 0.0, 1.0, 1.0])
    bx, by = M._isotonic(x, y)
    assert np.all(np.diff(by) >= 0)
    # pooled: (1 + 0 + 0) / 3 for the middle block
    assert by[0] == 0.0 and by[1] == pytest.approx(1 / 3) and by[-1] == 1.0


def test_a_bad_threshold_setting_is_refused():
    from dashboard.settings import Settings

    with pytest.raises(ValueError, match="foresight_threshold"):
        Settings.load(foresight_threshold=1.5)


def test_the_command_scores_as_of_a_moment_and_refuses_a_bad_one(demo_store, tmp_path, capsys):
    from dashboard.cli import main

    path = copy_store(demo_store, tmp_path)
    con = duckdb.connect(str(path), read_only=True)
    asof = con.execute("SELECT max(registered_at) FROM incidents").fetchone()[0]
    con.close()
    moment = asof.replace(microsecond=0)
    assert main(["foresight", "--store", str(path), "--asof", moment.isoformat()]) == 0
    out = capsys.readouterr().out
    con = duckdb.connect(str(path), read_only=True)
    n, at = con.execute("SELECT count(*), max(asof_at) FROM foresight_scores "
                        "WHERE kind = 'risk'").fetchone()
    con.close()
    assert f"scored {n} open cases as of {moment:%Y-%m-%d %H:%M}" in out and at == moment
    assert len(_expected_open(duckdb.connect(str(path), read_only=True), moment)) == n
    assert main(["foresight", "--store", str(path), "--asof", "yesterday"]) == 2
    assert "not an ISO date-time" in capsys.readouterr().err


def test_the_desk_feature_equals_a_plain_count():
    """queue = the line's cases dispatched and neither handled nor closed; ahead = the
    queue less the line's cases dispatched after this one; backlog_h = ahead / (the line's
    cases handled (else closed) in the last DESK_DAYS, at least one, per hour); dbin bins
    backlog_h / time left. Checked against a plain loop over the spans."""
    rng = np.random.default_rng(4)
    n = 400
    t0 = pd.Timestamp("2026-03-01")
    disp = t0 + pd.to_timedelta(rng.uniform(0, 30 * 24, n), unit="h")
    handled = disp + pd.to_timedelta(rng.exponential(30, n), unit="h")
    closed = handled + pd.to_timedelta(rng.exponential(10, n), unit="h")
    handled = handled.where(rng.random(n) > 0.15)  # some never recorded as handled
    closed = closed.where(rng.random(n) > 0.1)  # some still open
    grid = np.where(rng.random(n) < 0.6, "320612001001001", "320623001001001")
    spans = pd.DataFrame({"grid_code": grid, "dept_code": "D320612-CG",
                          "dispatched_at": disp, "handled_at": handled, "closed_at": closed})
    spans.loc[grid == "320623001001001", "dept_code"] = "D320623-CG"
    queues = M.Queues.build(spans)
    cases = spans.head(60).assign(
        id=range(60), registered_at=lambda d: d["dispatched_at"] - pd.Timedelta(hours=2),
        deadline_at=lambda d: d["dispatched_at"] + pd.Timedelta(hours=72),
        handled_at=pd.NaT, verified_at=pd.NaT, tier="county", major_code="E01",
        category_code="E0101")
    t = (cases["dispatched_at"] + pd.Timedelta(hours=5)).to_numpy(dtype="datetime64[s]")
    f = M.features(cases, t.astype("float64"), queues)
    days = M.DESK_DAYS
    rows = list(spans.itertuples())
    for i, (_, c) in enumerate(cases.iterrows()):
        at = pd.Timestamp(t[i])
        waiting = done = after = 0
        for r in rows:
            if r.dept_code != c["dept_code"]:
                continue
            left = min((x for x in (r.handled_at, r.closed_at) if not pd.isna(x)),
                       default=None)
            if r.dispatched_at <= at and (left is None or left > at):
                waiting += 1
            if left is not None and at - pd.Timedelta(days=days) < left <= at:
                done += 1
            if c["dispatched_at"] < r.dispatched_at <= at:
                after += 1
        backlog = max(waiting - after, 0) / (max(done, 1) / (days * 24))
        assert f["queue"].iloc[i] == waiting
        assert f["ahead"].iloc[i] == max(waiting - after, 0)
        assert f["backlog_h"].iloc[i] == pytest.approx(backlog)
        desk = backlog / 67.0
        assert f["dbin"].iloc[i] == str(sum(desk >= e for e in M.DESK_EDGES))


def test_the_place_in_the_queue_counts_the_earlier_waiting_cases():
    """Five cases handed to one line an hour apart, none handled: at hour 10 the fourth
    has itself and three earlier ones ahead; once the first two are handled, two fewer.
    The rate is the cases handled in the last DESK_DAYS (at least one)."""
    t0 = pd.Timestamp("2026-03-02 08:00")
    disp = [t0 + pd.Timedelta(hours=h) for h in range(5)]
    spans = pd.DataFrame({"grid_code": "320612001001001", "dept_code": "D320612-CG",
                          "dispatched_at": disp, "handled_at": pd.NaT, "closed_at": pd.NaT})
    case = spans.iloc[[3]].assign(
        id=[3], registered_at=t0, deadline_at=t0 + pd.Timedelta(hours=200),
        handled_at=pd.NaT, verified_at=pd.NaT, tier="county", major_code="E01",
        category_code="E0101")
    at = np.array([(t0 + pd.Timedelta(hours=10)).to_datetime64().astype("datetime64[s]")
                   .astype("float64")])
    f = M.features(case, at, M.Queues.build(spans))
    assert (f["queue"].iloc[0], f["ahead"].iloc[0]) == (5, 4)
    assert f["backlog_h"].iloc[0] == pytest.approx(4 * M.DESK_DAYS * 24)  # no rate: 1 case
    spans.loc[[0, 1], "handled_at"] = t0 + pd.Timedelta(hours=6)
    f = M.features(case, at, M.Queues.build(spans))
    assert (f["queue"].iloc[0], f["ahead"].iloc[0]) == (3, 2)
    assert f["backlog_h"].iloc[0] == pytest.approx(2 / (2 / (M.DESK_DAYS * 24)))
    assert "排在本案之前" in M.Model("risk-test").reasons(
        next(f.assign(slack_h=190.0).itertuples()), 10.0,
        next(pd.DataFrame({"load": [0.0], "dept": [0.0], "when": [0.0]}).itertuples()))


def test_a_model_stored_by_the_earlier_layout_is_not_used():
    """Params without the desk (the layout before it) do not match this code's strata keys:
    such a model counts as none and is refitted."""
    m = M.Model("risk-test")
    assert M.Model.compatible(m.params_json())
    old = json.loads(m.params_json())
    old.pop("desk_edges")
    old["levels"] = [["stage", "fbin"], ["stage", "fbin", "tier"]]
    assert not M.Model.compatible(json.dumps(old))
    # the desk measured by the earlier definition (backlog in hours of intake over 7 days):
    # same keys, other meaning
    old = json.loads(m.params_json())
    old.pop("desk")
    old["desk_days"] = 7
    assert not M.Model.compatible(json.dumps(old))


def test_training_takes_the_eligible_cases_and_samples_past_the_cap(store, monkeypatch):
    """A fit learns from the cases with a deadline registered in its window (pandas over the
    raw incidents); past ``MAX_TRAIN_CASES`` from a fixed subset of them of that size."""
    con, asof, _ = store
    raw = con.execute("SELECT id, is_void, deadline_at, registered_at, closed_at "
                      "FROM incidents").df()
    until = asof - timedelta(days=M.HORIZON_DAYS)
    since = until - timedelta(days=R.TRAIN_DAYS)
    ok = (~raw["is_void"] & raw["deadline_at"].notna() & (raw["registered_at"] >= since)
          & (raw["registered_at"] <= until)
          & (raw["closed_at"].isna() | (raw["closed_at"] >= since)))
    eligible = set(raw.loc[ok, "id"])
    seen = []
    real = M.snapshots

    def spy(cases, *args, **kwargs):
        seen.append(list(cases["id"]))
        return real(cases, *args, **kwargs)

    monkeypatch.setattr(R, "snapshots", spy)
    R.training_rows(con, asof)
    assert seen[-1] == sorted(eligible) and len(eligible) > 100
    cap = len(eligible) // 3
    monkeypatch.setattr(R, "MAX_TRAIN_CASES", cap)
    R.training_rows(con, asof)
    R.training_rows(con, asof)
    first, second = seen[-2], seen[-1]
    assert len(first) == cap and set(first) <= eligible and first == sorted(first)
    assert second == first  # the same choice on every run


def test_line_codes_equal_line_of_row_by_row():
    """``line_codes`` (the queues' lines, worked out per distinct county and department)
    names every row's line exactly as ``line_of`` does row by row, with grids outside
    every grid (''), departments without a kind suffix, empty and missing departments."""
    rng = np.random.default_rng(7)
    n = 5000
    grids = pd.Series(rng.choice(["320612001001001", "320612002003004", "320623001001001",
                                  "320602", ""], n), dtype=object)
    depts = pd.Series(rng.choice(["D320612-CG", "D320612001-ZZ", "D320623-CG", "A-B-CJ",
                                  "NODASH", "", None], n), dtype=object)
    index, lines = M.line_codes(grids, depts)
    expected = M.line_of(grids, depts)
    assert list(lines[index]) == list(expected)
    assert len(set(lines)) == len(lines)  # each line once
    # a line is a county and a department kind ('' without a department)
    assert set(lines) >= {"320612-CG", "320612-ZZ", "320623-CG", ""}


def test_scores_are_written_by_case_and_equal_a_replacement(store):
    """A rescoring keeps the rows of the cases it scores again in place (updated where a
    value changed), deletes the rows of cases no longer scored and inserts new ones: the
    table then holds exactly the new rows, as deleting and inserting them all would."""
    from dashboard.foresight import replace_scores

    con, asof, _ = store
    con.execute("BEGIN TRANSACTION")
    try:
        old = con.execute("SELECT rowid AS r, * FROM foresight_scores WHERE kind = 'risk' "
                          "ORDER BY case_id").df()
        assert len(old) >= 4
        new = old.drop(columns=["r"]).iloc[1:].copy()  # the first case is no longer scored
        new.loc[new.index[0], "probability"] = 0.123  # one value changed
        new.loc[new.index[1], "reasons"] = "改过的理由"  # one text changed
        added = new.iloc[[0]].copy()
        added["case_id"] = int(old["case_id"].max()) + 1000  # a case scored for the first time
        new = pd.concat([new, added], ignore_index=True)
        replace_scores(con, "risk", new)
        got = con.execute("SELECT rowid AS r, * FROM foresight_scores WHERE kind = 'risk' "
                          "ORDER BY case_id").df()
        cols = [c for c in new.columns]
        pd.testing.assert_frame_equal(
            got[cols].reset_index(drop=True),
            new.sort_values("case_id")[cols].reset_index(drop=True), check_dtype=False)
        # the kept cases kept their rows (updated in place, not deleted and inserted)
        kept = old.set_index("case_id")["r"].iloc[1:]
        assert got.set_index("case_id")["r"].loc[kept.index].tolist() == kept.tolist()
        assert int(old["case_id"].iloc[0]) not in set(got["case_id"])
    finally:
        con.execute("ROLLBACK")
