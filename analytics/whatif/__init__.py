"""What-if: move a behaviour a marketer can influence and see the trained models respond.

A :class:`WhatIf` engine is built once per build (the dashboard caches it). It loads the
selected customer models (``customer_purchase``, ``customer_revenue``, ``customer_churn``)
and, where they were trained, the session models (``session_conversion``,
``session_revenue``) from the artifacts folder next to the ``--db`` link.

- :mod:`~analytics.whatif.levers`: the allow-list of influenceable behaviours (the sliders),
  their ranges (the data's support) and their plain meaning per output. Each slider moves
  exactly one model feature, the others held: the models learned from observed customers,
  in whom these behaviours move together, so a curve says how the model responds, not what
  a campaign would cause.
- :mod:`~analytics.whatif.profiles`: where a what-if starts: a customer, a segment's
  typical member or a session, computed as ``shopsight score`` computes them.
- :mod:`~analytics.whatif.engine`: predictions, sensitivity curves (flagged where one runs
  against its lever's plain meaning) and reasons.
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
    runs_against,
)
from analytics.whatif.levers import (
    AGGREGATE_LEVERS,
    CUSTOMER_LEVERS,
    FALLS,
    RANGE_LOW_QUANTILE,
    RANGE_QUANTILE,
    RISES,
    SESSION_LEVERS,
    Lever,
    LeverSpec,
    Support,
    describe_feature,
    make_lever,
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
from analytics.whatif.wording import (
    ASSOCIATION_NOTE,
    against_plain_meaning,
    model_name,
    plain_sentence,
)

__all__ = [
    "AGGREGATE_LEVERS",
    "ASSOCIATION_NOTE",
    "CUSTOMER_LEVERS",
    "CUSTOMER_OUTPUTS",
    "CUSTOMER_TASKS",
    "FALLS",
    "MAX_ID_LENGTH",
    "MEMBER_SAMPLE",
    "PROFILE_KINDS",
    "RANGE_LOW_QUANTILE",
    "RANGE_QUANTILE",
    "RANGE_SAMPLE",
    "RISES",
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
    "Support",
    "WhatIf",
    "against_plain_meaning",
    "describe_feature",
    "make_lever",
    "model_name",
    "nice_step",
    "outputs_of",
    "plain_sentence",
    "runs_against",
]
