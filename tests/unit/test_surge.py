"""Surge detection (异常预警, dashboard/foresight/surge.py): the statistics against hand
computations, planting → detection on a copy of the demo store, the stored rows and model
version, the overview's alert items and the KPI 预警数 scoped by jurisdiction."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.foresight import surge as S
from dashboard.kpi.registry import foresight_kpi
from dashboard.kpi.scope import Scope
from tests.surge_helpers import plant_surge, raw_window_counts
from tests.unit.ingest_helpers import copy_store

# --- the statistics against hand computations ------------------------------------------------


def test_bh_equals_the_step_up_rule_by_hand():
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    # sorted: 0.005, 0.01, 0.03, 0.04, 0.5 → p·m/rank: 0.025, 0.025, 0.05, 0.05, 0.5
    # (running minimum from the top)
    expected = {0.005: 0.025, 0.01: 0.025, 0.03: 0.05, 0.04: 0.05, 0.5: 0.5}
    assert S.bh(np.array(p)) == pytest.approx([expected[x] for x in p])
    # the rule itself: reject the largest k with p_(k) ≤ k q / m
    q = 0.03
    srt = sorted(p)
    k = max((i + 1 for i, x in enumerate(srt) if x <= (i + 1) * q / len(p)), default=0)
    assert sorted(np.flatnonzero(S.bh(np.array(p)) <= q)) == \
        sorted(p.index(x) for x in srt[:k])


def _nb_tail(y: int, mu: float, size: float) -> float:
    """P(Y ≥ y), Y negative binomial (mean mu, size), by summing the pmf."""
    p = size / (size + mu)
    below = sum(math.exp(math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1)
                         + size * math.log(p) + k * math.log(1 - p)) for k in range(y))
    return 1 - below


def _poisson_tail(y: int, mu: float) -> float:
    return 1 - sum(math.exp(-mu) * mu ** k / math.factorial(k) for k in range(y))


def test_tails_equal_sums_of_the_pmf():
    assert S.nb_sf(np.array([14.0]), np.array([6.3]), np.array([np.inf]))[0] == \
        pytest.approx(_poisson_tail(14, 6.3), rel=1e-9)
    assert S.nb_sf(np.array([14.0]), np.array([6.3]), np.array([4.2]))[0] == \
        pytest.approx(_nb_tail(14, 6.3, 4.2), rel=1e-9)
    assert S.nb_sf(np.array([0.0]), np.array([6.3]), np.array([4.2]))[0] == 1.0


def test_one_cell_p_value_equals_the_gamma_poisson_predictive_by_hand():
    """One county × 大类 cell with flat factors: its level is its training mean (its parent
    is itself), the predictive of a window is negative binomial with size α."""
    days = pd.date_range("2026-01-01", periods=S.TRAIN_DAYS + S.GAP_DAYS, freq="D")
    rng = np.random.default_rng(3)
    y = rng.poisson(2.0, len(days)).astype(float)
    y[-2:] = [7, 9]  # the last two days
    cells = pd.DataFrame({"code": ["320612"], "level": ["county"], "major_code": ["C01"],
                          "parent": ["3206"], "county": ["320612"]})
    c = S.Cells(cells, days.to_numpy().astype("datetime64[D]"), y[None, :])
    res = S.detect(c, S.Factors(), len(days) - 1, q_level=1.0)
    train = y[:S.TRAIN_DAYS]
    sy = train.sum()
    share = (sy + 0.5) / (sy + 0.5)
    alpha = sy + S.PRIOR_DAYS * (sy / S.TRAIN_DAYS) * share + 1e-3
    lam = alpha / (S.TRAIN_DAYS + S.PRIOR_DAYS)
    tails = {}
    for h in S.WINDOWS:
        obs = int(y[-h:].sum())
        mu = lam * h
        ok = obs >= S.MIN_COUNT and obs >= S.MIN_RATIO * mu
        tails[h] = _nb_tail(obs, mu, alpha) if ok else 1.0
    # weighted Bonferroni: min over the windows of p_h / w_h, capped at 1
    w = dict(zip(S.WINDOWS, S.WINDOW_WEIGHTS, strict=True))
    h = min(tails, key=lambda k: tails[k] / w[k])
    row = res.iloc[0]
    assert int(row["window_days"]) == h
    assert row["observed"] == y[-h:].sum()
    assert row["p_value"] == pytest.approx(min(1.0, tails[h] / w[h]), rel=1e-6)
    assert row["baseline_per_day"] == pytest.approx(lam, rel=1e-9)


def test_the_window_weights_are_one_per_window_and_sum_to_one():
    assert len(S.WINDOW_WEIGHTS) == len(S.WINDOWS)
    assert all(w > 0 for w in S.WINDOW_WEIGHTS)
    assert math.fsum(S.WINDOW_WEIGHTS) == pytest.approx(1.0, abs=1e-12)
    # given weights are normalised; wrong ones are refused
    assert S.window_weights([1, 2, 1], 3).tolist() == [0.25, 0.5, 0.25]
    for bad in ([0.5, 0.5], [-0.1, 0.6, 0.5], [0, 0, 0]):
        with pytest.raises(ValueError):
            S.window_weights(bad, 3)


def _weighted_bonferroni_by_hand(row: list[float], w: list[float]) -> tuple[float, int]:
    """min_i p_i / w_i capped at 1 and its window (the first on a tie), in plain Python."""
    best, at = math.inf, -1
    for i, (p, wi) in enumerate(zip(row, w, strict=True)):
        if wi > 0 and p / wi < best:
            best, at = p / wi, i
    return min(1.0, best), at


def test_the_weighted_combination_is_min_p_over_w_capped_at_one():
    rng = np.random.default_rng(11)
    p = rng.uniform(0, 1, (300, 3)) ** 3  # many small p-values, some near 1
    p[:5] = 1.0  # no window passed the floors
    p[5] = [0.9, 0.8, 0.7]  # every p / w over 1: capped
    for w in ([0.25, 0.5, 0.25], [0.2, 0.6, 0.2], [0.3, 0.5, 0.2], [0.0, 1.0, 0.0]):
        got, j = S.combine(p, w)
        for r in range(len(p)):
            want, at = _weighted_bonferroni_by_hand(p[r].tolist(), w)
            assert got[r] == pytest.approx(want, rel=1e-12)
            if want < 1.0:
                assert j[r] == at


def test_equal_weights_reproduce_the_plain_bonferroni_p():
    """Equal weights: 3 × the smallest window p, capped at 1 (the method before the
    weights), both in :func:`combine` and through :func:`detect` on a count matrix."""
    rng = np.random.default_rng(12)
    p = rng.uniform(0, 1, (200, 3)) ** 4
    got, _ = S.combine(p, [1 / 3, 1 / 3, 1 / 3])
    assert got == pytest.approx([min(1.0, 3 * min(r)) for r in p.tolist()], rel=1e-12)
    # through detect: the window tests' p (floors applied by hand) → 3 × the smallest
    n_days = S.TRAIN_DAYS + S.GAP_DAYS
    days = pd.date_range("2026-03-01", periods=n_days, freq="D").to_numpy()
    codes = [f"320612{t:03d}" for t in range(1, 41)]
    cells = pd.DataFrame({"code": codes, "level": "town", "major_code": "C01",
                          "parent": "320612", "county": "320612"})
    y = rng.poisson(2.5, (40, n_days)).astype(float)
    y[3, -1] += 9
    y[7, -2:] += 5
    y[9, -3:] += 4
    c = S.Cells(cells, days.astype("datetime64[D]"), y)
    t = S.window_tests(c, S.Factors(), n_days - 1)
    res = S.detect(c, S.Factors(), n_days - 1, q_level=1.0, tests=t, weights=[1, 1, 1])
    for r in range(len(codes)):
        ps = [t["p"][r, k] if t["y"][r, k] >= S.MIN_COUNT
              and t["y"][r, k] >= S.MIN_RATIO * t["mu"][r, k] else 1.0 for k in range(3)]
        assert res["p_value"].iloc[r] == pytest.approx(min(1.0, 3 * min(ps)), rel=1e-12)
    assert res["p_value"].iloc[3] < 0.01 and res["p_value"].iloc[7] < 0.01
    # another weighting changes the p-values by the same rule
    res2 = S.detect(c, S.Factors(), n_days - 1, q_level=1.0, tests=t, weights=[1, 2, 1])
    for r in range(len(codes)):
        ps = [t["p"][r, k] if t["y"][r, k] >= S.MIN_COUNT
              and t["y"][r, k] >= S.MIN_RATIO * t["mu"][r, k] else 1.0 for k in range(3)]
        assert res2["p_value"].iloc[r] == pytest.approx(
            _weighted_bonferroni_by_hand(ps, [0.25, 0.5, 0.25])[0], rel=1e-12)


def test_evidence_reads_like_the_issue():
    assert S.evidence("网格X", "噪声扰民", 3, 14, 2.1) == \
        "网格X 噪声扰民 近3日 14 件，基线 2.1 件/日（约 2.2 倍）"


def test_only_the_surging_cell_alerts_among_many_quiet_ones():
    """200 Poisson cells (two levels), one with a tripled week-end: BH keeps it alone."""
    rng = np.random.default_rng(5)
    n_days = S.TRAIN_DAYS + S.GAP_DAYS
    days = pd.date_range("2026-03-01", periods=n_days, freq="D").to_numpy()
    codes = [f"320612{t:03d}" for t in range(1, 201)]
    cells = pd.DataFrame({"code": codes, "level": "town", "major_code": "C01",
                          "parent": "320612", "county": "320612"})
    y = rng.poisson(3.0, (200, n_days)).astype(float)
    y[17, -2:] = rng.poisson(15.0, 2)
    c = S.Cells(cells, days.astype("datetime64[D]"), y)
    res = S.detect(c, S.Factors(), n_days - 1)
    assert res.loc[res["alert"], "code"].tolist() == [codes[17]]


# --- on a store ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(demo_store, tmp_path_factory):
    """A copy of the demo store with 40 extra cases of one county × 大类 on its last
    complete day (copies of earlier cases of that cell), and a clean copy; both detected as
    of the end of that day."""
    base = tmp_path_factory.mktemp("surge")
    clean = copy_store(demo_store, base, "clean.duckdb")
    path = copy_store(demo_store, base, "planted.duckdb")
    info = plant_surge(path)
    county, major, day, asof = info["county"], info["major"], info["day"], info["asof"]
    con = duckdb.connect(str(path))
    out = S.update(con, asof=asof, refit=True)
    con2 = duckdb.connect(str(clean))
    out2 = S.update(con2, asof=asof, refit=True)
    yield {"con": con, "clean": con2, "out": out, "clean_out": out2, "county": county,
           "major": major, "day": day, "asof": asof}
    con.close()
    con2.close()


def _stored(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM foresight_scores WHERE kind = 'surge'").df()


def test_the_planted_surge_is_detected_where_it_was_planted(planted):
    rows = _stored(planted["con"])
    mine = rows[rows["grid_code"].str.startswith(planted["county"])
                & (rows["category_code"] == planted["major"])]
    assert len(mine) >= 1
    clean = _stored(planted["clean"])
    assert not ((clean["grid_code"].str.startswith(planted["county"]))
                & (clean["category_code"] == planted["major"])
                & (clean["day"] == planted["day"])
                & (clean["observed"] >= 40)).any()


def test_stored_rows_carry_kind_model_version_and_counts_of_the_raw_rows(planted):
    con = planted["con"]
    rows = _stored(con)
    assert len(rows) == planted["out"]["alerts"] > 0
    model = con.execute("SELECT model_version, params FROM foresight_models "
                        "WHERE kind = 'surge' AND active").fetchall()
    assert len(model) == 1
    assert set(rows["model_version"]) == {model[0][0]} == {planted["out"]["model_version"]}
    assert rows["case_id"].isna().all()
    assert (rows["q_value"] <= S.Q_LEVEL).all() and (rows["observed"] >= S.MIN_COUNT).all()
    assert rows["probability"].tolist() == pytest.approx((1 - rows["q_value"]).tolist())
    assert set(rows["stage"]) <= {"county", "town", "village"}
    # observed = non-void raw incidents of the region and 大类 reported in the window
    for r, n in zip(rows.itertuples(), raw_window_counts(con, rows), strict=True):
        assert r.observed == n, r.reasons
        assert f" {n} 件" in r.reasons


def test_the_count_is_scoped_by_jurisdiction(planted):
    con = planted["con"]
    rows = _stored(con)
    county = planted["county"]
    got = S.surge_count(con, Scope(county, "analyst"))
    assert got["alerts"] == int(rows["grid_code"].str.startswith(county).sum())
    assert got["model_version"] == planted["out"]["model_version"]
    city = S.surge_count(con, Scope(county[:4], "leader"))["alerts"]
    assert city == len(rows)
    others = con.execute("SELECT DISTINCT short_code FROM regions WHERE level = 'county' "
                         "AND short_code <> $c", {"c": county}).fetchall()
    outside = sum(S.surge_count(con, Scope(c, "analyst"))["alerts"] for (c,) in others)
    assert outside == city - got["alerts"]
    assert foresight_kpi("surge_alerts").name_zh == "预警数"


def test_the_overview_lists_the_alerts_and_a_strong_one_is_the_kiosk_jump(planted):
    from dashboard import overview_data as od

    con = planted["con"]
    now = planted["asof"] + timedelta(hours=9)
    county = planted["county"]
    _, items = od.alerts(con, Scope(county, "analyst"), now, tables=False)
    surges = items[items["kind"] == "surge"]
    rows = _stored(con)
    mine = rows[rows["grid_code"].str.startswith(county)].sort_values(  # the list's order
        ["q_value", "observed", "grid_code", "category_code"],
        ascending=[True, False, True, True])
    assert surges["title"].tolist() == mine["reasons"].head(len(surges)).tolist()
    assert len(surges) == min(len(mine), od.ALERT_ITEMS)
    crit = od.surge_critical(con, Scope(county, "analyst"), now)
    if mine["q_value"].iloc[0] <= od.SURGE_CRITICAL_Q:
        assert crit["kind"] == "surge" and crit["title"] == mine["reasons"].iloc[0]
        assert crit["village_code"].startswith(mine["grid_code"].iloc[0])
    # another county's user sees none of them
    other = con.execute("SELECT short_code FROM regions WHERE level = 'county' "
                        "AND short_code <> $c LIMIT 1", {"c": county}).fetchall()[0][0]
    _, items2 = od.alerts(con, Scope(other, "analyst"), now, tables=False)
    assert not items2.loc[items2["kind"] == "surge", "grid_code"].str.startswith(county).any()
    # a screen moment days after the run shows no stale alerts
    _, later = od.alerts(con, Scope(county, "analyst"), now + timedelta(days=4), tables=False)
    assert (later["kind"] != "surge").all()


def test_an_update_without_refit_keeps_the_model(planted):
    con = planted["con"]
    again = S.update(con, asof=planted["asof"])
    assert not again["fitted"]
    assert again["model_version"] == planted["out"]["model_version"]
    assert again["alerts"] == planted["out"]["alerts"]


def test_a_model_of_another_method_is_refitted(demo_store, tmp_path):
    """A store whose active surge model was made by another method (e.g. before the window
    weights changed) gets a fresh model on the next update, so the stored alerts carry the
    version of the method that made them."""
    con = duckdb.connect(str(copy_store(demo_store, tmp_path, "old.duckdb")))
    try:
        first = S.update(con, refit=True)
        old = first["model_version"].replace(f"-{S.METHOD}-", "-nbbh0-")
        con.execute("UPDATE foresight_models SET model_version = $o WHERE model_version = $v",
                    {"o": old, "v": first["model_version"]})
        again = S.update(con, asof=first["asof"])
        assert again["fitted"]
        assert again["model_version"].startswith(f"surge-{S.METHOD}-")
        stored = con.execute("SELECT DISTINCT model_version FROM foresight_scores "
                             "WHERE kind = 'surge'").fetchall()
        assert stored in ([], [(again["model_version"],)])
        active = con.execute("SELECT model_version FROM foresight_models WHERE kind = 'surge' "
                             "AND active").fetchall()
        assert active == [(again["model_version"],)]
    finally:
        con.close()


def test_the_demo_build_and_the_command_store_a_surge_model(demo, demo_store, tmp_path,
                                                           capsys):
    assert demo.execute("SELECT count(*) FROM foresight_models WHERE kind = 'surge' "
                        "AND active").fetchall() == [(1,)]
    from dashboard.cli import main

    path = copy_store(demo_store, tmp_path)
    con = duckdb.connect(str(path), read_only=True)
    end = con.execute("SELECT max(registered_at) FROM incidents").fetchall()[0][0]
    con.close()
    assert main(["foresight", "--store", str(path), "--asof",
                 end.replace(microsecond=0).isoformat()]) == 0
    out = capsys.readouterr().out
    assert "异常预警" in out and "surge-" in out


def test_weekday_factors_follow_the_counts():
    days = pd.date_range("2026-01-05", periods=70, freq="D")  # Monday first, 10 weeks
    n = np.where(days.day_of_week >= 5, 1, 4) * 50
    f = S.weekday_factors(pd.DataFrame({"major_code": "C01", "day": days, "n": n}))
    w = np.array(f["C01"])
    assert w.mean() == pytest.approx(1.0)
    assert w[0] / w[6] == pytest.approx(4.0, rel=1e-6)  # no other major to shrink to


def _monthly(season: np.ndarray, level, start: str = "2023-12-01") -> pd.DataFrame:
    """Expected monthly counts of one 大类: level(month index) × season × days."""
    months = pd.period_range(start, periods=36, freq="M")
    n = [level(i) * season[m.month - 1] * m.days_in_month for i, m in enumerate(months)]
    return pd.DataFrame({"major_code": "C01", "month": months.to_timestamp(),
                         "n": np.round(n)})


def test_month_factors_with_a_steady_level_equal_the_calendar_month_rates_by_hand():
    """A steady level: the season is each calendar month's rate (cases / days, pandas over
    the months after the first) over their geometric mean."""
    rng = np.random.default_rng(3)
    season = np.array([0.8, 0.85, 1, 1, 1.05, 1.1, 1.15, 1.15, 1.05, 1, 0.96, 0.95])
    monthly = _monthly(season, lambda i: 300.0)
    monthly["n"] = rng.poisson(monthly["n"])
    f = np.array(S.month_factors(monthly)["C01"])
    m = monthly.iloc[1:].assign(cal=pd.DatetimeIndex(monthly["month"].iloc[1:]).month,
                               days=pd.DatetimeIndex(monthly["month"].iloc[1:]).days_in_month)
    g = m.groupby("cal")[["n", "days"]].sum()
    by_hand = np.log(g["n"] / g["days"]).to_numpy()
    by_hand = np.exp(by_hand - by_hand.mean())
    assert f == pytest.approx(by_hand, rel=0.01)
    assert np.exp(np.log(f).mean()) == pytest.approx(1.0)


def test_month_factors_are_not_bent_by_a_launch_ramp():
    """The level rises by half over four months a quarter into the history (the demo's
    platform launch): the season is recovered within 2 %, where ratios to a centred
    13-month mean (the former method) are off by 5 % and more (6.7 % here)."""
    season = np.array([0.8, 0.85, 1, 1, 1.05, 1.1, 1.15, 1.15, 1.05, 1, 0.96, 0.95])
    truth = season / np.exp(np.log(season).mean())
    monthly = _monthly(season, lambda i: 200.0 * (1 + 0.5 * np.clip((i - 9) / 4, 0, 1)))
    monthly["n"] *= 10  # large counts: the test is of the bias, not of noise
    f = np.array(S.month_factors(monthly)["C01"])
    assert f == pytest.approx(truth, rel=0.02)
    # the former estimate, by hand: each month's rate over its centred 2×12 mean
    rate = (monthly["n"] / pd.DatetimeIndex(monthly["month"]).days_in_month).to_numpy()
    logs = [[] for _ in range(12)]
    for i in range(6, len(rate) - 6):
        base = (rate[i - 5:i + 6].sum() + 0.5 * (rate[i - 6] + rate[i + 6])) / 12
        logs[pd.Timestamp(monthly["month"].iloc[i]).month - 1].append(np.log(rate[i] / base))
    old = np.array([np.mean(x) for x in logs])
    old = np.exp(old - old.mean())
    assert np.abs(old / truth - 1).max() > 0.05


def test_month_factors_of_a_thin_major_lean_on_the_all_category_season():
    season = np.array([0.8, 0.85, 1, 1, 1.05, 1.1, 1.15, 1.15, 1.05, 1, 0.96, 0.95])
    big = _monthly(season, lambda i: 500.0)
    thin = _monthly(np.ones(12), lambda i: 0.2).assign(major_code="C02")
    f = S.month_factors(pd.concat([big, thin], ignore_index=True))
    # 6 cases per calendar month against MONTH_PRIOR's 500: almost the all-category season
    allc = np.array(S.month_factors(big.assign(n=big["n"] + thin["n"]))["C01"])
    assert np.array(f["C02"]) == pytest.approx(allc, rel=0.02)


def test_after_a_launch_the_spring_baseline_meets_the_expected_counts():
    """Daily expected counts (numpy) of one county × 大类 cell: a season, and a level that
    rises by half over four months a quarter into three years. Fitted on the months before
    a March day, the baseline of that day (level from January–February × the month factors)
    is within 2 % of the generating mean (the former centred ratios, measured once: 6 % low)."""
    season = np.array([0.8, 0.85, 1, 1, 1.05, 1.1, 1.15, 1.15, 1.05, 1, 0.96, 0.95])
    days = pd.date_range("2023-12-01", "2026-03-20", freq="D")
    t = np.arange(len(days))
    level = 20.0 * (1 + 0.5 * np.clip((t - 274) / 120, 0, 1))
    mean = level * season[days.month - 1]
    test_day = pd.Timestamp("2026-03-20")
    # monthly counts before the test day's month, summed by pandas from the daily means
    hist = pd.DataFrame({"month": days.to_period("M").to_timestamp(), "n": mean})
    monthly = (hist[hist["month"] < "2026-03-01"].groupby("month", as_index=False)["n"].sum()
               .assign(major_code="C01"))
    factors = S.Factors(weekday={}, month=S.month_factors(monthly))
    c = S.Cells(pd.DataFrame({"code": ["320101"], "level": ["county"], "major_code": ["C01"],
                              "parent": ["3201"], "county": ["320101"]}),
                days.to_numpy().astype("datetime64[D]"), mean[None, :].copy())
    t_ = S.window_tests(c, factors, c.index_of(test_day), windows=(1,))
    assert t_["mu"][0, 0] == pytest.approx(mean[-1], rel=0.02)


def test_fit_reads_the_month_factors_from_the_raw_rows(demo):
    """The store path (incident_monthly through surge_months.sql) gives the same factors as
    the raw incidents counted by pandas."""
    end = dict(demo.execute("SELECT key, value FROM meta").fetchall())["history_end"]
    asof = datetime.fromisoformat(end)
    raw = demo.execute("SELECT i.reported_at, c.major_code FROM incidents i JOIN categories c "
                       "ON c.code = i.category_code WHERE NOT i.is_void").df()
    raw["month"] = raw["reported_at"].dt.to_period("M").dt.to_timestamp()
    cut = pd.Timestamp(asof.date()).to_period("M").to_timestamp()
    monthly = (raw[raw["month"] < cut].groupby(["major_code", "month"]).size()
               .rename("n").reset_index())
    by_hand = S.month_factors(monthly)
    fitted = S.fit(demo, asof).month
    assert by_hand and set(fitted) == set(by_hand)
    for major, f in by_hand.items():
        assert fitted[major] == pytest.approx(f, rel=1e-6)


def test_a_run_at_midnight_tests_the_day_before_complete():
    assert S.test_day(datetime(2026, 5, 2)) == (datetime(2026, 5, 1).date(), 1.0)
    assert S.test_day(datetime(2026, 5, 2, 15))[0] == datetime(2026, 5, 2).date()


def test_the_newer_critical_alert_wins_the_kiosk_jump():
    from dashboard.overview_data import newest_critical

    surge = {"key": "surge:320612:C01:2026-05-01", "at": "2026-05-01T00:00:00"}
    hazard = {"key": "major_hazard:7", "at": "2026-05-01T09:30:00"}
    older = {"key": "iot:3", "at": "2026-04-30T22:00:00"}
    assert newest_critical(None, surge) is surge and newest_critical(hazard, None) is hazard
    assert newest_critical(hazard, surge) is hazard
    assert newest_critical(older, surge) is surge
    assert newest_critical(None, None) is None


# --- the BH families and the settings -------------------------------------------------------


def _bh_by_hand(p: list[float]) -> list[float]:
    """Benjamini–Hochberg q-values by the textbook loop: q_(i) = min over j ≥ i of
    p_(j) · m / j."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    for rank, i in enumerate(order, start=1):
        q[i] = min(min(p[order[j - 1]] * m / j for j in range(rank, m + 1)), 1.0)
    return q


def test_the_county_cells_of_each_county_are_one_bh_family():
    """Two counties × 30 大类 and 40 towns: a county cell's q-value counts only its own
    county's cells; the town cells are one city-wide family."""
    rng = np.random.default_rng(11)
    n_days = S.TRAIN_DAYS + S.GAP_DAYS
    days = pd.date_range("2026-03-01", periods=n_days, freq="D").to_numpy()
    rows = [{"code": c, "level": "county", "major_code": f"C{k:02d}", "parent": "3206",
             "county": c} for c in ("320612", "320613") for k in range(30)]
    rows += [{"code": f"320612{t:03d}", "level": "town", "major_code": "C01",
              "parent": "320612", "county": "320612"} for t in range(40)]
    cells = pd.DataFrame(rows)
    y = rng.poisson(4.0, (len(cells), n_days)).astype(float)
    y[3, -2:] = [12, 13]   # county 320612, 大类 C03
    y[65, -1] = 14         # a town
    c = S.Cells(cells, days.astype("datetime64[D]"), y)
    res = S.detect(c, S.Factors(), n_days - 1)
    for mask in (cells["county"].eq("320612") & cells["level"].eq("county"),
                 cells["county"].eq("320613") & cells["level"].eq("county"),
                 cells["level"].eq("town")):
        part = res[mask.to_numpy()]
        assert part["q_value"].tolist() == pytest.approx(_bh_by_hand(part["p_value"].tolist()))
    # pooled over both counties the surging county cell's q-value would be larger
    county = res[res["level"] == "county"]
    pooled = _bh_by_hand(county["p_value"].tolist())[3]
    assert res.at[3, "q_value"] < pooled


def test_the_surge_settings_are_validated():
    from dashboard.settings import Settings

    s = Settings.load()
    assert s.surge_q_level == S.Q_LEVEL
    from dashboard import overview_data as od

    assert s.surge_critical_q == od.SURGE_CRITICAL_Q
    for name, bad in (("surge_q_level", 0), ("surge_q_level", 1.5), ("surge_critical_q", -1)):
        with pytest.raises(ValueError, match=name):
            Settings.load(**{name: bad})


def test_a_changed_q_level_setting_changes_the_stored_alerts(demo_store, tmp_path,
                                                              monkeypatch, capsys):
    """``gridcmd foresight`` with GRIDCMD_SURGE_Q_LEVEL below the planted alert's q-value
    stores it no more; the critical threshold decides the kiosk jump."""
    from dashboard import overview_data as od
    from dashboard.cli import main
    from dashboard.settings import Settings

    path = copy_store(demo_store, tmp_path)
    info = plant_surge(path)
    args = ["foresight", "--store", str(path), "--asof", info["asof"].isoformat()]
    assert main(args) == 0
    con = duckdb.connect(str(path), read_only=True)
    first = _stored(con)
    con.close()
    assert (first["q_value"] <= S.Q_LEVEL).all() and len(first) >= 1
    top = first.sort_values("q_value").iloc[0]
    monkeypatch.setenv("GRIDCMD_SURGE_Q_LEVEL", repr(float(top["q_value"]) / 2))
    assert Settings.load().surge_q_level == float(top["q_value"]) / 2
    assert main(args) == 0
    capsys.readouterr()
    con = duckdb.connect(str(path), read_only=True)
    second = _stored(con)
    # the kiosk jump: the strongest alert is critical below a threshold above its q-value
    county = info["county"]
    now = info["asof"] + timedelta(hours=9)
    con.close()
    assert len(second) < len(first)
    assert (second["q_value"] <= float(top["q_value"]) / 2).all()
    monkeypatch.delenv("GRIDCMD_SURGE_Q_LEVEL")
    assert main(args) == 0
    capsys.readouterr()
    con = duckdb.connect(str(path), read_only=True)
    mine = _stored(con)
    mine = mine[mine["grid_code"].str.startswith(county)].sort_values("q_value")
    q0 = float(mine["q_value"].iloc[0])
    scope = Scope(county, "analyst")
    assert od.surge_critical(con, scope, now, q0 * 2)["title"] == mine["reasons"].iloc[0]
    assert od.surge_critical(con, scope, now, q0 / 2) is None
    got = od.panel_data(con, scope, scope, now, surge_critical_q=q0 / 2)
    assert got["critical"] is None or got["critical"]["kind"] != "surge"
    con.close()


def test_cases_outside_every_grid_are_left_out_not_a_failure(demo_store, tmp_path):
    """A case whose point lies in no grid is stored with grid_code '' (an import's
    "outside_grid"); surge detection counts cases per village, and such a case has none.
    Before, its empty code made the detection fail after the import (found by a 1M-case
    upload into the 10M store: 1,596 of its points were outside the city's grids)."""
    from dashboard.ingest.load import load_records, store_area
    from tests.unit.ingest_helpers import incident_rows

    con = duckdb.connect(str(copy_store(demo_store, tmp_path, "outside.duckdb")))
    try:
        latest = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]
        # the day before the newest report: its rows (08:00–18:00) are never in the future
        # (the session demo ends when it is built; CI at 08:25 quarantined them)
        day = latest.date() - timedelta(days=1)
        rows = incident_rows(con, 5, prefix="OUT", day=str(day), seed=3)
        area = store_area(con)
        x0, y0, _, _ = area.bounds  # the corner of the city's bounds (with its margin)
        for r in rows:  # inside the area the loader accepts, in no grid
            r["lon"], r["lat"] = x0 + 0.001, y0 + 0.001
            r.pop("grid_code", None)
        summary = load_records(con, "incidents", rows, source="test", area=area)
        assert summary.outside_grid == 5 and summary.inserted == 5, summary.report()
        assert con.execute("SELECT count(*) FROM incident_daily WHERE grid_code = ''"
                           ).fetchone()[0] > 0
        out = S.update(con, refit=True)  # raised KeyError before
        assert out["fitted"]
        codes = con.execute("SELECT DISTINCT grid_code FROM foresight_scores "
                            "WHERE kind = 'surge'").fetchall()
        assert ("",) not in codes
    finally:
        con.close()
