"""What-if levers stay inside the data, and a curve running against a lever's plain meaning is
flagged: slider ranges from a feature's support, and the engine's contradiction flag on fake
models whose predictions fall or rise with a lever."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from analytics.whatif import (
    CUSTOMER_LEVERS,
    FALLS,
    RISES,
    Profile,
    Support,
    WhatIf,
    make_lever,
    runs_against,
)
from analytics.whatif.profiles import support_of

SPECS = {spec.feature: spec for spec in CUSTOMER_LEVERS}
WARNING_TAIL = (
    "here: the model learned an association that runs against the lever's plain meaning "
    "— don't read it as cause"
)


# ---------------------------------------------------------------------- ranges


def test_support_is_the_1st_to_99th_percentile_of_the_data():
    # 0..99 once each, and one customer far out: the extremes are not the support.
    values = pl.Series("orders_last_period", [*range(100), 10_000], dtype=pl.Int64)
    support = support_of(values)
    assert support == Support(low=1.0, high=99.0, minimum=0.0, maximum=10_000.0)
    assert support_of(pl.Series([None, float("nan")], dtype=pl.Float64)) is None


def test_a_slider_spans_the_data_not_the_starting_value():
    support = Support(low=0.0, high=12.0, minimum=0.0, maximum=40.0)
    lever = make_lever(SPECS["orders_last_period"], support, 1.0, 30)
    assert lever is not None
    # The start is in the middle: the slider goes on to where the data ends, not to 1.
    assert (lever.low, lever.high, lever.step) == (0.0, 12.0, 1.0)
    assert lever.label == "Orders in the last 30 days"


def test_a_slider_always_contains_the_starting_value():
    support = Support(low=2.0, high=12.0, minimum=0.0, maximum=40.0)
    above = make_lever(SPECS["orders_last_period"], support, 30.0, 30)
    below = make_lever(SPECS["orders_last_period"], support, 0.0, 30)
    assert above is not None and (above.low, above.high) == (2.0, 30.0)
    assert below is not None and (below.low, below.high) == (0.0, 12.0)
    # A fractional start (a segment's median) between whole steps stays inside too.
    middle = make_lever(SPECS["views"], Support(3.0, 9.0, 0.0, 20.0), 9.5, 30)
    assert middle is not None and middle.low <= 9.5 <= middle.high == 10.0


def test_money_slider_starts_at_the_data_and_moves_in_round_steps():
    support = Support(low=12.5, high=1403.89, minimum=0.0, maximum=1883.75)
    lever = make_lever(SPECS["average_order_value"], support, 40.0, 30)
    assert lever is not None
    assert lever.step == 20.0  # a round step near a hundredth of the span
    assert lever.low == 0.0 and lever.high == 1420.0  # whole steps, widened outwards
    assert lever.low <= support.low and lever.high >= support.high


def test_a_lever_most_have_none_of_uses_its_whole_observed_range():
    # 99 % zeros: the 1st and 99th percentiles are both 0; the few returns still count.
    support = support_of(pl.Series([0.0] * 995 + [5.0] * 4 + [80.0]))
    assert support is not None and support.low == support.high == 0.0
    lever = make_lever(SPECS["returned_value"], support, 0.0, 30)
    assert lever is not None and (lever.low, lever.high) == (0.0, 80.0)
    # Nothing varies and the start is the one value: no slider.
    assert make_lever(SPECS["returned_value"], Support(0.0, 0.0, 0.0, 0.0), 0.0, 30) is None
    assert make_lever(SPECS["returned_value"], None, 3.0, 30) is None


# ---------------------------------------------------------------------- the contradiction flag


class _Linear:
    """A fake model: ``intercept + slope × lever``, over the two lever features."""

    names = ["sessions_last_period", "abandoned_carts"]

    def __init__(self, intercept: float, slopes: tuple[float, float], version: str) -> None:
        self.intercept = intercept
        self.slopes = np.array(slopes)
        self.meta = {"model_version": version}

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + x @ self.slopes


def _engine(**predictors: Any) -> WhatIf:
    support = Support(low=0.0, high=10.0, minimum=0.0, maximum=20.0)
    return WhatIf(
        dict(predictors),
        {},
        anchor=datetime(2025, 1, 1),
        horizon_days=30,
        ranges={"customer": {"sessions_last_period": support, "abandoned_carts": support}},
        has_clock_time=True,
        is_aggregate=False,
        directory=Path("."),
    )


def _curves(engine: WhatIf) -> dict[str, Any]:
    profile = Profile(
        "customer",
        "c1",
        "customer",
        "Customer c1",
        {"sessions_last_period": 2.0, "abandoned_carts": 1.0},
    )
    _, curves = engine.evaluate(profile, points=5)
    return {c.feature: c for c in curves}


def test_a_prediction_falling_with_visits_is_flagged():
    engine = _engine(
        customer_purchase=_Linear(0.8, (-0.05, -0.05), "purchase.fake.1"),
        customer_revenue=_Linear(300.0, (-20.0, 0.0), "revenue.fake.1"),
        customer_churn=_Linear(0.2, (0.03, 0.03), "churn.fake.1"),
    )
    visits = _curves(engine)["sessions_last_period"]
    assert visits.outputs["predicted_revenue"][0] > visits.outputs["predicted_revenue"][-1]
    assert visits.warnings == {
        "purchase_prob": f"more visits lower purchase chance {WARNING_TAIL}",
        "predicted_revenue": f"more visits lower predicted revenue {WARNING_TAIL}",
        "churn_prob": f"more visits raise churn probability {WARNING_TAIL}",
    }
    # Abandoned carts have no plain direction: the same fall is not judged.
    assert _curves(engine)["abandoned_carts"].warnings == {}


def test_a_prediction_rising_with_visits_is_not_flagged():
    engine = _engine(
        customer_purchase=_Linear(0.2, (0.05, 0.0), "purchase.fake.1"),
        customer_revenue=_Linear(100.0, (20.0, 0.0), "revenue.fake.1"),
        customer_churn=_Linear(0.6, (-0.03, 0.0), "churn.fake.1"),
    )
    assert _curves(engine)["sessions_last_period"].warnings == {}


def test_a_dip_inside_the_tolerance_is_not_flagged():
    # Half a point over the whole range: noise, not a direction.
    engine = _engine(customer_purchase=_Linear(0.5, (-0.0005, 0.0), "purchase.fake.1"))
    assert _curves(engine)["sessions_last_period"].warnings == {}


@pytest.mark.parametrize(
    ("expected", "ys", "unit", "flagged"),
    [
        (RISES, [0.50, 0.60, 0.48], "probability", True),  # judged end to end, not bumps
        (RISES, [0.50, 0.30, 0.50], "probability", False),
        (FALLS, [0.20, 0.25], "probability", True),
        (FALLS, [0.20, 0.205], "probability", False),
        (RISES, [1000.0, 985.0], "money", True),  # 1.5 % of the larger end
        (RISES, [1000.0, 995.0], "money", False),  # 0.5 %
        (RISES, [0.0, -0.005], "money", False),  # under a cent
        (0, [0.9, 0.1], "probability", False),  # no plain meaning: not judged
        (RISES, [0.9, None], "probability", False),  # not computed: not judged
    ],
)
def test_runs_against_compares_the_ends_beyond_a_tolerance(expected, ys, unit, flagged):
    assert runs_against(expected, ys, unit) is flagged
