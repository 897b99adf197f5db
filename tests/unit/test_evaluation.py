"""Evaluation: grades, weights, composite scores, fair ranking (同比/环比: test_periods.py)."""

from __future__ import annotations

import math
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.kpi import Scope, kpis
from dashboard.kpi.evaluation import (
    DEFAULT_WEIGHTS,
    DEPARTMENT_MEASURES,
    DURATION_TARGETS,
    PRIOR_STRENGTH,
    TIME_LIMITED,
    department_measures,
    grade,
    indicator_score,
    score_departments,
    score_regions,
    shrink,
    validate_weights,
    wilson,
)
from dashboard.kpi.registry import get

PERIOD = ("2026-08-01", "2026-10-31")


@pytest.fixture(scope="module")
def city(demo):
    return Scope(demo.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()[0], "leader")


@pytest.fixture(scope="module")
def towns(demo, city):
    return score_regions(demo, city, *PERIOD, level="town")


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(("score", "letter"), [
    (100.0, "A"), (90.0, "A"), (89.999, "B"), (75.0, "B"), (74.999, "C"), (60.0, "C"),
    (59.99, "D"), (40.0, "D"), (39.99, "E"), (0.0, "E"),
])
def test_grade_boundaries_are_exact(score, letter):
    assert grade(score) == letter


def test_grade_of_missing_score_is_none():
    assert grade(float("nan")) is None
    assert grade(None) is None


def test_default_weights_are_frozen_and_sum_to_one():
    assert math.isclose(sum(DEFAULT_WEIGHTS.values()), 1.0)
    with pytest.raises(TypeError):
        DEFAULT_WEIGHTS["close_rate"] = 1.0  # type: ignore[index]
    for key in DEFAULT_WEIGHTS:
        get(key)


def test_weights_are_normalised_and_zero_weights_dropped():
    w = validate_weights({"close_rate": 2, "rework_rate": 6, "satisfaction_rate": 0})
    assert dict(w) == {"close_rate": 0.25, "rework_rate": 0.75}


@pytest.mark.parametrize("bad", [
    {"no_such_kpi": 1.0},
    {"close_rate": -0.1, "rework_rate": 1.0},
    {"close_rate": 0.0},
    {},
    {"close_rate": float("nan")},
    {"close_rate": "0.5"},
    {"close_rate": True},
    {"reported": 1.0},          # a count has no 0-100 scale
    {"overdue": 1.0},           # nor a stock
    ["close_rate"],
])
def test_bad_weights_raise(bad):
    with pytest.raises(ValueError):
        validate_weights(bad)


def test_wilson_matches_known_values():
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=5e-4)
    assert hi == pytest.approx(0.9433, abs=5e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=5e-4)
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_shrinkage_pulls_small_samples_harder():
    prior = 0.5
    small, large = shrink([3.0, 300.0], [3.0, 300.0], prior)
    assert abs(small - prior) < abs(1.0 - prior)
    assert (1.0 - small) > (1.0 - large) > 0
    assert shrink([0.0], [0.0], prior)[0] == prior  # no cases: the prior itself


def test_indicator_scores():
    hours = indicator_score(get("avg_handle_hours"), [0.0, 24.0, 60.0, 96.0, 200.0, float("nan")])
    assert list(hours[:5]) == pytest.approx([100.0, 100.0, 50.0, 0.0, 0.0])
    assert math.isnan(hours[5])
    assert indicator_score(get("rework_rate"), 0.04) == pytest.approx(96.0)
    assert indicator_score(get("close_rate"), 0.875) == pytest.approx(87.5)


# --------------------------------------------------------------------------- demo store


def _hand_score(key: str, value: float) -> float:
    kpi = get(key)
    if math.isnan(value):
        return math.nan
    if kpi.kind == "rate":
        return 100 * (1 - value) if kpi.better == "lower" else 100 * value
    t = DURATION_TARGETS[key]
    if value <= t:
        return 100.0
    if value >= 4 * t:
        return 0.0
    return 100 * (4 * t - value) / (3 * t)


def _hand_composite(scores: dict[str, float], weights) -> float:
    used = {k: s for k, s in scores.items() if not math.isnan(s)}
    return sum(weights[k] * s for k, s in used.items()) / sum(weights[k] for k in used)


def test_composite_equals_hand_computation(demo, city, towns):
    keys = list(DEFAULT_WEIGHTS)
    ranked = towns.loc[towns["ranked"], "region"]
    region = ranked.iloc[len(ranked) // 2]
    raw = kpis(demo, Scope(region, "leader"), *PERIOD, keys=keys).set_index("key")
    overall = kpis(demo, city, *PERIOD, keys=keys).set_index("key")
    row = towns.set_index("region").loc[region]

    scores, shrunk_scores = {}, {}
    for key in keys:
        value = float(raw.loc[key, "value"])
        num, den = float(raw.loc[key, "numerator"]), float(raw.loc[key, "denominator"])
        prior = float(overall.loc[key, "value"])
        shrunk = (num + PRIOR_STRENGTH * prior) / (den + PRIOR_STRENGTH)
        scores[key] = _hand_score(key, value)
        shrunk_scores[key] = _hand_score(key, shrunk)
        assert row[key] == pytest.approx(value, nan_ok=True)
        assert row[f"{key}_shrunk"] == pytest.approx(shrunk)
        assert row[f"{key}_score"] == pytest.approx(scores[key], nan_ok=True)

    assert row["score"] == pytest.approx(_hand_composite(scores, DEFAULT_WEIGHTS))
    assert row["score_shrunk"] == pytest.approx(_hand_composite(shrunk_scores, DEFAULT_WEIGHTS))
    assert row["grade"] == grade(row["score_shrunk"])
    assert row["volume"] == raw.loc["ontime_rate", "denominator"]


def test_custom_weights_composite(demo, city):
    weights = {"close_rate": 1, "rework_rate": 3}
    got = score_regions(demo, city, *PERIOD, level="county", weights=weights)
    row = got.iloc[0]
    hand = 0.25 * 100 * row["close_rate"] + 0.75 * 100 * (1 - row["rework_rate"])
    assert row["score"] == pytest.approx(hand)
    assert got.attrs["main"] == "rework_rate"
    assert (got["volume"] == got["rework_rate_n"]).all()


def test_small_regions_are_not_ranked(towns):
    small = towns[towns["volume"] < 30]
    big = towns[towns["volume"] >= 30]
    assert len(small) > 0 and len(big) > 1
    assert not small["ranked"].any() and small["rank"].isna().all()
    assert big["ranked"].all()
    ranks = towns.loc[towns["ranked"], "rank"].astype(int)
    assert ranks.min() == 1 and ranks.max() <= len(big)
    ordered = towns.loc[towns["ranked"]].sort_values("rank")
    assert ordered["score_shrunk"].is_monotonic_decreasing
    assert set(towns["grade"].dropna()) <= set("ABCDE")


def test_min_volume_zero_ranks_every_scored_region(demo, city):
    got = score_regions(demo, city, *PERIOD, level="town", min_volume=0)
    assert got.loc[got["score_shrunk"].notna(), "ranked"].all()


def test_shrinkage_factor_grows_with_volume(towns):
    prior = towns.attrs["priors"]["ontime_rate"]
    moved = towns[(towns["ontime_rate_n"] > 0) & ((towns["ontime_rate"] - prior).abs() > 1e-9)]
    kept = (moved["ontime_rate_shrunk"] - prior) / (moved["ontime_rate"] - prior)
    n = moved["ontime_rate_n"]
    assert kept.to_numpy() == pytest.approx((n / (n + PRIOR_STRENGTH)).to_numpy())
    small, large = moved.loc[n.idxmin()], moved.loc[n.idxmax()]
    assert small["ontime_rate_n"] < large["ontime_rate_n"]
    assert kept[n.idxmin()] < kept[n.idxmax()]


def test_wilson_columns_bracket_rates(towns):
    rated = towns[towns["ontime_rate_n"] > 0]
    assert (rated["ontime_rate_lo"] <= rated["ontime_rate"] + 1e-12).all()
    assert (rated["ontime_rate"] <= rated["ontime_rate_hi"] + 1e-12).all()
    assert "avg_handle_hours_lo" not in towns.columns  # intervals are for rates only


def test_bad_input_raises(demo, city):
    with pytest.raises(ValueError, match="unknown KPI"):
        score_regions(demo, city, *PERIOD, level="town", weights={"nope": 1})
    with pytest.raises(ValueError, match="after"):
        score_regions(demo, city, "2026-10-31", "2026-08-01", level="town")
    with pytest.raises(ValueError, match="min_volume"):
        score_regions(demo, city, *PERIOD, level="town", min_volume=-1)
    with pytest.raises(ValueError, match="level"):
        score_regions(demo, city, *PERIOD, level="province")


# --------------------------------------------------------------------------- departments

COUNTY = "320613"
SATISFIED = ("满意", "基本满意")


@pytest.fixture(scope="module")
def raw_tables(demo):
    return {t: demo.execute(f"SELECT * FROM {t}").df()
            for t in ("incidents", "surveys", "hazards", "departments")}


def _pandas_department_measures(raw, prefix: str, d0: str, d1: str) -> pd.DataFrame:
    """Per-department measures straight from the raw tables, by the registry's words."""
    start = pd.Timestamp(d0)
    end = pd.Timestamp(d1) + pd.Timedelta(days=1)

    def within(col):
        return (col >= start) & (col < end)

    inc = raw["incidents"]
    cases = inc[inc["grid_code"].str.startswith(prefix) & ~inc["is_void"]
                & inc["dept_code"].notna()]
    closed = within(cases["closed_at"])
    hours = lambda a, b: (a - b).dt.total_seconds() / 3600.0  # noqa: E731
    flags = pd.DataFrame({
        "dept_code": cases["dept_code"],
        "closed": closed,
        "closed_ontime": closed & (cases["closed_at"] <= cases["deadline_at"]),
        "closed_late": closed & (cases["closed_at"] > cases["deadline_at"]),
        "closed_dl": closed & cases["deadline_at"].notna(),
        "overdue_open": (cases["deadline_at"] < end)
        & (cases["closed_at"].isna() | (cases["closed_at"] >= end)),
        "reworked": closed & (cases["rework_count"] > 0),
        "online": closed & cases["handled_online"],
        "handle_n": closed & cases["handled_at"].notna() & cases["registered_at"].notna(),
        "handle_hours": hours(cases["handled_at"], cases["registered_at"]).where(closed, 0.0)
        .fillna(0.0),
        "registered": within(cases["registered_at"]),
        "response_hours": hours(cases["registered_at"], cases["reported_at"])
        .where(within(cases["registered_at"]), 0.0).fillna(0.0),
        "handled": cases["dispatched_at"].notna() & within(cases["handled_at"]),
        "backlog": (cases["dispatched_at"] < end)
        & (cases["handled_at"].isna() | (cases["handled_at"] >= end)),
    })
    out = flags.groupby("dept_code").sum()
    out = out[(out["closed"] + out["overdue_open"]) > 0]

    sv = raw["surveys"].merge(inc[["id", "grid_code", "dept_code"]], left_on="incident_id",
                              right_on="id")
    sv = sv[sv["grid_code"].str.startswith(prefix) & sv["dept_code"].notna()
            & within(sv["surveyed_at"])]
    sv_m = pd.DataFrame({"dept_code": sv["dept_code"], "surveys": 1,
                         "rated": sv["rating"].notna(),
                         "satisfied_any": sv["rating"].isin(SATISFIED)}).groupby("dept_code").sum()

    hz = raw["hazards"]
    hz = hz[hz["grid_code"].str.startswith(prefix) & hz["dept_code"].notna()
            & (hz["found_at"] < end)]
    rect = within(hz["rectified_at"])
    still = hz["rectified_at"].isna() | (hz["rectified_at"] >= end)
    hz_m = pd.DataFrame({"dept_code": hz["dept_code"], "rectified": rect,
                         "rectified_ontime": rect & (hz["rectified_at"] <= hz["deadline_at"]),
                         "hz_open": still,
                         "hz_open_overdue": still & (hz["deadline_at"] < end)}
                        ).groupby("dept_code").sum()

    out = out.join(sv_m, how="left").join(hz_m, how="left").fillna(0)
    out["closed_due"] = out["closed"] + out["overdue_open"]
    out["closed_dl_due"] = out["closed_dl"] + out["overdue_open"]
    out["handled_due"] = out["handled"] + out["backlog"]
    out["rectify_due"] = out["rectified"] + out["hz_open"]
    out["ontime_due"] = out["rectified"] + out["hz_open_overdue"]
    return out.sort_index()


@pytest.fixture(scope="module", params=["city", "county"])
def dept_case(request, demo, city, raw_tables):
    scope = city if request.param == "city" else Scope(COUNTY, "leader")
    expected = _pandas_department_measures(raw_tables, scope.prefix, *PERIOD)
    return scope, expected


def test_department_measures_equal_pandas(demo, dept_case, raw_tables):
    scope, expected = dept_case
    got = department_measures(demo, scope, *PERIOD).set_index("dept_code").sort_index()
    assert len(expected) > 5
    assert list(got.index) == list(expected.index)
    for col in DEPARTMENT_MEASURES:
        assert got[col].to_numpy(dtype=float) == pytest.approx(
            expected[col].to_numpy(dtype=float), rel=1e-9, abs=1e-6), col
    names = raw_tables["departments"].set_index("code")
    assert (got["name"] == names.loc[got.index, "name"]).all()
    assert (got["tier"] == names.loc[got.index, "tier"]).all()


@pytest.mark.parametrize("ontime", ["closed", "due"])
def test_department_kpi_values_equal_pandas(demo, dept_case, ontime):
    scope, expected = dept_case
    got = score_departments(demo, scope, *PERIOD, ontime=ontime).set_index("dept_code")
    got = got.loc[expected.index]
    ontime_den = "closed" if ontime == "closed" else "closed_due"
    pairs = {"ontime_rate": ("closed_ontime", ontime_den),
             "close_rate": ("closed", "closed_due"),
             "satisfaction_rate": ("satisfied_any", "rated"),
             "rework_rate": ("reworked", "closed"),
             "avg_handle_hours": ("handle_hours", "handle_n"),
             "hazard_ontime_rate": ("rectified_ontime", "ontime_due")}
    for key, (num, den) in pairs.items():
        d = expected[den].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            want = np.where(d > 0, expected[num].to_numpy(dtype=float) / d, np.nan)
        assert got[key].to_numpy(dtype=float) == pytest.approx(want, nan_ok=True), key
        assert got[f"{key}_n"].to_numpy(dtype=float) == pytest.approx(d), key
    assert (got["volume"] == got["ontime_rate_n"]).all()


@pytest.fixture(scope="module")
def depts(demo, city):
    return score_departments(demo, city, *PERIOD, min_volume=5)


def test_department_composite_and_grade_use_the_shared_helpers(demo, city, depts):
    keys = list(DEFAULT_WEIGHTS)
    overall = kpis(demo, city, *PERIOD, keys=keys).set_index("key")["value"]
    assert depts.attrs["priors"] == pytest.approx({k: float(overall[k]) for k in keys})
    for _, row in depts.iterrows():
        scores, shrunk_scores = {}, {}
        for key in keys:
            n, prior = row[f"{key}_n"], float(overall[key])
            num = 0.0 if n == 0 else row[key] * n
            shrunk = (num + PRIOR_STRENGTH * prior) / (n + PRIOR_STRENGTH)
            if key in TIME_LIMITED and n == 0:
                # no case of the department had a time limit: on-time does not apply (it
                # depends on the hour the demo was built whether such a department exists)
                shrunk = float("nan")
            else:
                assert row[f"{key}_shrunk"] == pytest.approx(shrink([num], [n], prior)[0])
            assert row[f"{key}_shrunk"] == pytest.approx(shrunk, nan_ok=True)
            scores[key] = _hand_score(key, row[key])
            shrunk_scores[key] = _hand_score(key, shrunk)
            assert row[f"{key}_score"] == pytest.approx(
                float(indicator_score(get(key), row[key])), nan_ok=True)
            if get(key).kind == "rate" and n > 0:
                assert (row[f"{key}_lo"], row[f"{key}_hi"]) == pytest.approx(wilson(num, n))
        assert row["score"] == pytest.approx(_hand_composite(scores, DEFAULT_WEIGHTS),
                                             nan_ok=True)
        assert row["score_shrunk"] == pytest.approx(
            _hand_composite(shrunk_scores, DEFAULT_WEIGHTS))
        assert row["grade"] == grade(row["score_shrunk"])


def test_department_columns_are_score_regions_plus_name_and_tier(demo, city, depts):
    regions = score_regions(demo, city, *PERIOD, level="county")
    assert list(depts.columns[:3]) == ["dept_code", "name", "tier"]
    assert list(depts.columns[3:]) == list(regions.columns[1:])
    assert depts["dept_code"].is_unique
    assert set(depts["tier"].dropna()) <= {"city", "county", "town", "village"}


def test_small_departments_are_not_ranked(depts):
    small, big = depts[depts["volume"] < 5], depts[depts["volume"] >= 5]
    assert len(small) > 0 and len(big) > 1
    assert not small["ranked"].any() and small["rank"].isna().all()
    assert big["ranked"].all()
    assert list(depts["ranked"]) == sorted(depts["ranked"], reverse=True), "ranked first"
    ordered = depts.loc[depts["ranked"]]
    assert ordered["rank"].is_monotonic_increasing and ordered["rank"].iloc[0] == 1
    assert ordered["score_shrunk"].is_monotonic_decreasing


def test_department_min_volume_default(demo, city):
    got = score_departments(demo, city, *PERIOD)
    assert (got["ranked"] == (got["volume"] >= 30)).all()
    assert got.loc[~got["ranked"], "rank"].isna().all()


def test_county_scope_lists_only_departments_with_cases_in_it(demo, raw_tables):
    inc = raw_tables["incidents"]
    got = score_departments(demo, Scope(COUNTY, "leader"), *PERIOD)
    inside = set(inc.loc[inc["grid_code"].str.startswith(COUNTY), "dept_code"].dropna())
    assert set(got["dept_code"]) <= inside
    elsewhere = set(inc["dept_code"].dropna()) - inside
    assert elsewhere, "the demo has departments working only outside the county"
    assert not set(got["dept_code"]) & elsewhere


def test_canary_departments_outside_the_scope_are_never_listed(demo_store, tmp_path):
    path = tmp_path / "canary.duckdb"
    shutil.copy(demo_store, path)
    con = duckdb.connect(str(path))
    try:
        other = con.execute(
            "SELECT min(code) FROM grids WHERE NOT starts_with(code, $c)", {"c": COUNTY}
        ).fetchone()[0]
        con.execute("""
            INSERT INTO incidents
            SELECT * REPLACE (id + 900000000 AS id, $grid AS grid_code,
                              'DCANARY-X' AS dept_code, FALSE AS is_void)
            FROM incidents
            WHERE closed_at >= TIMESTAMP '2026-08-01' AND closed_at < TIMESTAMP '2026-11-01'
            LIMIT 50""", {"grid": other})
        con.execute("""
            INSERT INTO hazards
            SELECT * REPLACE (id + 900000000 AS id, $grid AS grid_code,
                              'DCANARY-X' AS dept_code)
            FROM hazards LIMIT 20""", {"grid": other})
        con.execute("""
            INSERT INTO surveys (incident_id, surveyed_at, channel, rating)
            SELECT incident_id + 900000000, surveyed_at, channel, rating FROM surveys
            WHERE incident_id IN (SELECT id - 900000000 FROM incidents
                                  WHERE dept_code = 'DCANARY-X')""")
        inside = score_departments(con, Scope(COUNTY, "leader"), *PERIOD)
        assert "DCANARY-X" not in set(inside["dept_code"])
        assert "DCANARY-X" not in set(department_measures(con, Scope(COUNTY, "leader"),
                                                          *PERIOD)["dept_code"])
        home = score_departments(con, Scope(other[:6], "leader"), *PERIOD)
        assert "DCANARY-X" in set(home["dept_code"]), "the canary is live in its own scope"
    finally:
        con.close()


@pytest.mark.parametrize("bad", [
    {"no_such_kpi": 1.0},
    {"close_rate": -1.0},
    {},
    {"close_rate": float("inf")},
    {"visit_rate": 1.0},           # no department dimension
    {"void_rate": 1.0},
    {"alert_handle_rate": 1.0},
    {"reported": 1.0},
])
def test_department_bad_weights_raise(demo, city, bad):
    with pytest.raises(ValueError):
        score_departments(demo, city, *PERIOD, weights=bad)


def test_department_bad_input_raises(demo, city):
    with pytest.raises(ValueError, match="min_volume"):
        score_departments(demo, city, *PERIOD, min_volume=-1)
    with pytest.raises(ValueError, match="after"):
        score_departments(demo, city, "2026-10-31", "2026-08-01")
    with pytest.raises(ValueError, match="department"):
        score_departments(demo, city, *PERIOD, weights={"visit_rate": 1})


def test_department_custom_weights_and_empty_period(demo, city):
    got = score_departments(demo, city, *PERIOD, weights={"satisfaction_rate": 1,
                                                          "handle_rate": 3})
    assert got.attrs["main"] == "handle_rate"
    assert (got["volume"] == got["handle_rate_n"]).all()
    empty = score_departments(demo, city, "2001-01-01", "2001-01-31")
    assert empty.empty and list(empty.columns[:3]) == ["dept_code", "name", "tier"]
