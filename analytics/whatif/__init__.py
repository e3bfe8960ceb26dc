"""What-if: move a behaviour a marketer can influence and see the trained models respond.

A :class:`WhatIf` engine is built once per build (the dashboard caches it). It loads the
selected customer models (``customer_purchase``, ``customer_revenue``, ``customer_churn``)
and, where they were trained, the session models (``session_conversion``,
``session_revenue``) from the artifacts folder next to the ``--db`` link.

- :mod:`~analytics.whatif.levers`: the allow-list of influenceable behaviours (the sliders)
  and their ranges. Each slider moves exactly one model feature, the others held: the
  models learned from observed customers, in whom these behaviours move together, so a
  curve says how the model responds, not what a campaign would cause.
- :mod:`~analytics.whatif.profiles`: where a what-if starts: a customer, a segment's
  typical member or a session, computed as ``shopsight score`` computes them.
- :mod:`~analytics.whatif.engine`: predictions, sensitivity curves and reasons.
- :mod:`~analytics.whatif.results`: the records those return.
- :mod:`~analytics.whatif.wording`: reasons as plain sentences, model versions as names.
"""

from analytics.whatif.engine import (
    CUSTOMER_OUTPUTS,
    CUSTOMER_TASKS,
    SESSION_OUTPUTS,
    SESSION_TASKS,
    WhatIf,
    outputs_of,
)
from analytics.whatif.levers import (
    AGGREGATE_LEVERS,
    CUSTOMER_LEVERS,
    RANGE_QUANTILE,
    SESSION_LEVERS,
    Lever,
    LeverSpec,
    describe_feature,
    nice_step,
)
from analytics.whatif.profiles import (
    MAX_ID_LENGTH,
    MEMBER_SAMPLE,
    PROFILE_KINDS,
    RANGE_SAMPLE,
    Profile,
    ProfileError,
)
from analytics.whatif.results import Curve, Estimate, Prediction, Reasons
from analytics.whatif.wording import model_name, plain_sentence

__all__ = [
    "AGGREGATE_LEVERS",
    "CUSTOMER_LEVERS",
    "CUSTOMER_OUTPUTS",
    "CUSTOMER_TASKS",
    "MAX_ID_LENGTH",
    "MEMBER_SAMPLE",
    "PROFILE_KINDS",
    "RANGE_QUANTILE",
    "RANGE_SAMPLE",
    "SESSION_LEVERS",
    "SESSION_OUTPUTS",
    "SESSION_TASKS",
    "Curve",
    "Estimate",
    "Lever",
    "LeverSpec",
    "Prediction",
    "Profile",
    "ProfileError",
    "Reasons",
    "WhatIf",
    "describe_feature",
    "model_name",
    "nice_step",
    "outputs_of",
    "plain_sentence",
]
