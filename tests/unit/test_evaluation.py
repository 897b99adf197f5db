"""Evaluation: grades, weights, composite scores, fair ranking, 同比/环比."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from dashboard.kpi import Scope, kpis
from dashboard.kpi.evaluation import (
    DEFAULT_WEIGHTS,
    DURATION_TARGETS,
    PRIOR_STRENGTH,
    compare,
    comparison_periods,
    grade,
    indicator_score,
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


@pytest.mark.parametrize(("d0", "d1", "mom", "yoy"), [
    ("2026-03-01", "2026-03-31", ("2026-01-29", "2026-02-28"), ("2025-03-01", "2025-03-31")),
    ("2024-02-01", "2024-02-29", ("2024-01-03", "2024-01-31"), ("2023-02-01", "2023-02-28")),
    ("2025-02-01", "2025-02-28", ("2025-01-04", "2025-01-31"), ("2024-02-01", "2024-02-29")),
    ("2024-02-10", "2024-03-10", ("2024-01-11", "2024-02-09"), ("2023-02-10", "2023-03-10")),
    ("2024-02-29", "2024-02-29", ("2024-02-28", "2024-02-28"), ("2023-02-28", "2023-02-28")),
])
def test_comparison_periods(d0, d1, mom, yoy):
    got = comparison_periods(d0, d1)
    as_dates = lambda pair: tuple(date.fromisoformat(x) for x in pair)  # noqa: E731
    assert got["current"] == as_dates((d0, d1))
    assert got["mom"] == as_dates(mom)
    assert got["yoy"] == as_dates(yoy)


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


def test_compare_matches_independent_kpi_calls(demo, city):
    got = compare(demo, city, "2026-03-01", "2026-03-31").set_index("key")
    now = kpis(demo, city, "2026-03-01", "2026-03-31").set_index("key")["value"]
    mom = kpis(demo, city, "2026-01-29", "2026-02-28").set_index("key")["value"]
    yoy = kpis(demo, city, "2025-03-01", "2025-03-31").set_index("key")["value"]
    assert list(got.index) == list(now.index)
    pd.testing.assert_series_equal(got["value"], now, check_names=False)
    pd.testing.assert_series_equal(got["mom_value"], mom, check_names=False)
    pd.testing.assert_series_equal(got["yoy_value"], yoy, check_names=False)
    for key, row in got.iterrows():
        if row["mom_change"] is None:
            continue
        assert row["mom_change"] == pytest.approx(now[key] - mom[key])
        if mom[key] != 0:
            assert row["mom_change_rel"] == pytest.approx((now[key] - mom[key]) / mom[key])


def test_improvement_respects_better_direction(demo, city):
    got = compare(demo, city, "2026-03-01", "2026-03-31")
    lower = got[(got["better"] == "lower") & got["mom_change"].map(lambda c: c not in (None, 0))]
    assert len(lower) > 0
    for _, row in lower.iterrows():
        assert row["mom_improved"] is (row["mom_change"] < 0)
    higher = got[(got["better"] == "higher") & got["mom_change"].map(lambda c: c not in (None, 0))]
    for _, row in higher.iterrows():
        assert row["mom_improved"] is (row["mom_change"] > 0)


def test_compare_gives_none_against_an_empty_base(demo, city):
    got = compare(demo, city, "2024-03-01", "2024-03-31",
                  keys=["reported", "rework_rate"]).set_index("key")
    assert got.loc["reported", "yoy_value"] == 0
    assert got.loc["reported", "yoy_change"] == got.loc["reported", "value"]
    assert got.loc["reported", "yoy_change_rel"] is None
    assert math.isnan(got.loc["rework_rate", "yoy_value"])
    assert got.loc["rework_rate", "yoy_change"] is None
    assert got.loc["rework_rate", "yoy_improved"] is None


def test_bad_input_raises(demo, city):
    with pytest.raises(ValueError, match="unknown KPI"):
        score_regions(demo, city, *PERIOD, level="town", weights={"nope": 1})
    with pytest.raises(ValueError, match="after"):
        score_regions(demo, city, "2026-10-31", "2026-08-01", level="town")
    with pytest.raises(ValueError, match="after"):
        compare(demo, city, "2026-10-31", "2026-08-01")
    with pytest.raises(ValueError, match="after"):
        comparison_periods("2026-10-31", "2026-08-01")
    with pytest.raises(ValueError, match="min_volume"):
        score_regions(demo, city, *PERIOD, level="town", min_volume=-1)
    with pytest.raises(ValueError, match="level"):
        score_regions(demo, city, *PERIOD, level="province")
    with pytest.raises(ValueError, match="unknown KPI"):
        compare(demo, city, *PERIOD, keys=["nope"])
