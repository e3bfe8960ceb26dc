"""The statistics of a campaign report: a difference between treatment and control with its
confidence interval and a p-value from a test that fits the metric, and the power check.

Pure functions of counts and values (no warehouse), so they are checked against scipy and
hand calculations; docs/campaigns.md states every formula and its assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

#: Below this many members in either group, or an expected cell count below 5, the normal
#: approximations are not trusted: Fisher's exact test, and bootstrap intervals for means.
SMALL_GROUP = 30
CONFIDENCE = 0.95
POWER = 0.80
BOOTSTRAP_RESAMPLES = 4000

Verdict = Literal["win", "loss", "no clear effect", "not enough data"]


@dataclass(frozen=True)
class Estimate:
    """Treatment minus control on one metric: the difference, its interval, the test."""

    treatment: float | None
    control: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    test: str

    @property
    def verdict(self) -> Verdict:
        """A win only when the whole interval is above zero (a loss: below); never when it
        crosses zero."""
        if self.low is None or self.high is None:
            return "not enough data"
        if self.low > 0:
            return "win"
        if self.high < 0:
            return "loss"
        return "no clear effect"


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for one proportion."""
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe_interval(
    x_t: int, n_t: int, x_c: int, n_c: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p_t - p_c (his method 10): Wilson intervals of
    each proportion combined; it keeps its coverage for small groups and rates near 0 or 1,
    where the Wald interval does not."""
    p_t, p_c = x_t / n_t, x_c / n_c
    l_t, u_t = wilson_interval(x_t, n_t, confidence)
    l_c, u_c = wilson_interval(x_c, n_c, confidence)
    d = p_t - p_c
    low = d - math.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
    high = d + math.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    return low, high


def two_proportion_z(x_t: int, n_t: int, x_c: int, n_c: int) -> float:
    """Two-sided p-value of the pooled two-proportion z test."""
    pooled = (x_t + x_c) / (n_t + n_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    if se == 0:
        return 1.0
    z = (x_t / n_t - x_c / n_c) / se
    return float(2 * stats.norm.sf(abs(z)))


def proportion_difference(
    x_t: int, n_t: int, x_c: int, n_c: int, confidence: float = CONFIDENCE
) -> Estimate:
    """Rates of a yes/no goal per group and their difference (Newcombe interval); the
    p-value from Fisher's exact test for small groups, else the two-proportion z test."""
    if n_t == 0 or n_c == 0:
        return Estimate(None, None, None, None, None, None, "no members in a group")
    low, high = newcombe_interval(x_t, n_t, x_c, n_c, confidence)
    total_rate = (x_t + x_c) / (n_t + n_c)
    expected = min(n_t, n_c) * min(total_rate, 1 - total_rate)
    if min(n_t, n_c) < SMALL_GROUP or expected < 5:
        table = [[x_t, n_t - x_t], [x_c, n_c - x_c]]
        p_value = float(stats.fisher_exact(table).pvalue)
        test = "Fisher's exact test"
    else:
        p_value = two_proportion_z(x_t, n_t, x_c, n_c)
        test = "two-proportion z test"
    return Estimate(x_t / n_t, x_c / n_c, x_t / n_t - x_c / n_c, low, high, p_value, test)


def mean_difference(
    treatment: Sequence[float],
    control: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """Means of a number per group (revenue) and their difference: Welch's t interval and
    test, or for small groups a seeded bootstrap interval and a permutation-test p-value
    (revenue is skewed; with few members the t approximation is not trusted)."""
    t = np.asarray(treatment, dtype=np.float64)
    c = np.asarray(control, dtype=np.float64)
    if t.size < 2 or c.size < 2:
        return Estimate(None, None, None, None, None, None, "fewer than 2 members in a group")
    diff = float(t.mean() - c.mean())
    if min(t.size, c.size) < SMALL_GROUP:
        return _bootstrap_difference(t, c, diff, confidence, seed)
    var_t, var_c = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    se = math.sqrt(var_t + var_c)
    if se == 0:
        return Estimate(float(t.mean()), float(c.mean()), diff, diff, diff, 1.0, "Welch's t test")
    df = (var_t + var_c) ** 2 / (var_t**2 / (t.size - 1) + var_c**2 / (c.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    p_value = float(2 * stats.t.sf(abs(diff) / se, df))
    return Estimate(
        float(t.mean()), float(c.mean()), diff, diff - half, diff + half, p_value, "Welch's t test"
    )


def _bootstrap_difference(
    t: np.ndarray, c: np.ndarray, diff: float, confidence: float, seed: int
) -> Estimate:
    def statistic(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.mean(a, axis=axis) - np.mean(b, axis=axis))

    rng = np.random.default_rng(seed)
    interval = stats.bootstrap(
        (t, c),
        statistic,
        confidence_level=confidence,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        random_state=rng,
    ).confidence_interval
    p_value = stats.permutation_test(
        (t, c), statistic, n_resamples=BOOTSTRAP_RESAMPLES, random_state=rng
    ).pvalue
    return Estimate(
        float(t.mean()),
        float(c.mean()),
        diff,
        float(interval.low),
        float(interval.high),
        float(p_value),
        "bootstrap interval, permutation test",
    )


@dataclass(frozen=True)
class PowerCheck:
    """The smallest difference the campaign can detect, and whether to warn."""

    baseline: float | None
    minimum_detectable: float | None
    warning: str | None
    basis: str


def minimum_detectable_effect(
    sd: float, n_t: int, n_c: int, *, alpha: float = 1 - CONFIDENCE, power: float = POWER
) -> float:
    """(z_{1-alpha/2} + z_{power}) * sd * sqrt(1/n_t + 1/n_c): the smallest true difference
    a two-sided test at ``alpha`` detects with probability ``power``."""
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return z * sd * math.sqrt(1 / n_t + 1 / n_c)


def power_check_rate(probabilities: Sequence[float], n_t: int, n_c: int) -> PowerCheck:
    """The power check for a yes/no goal, from the members' predicted probabilities: the
    expected control rate is their mean p, its standard deviation sqrt(p (1 - p))."""
    if n_t == 0 or n_c == 0:
        return PowerCheck(None, None, "a group is empty: no comparison is possible", "")
    known = [p for p in probabilities if p is not None and math.isfinite(p)]
    if not known:
        return PowerCheck(
            None, None, None, "no predicted probabilities (train and score the models)"
        )
    p = float(np.mean(known))
    mde = minimum_detectable_effect(math.sqrt(p * (1 - p)), n_t, n_c)
    basis = f"mean predicted probability {p:.3f} of {len(known):,} members"
    return PowerCheck(p, mde, _warning(mde, p, n_c), basis)


def power_check_mean(values: Sequence[float], n_t: int, n_c: int) -> PowerCheck:
    """The power check for a number (revenue), from the members' predicted values."""
    if n_t == 0 or n_c == 0:
        return PowerCheck(None, None, "a group is empty: no comparison is possible", "")
    known = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if known.size < 2:
        return PowerCheck(None, None, None, "no predicted revenue (train and score the models)")
    mean = float(known.mean())
    mde = minimum_detectable_effect(float(known.std(ddof=1)), n_t, n_c)
    basis = f"mean predicted revenue {mean:,.2f} of {known.size:,} members"
    return PowerCheck(mean, mde, _warning(mde, mean, n_c), basis)


def _warning(mde: float, baseline: float, n_c: int) -> str | None:
    if n_c < SMALL_GROUP:
        return (
            f"the hold-out has only {n_c} members: too small to say anything; "
            "hold out a larger share"
        )
    if baseline > 0 and mde >= baseline:
        return (
            f"only a lift of {mde:.3g} or more (at least the baseline {baseline:.3g} itself) "
            "can be detected: hold out a larger share or pick a larger cohort"
        )
    return None
