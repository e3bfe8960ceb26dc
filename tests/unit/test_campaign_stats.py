"""The statistics of campaign reports against scipy and hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analytics.campaign_stats import (
    Estimate,
    mean_difference,
    minimum_detectable_effect,
    newcombe_interval,
    power_check_rate,
    proportion_difference,
    two_proportion_z,
    wilson_interval,
)


def test_wilson_matches_scipy() -> None:
    ci = stats.binomtest(12, 80).proportion_ci(0.95, method="wilson")
    assert wilson_interval(12, 80) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80 gives
    # a difference of 0.2000 with the hybrid score interval 0.0524 to 0.3339.
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=5e-4)


def test_two_proportion_z_by_hand() -> None:
    pooled = 0.125  # (30 + 20) / 400
    z = (0.15 - 0.10) / math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 200))
    assert two_proportion_z(30, 200, 20, 200) == pytest.approx(2 * stats.norm.sf(z))


def test_large_groups_use_the_z_test_small_ones_fisher() -> None:
    large = proportion_difference(30, 200, 20, 200)
    assert large.test == "two-proportion z test"
    assert large.difference == pytest.approx(0.05)
    small = proportion_difference(7, 12, 1, 10)
    assert small.test == "Fisher's exact test"
    assert small.p_value == pytest.approx(stats.fisher_exact([[7, 5], [1, 9]]).pvalue)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(4)
    t, c = rng.gamma(2, 30, 300), rng.gamma(2, 25, 250)
    estimate = mean_difference(t.tolist(), c.tolist())
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert estimate.test == "Welch's t test"
    assert estimate.p_value == pytest.approx(ref.pvalue)
    assert (estimate.low, estimate.high) == pytest.approx((ci.low, ci.high))


def test_small_revenue_groups_use_the_bootstrap() -> None:
    t = [0.0, 0.0, 120.0, 80.0, 0.0, 60.0, 0.0, 200.0]
    c = [0.0, 0.0, 0.0, 40.0, 0.0, 0.0, 0.0]
    first, again = mean_difference(t, c, seed=3), mean_difference(t, c, seed=3)
    assert first.test.startswith("bootstrap") and first == again
    assert first.low is not None and first.high is not None
    assert first.low < first.difference < first.high  # type: ignore[operator]


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [(0.01, 0.2, "win"), (-0.01, 0.2, "no clear effect"), (-0.3, -0.1, "loss")],
)
def test_never_a_win_when_the_interval_crosses_zero(low: float, high: float, verdict: str) -> None:
    assert Estimate(0.2, 0.1, 0.1, low, high, 0.04, "z").verdict == verdict


def test_minimum_detectable_effect_by_hand() -> None:
    # (1.95996 + 0.84162) * sqrt(0.2 * 0.8) * sqrt(2 / 1000) = 0.05012
    assert minimum_detectable_effect(math.sqrt(0.16), 1000, 1000) == pytest.approx(
        0.05012, abs=1e-4
    )


def test_power_check_warns_when_the_holdout_is_too_small() -> None:
    fine = power_check_rate([0.2] * 2000, 1800, 200)
    assert fine.warning is None and fine.baseline == pytest.approx(0.2)
    tiny = power_check_rate([0.2] * 220, 200, 20)
    assert tiny.warning is not None and "too small" in tiny.warning
    hopeless = power_check_rate([0.02] * 200, 150, 50)
    assert hopeless.minimum_detectable is not None and hopeless.minimum_detectable > 0.02
    assert hopeless.warning is not None and "baseline" in hopeless.warning
