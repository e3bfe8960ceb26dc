"""Churn tiers: bands of the calibrated churn probability (docs/models.md).

A module of its own, with no model library imported, so the pages and KPI definitions that
quote the bands read them from here instead of typing them again.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Lower bounds on the calibrated churn probability, highest tier first.
CHURN_BANDS: tuple[tuple[str, float], ...] = (("High", 0.6), ("Medium", 0.3), ("Low", 0.0))
HIGH_RISK, MEDIUM_RISK = CHURN_BANDS[0][1], CHURN_BANDS[1][1]
#: The tier names, highest first.
TIER_NAMES: tuple[str, ...] = tuple(name for name, _ in CHURN_BANDS)


def churn_tier(prob: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    """The tier of each probability: High ≥ 0.6 > Medium ≥ 0.3 > Low."""
    tiers: npt.NDArray[np.str_] = np.select(
        [prob >= HIGH_RISK, prob >= MEDIUM_RISK],
        [CHURN_BANDS[0][0], CHURN_BANDS[1][0]],
        default=CHURN_BANDS[2][0],
    )
    return tiers
