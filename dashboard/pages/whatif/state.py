"""The what-if page's engine and profiles, kept in the one build cache.

The engine is kept for as long as its build is served (:meth:`BuildCache.keep`): loading
refits any scikit-learn model from its stored rows (11 s for a random forest on the
100k-customer benchmark), which must not recur every few minutes on a slider move.
"""

from __future__ import annotations

from typing import Any

from analytics.whatif import PROFILE_KINDS, Prediction, Profile, ProfileError, WhatIf, outputs_of
from dashboard.context import context

PATH = "/what-if"
TITLE = "What-if"
#: Points on each sensitivity curve.
POINTS = 21


def engine() -> WhatIf:
    """The what-if engine of the build being served (built once per build)."""
    ctx = context()
    return ctx.cache.keep("whatif-engine", (), lambda: WhatIf.load(ctx.reader))


def starting_profile(kind: str | None, key: str | None) -> Profile:
    """The profile a URL names, or the default one (cached per build)."""
    ctx = context()
    eng = engine()
    if kind is None:
        return ctx.cached("whatif-default", (), lambda: eng.default_profile(ctx.reader))
    if kind not in PROFILE_KINDS:
        raise ProfileError(f"{str(kind)[:40]!r} is not a customer, segment or session")
    return ctx.cached("whatif-profile", (kind, key), lambda: eng.profile(ctx.reader, kind, key))


def start_prediction(profile: Profile) -> Prediction:
    """The starting profile's prediction (cached: every slider move compares against it)."""
    return context().cached(
        "whatif-start", (profile.kind, profile.key), lambda: engine().predict(profile)
    )


def chosen(query: dict[str, Any]) -> tuple[str | None, str | None]:
    """The profile kind and key a page's URL query names (``None, None``: the default)."""
    for kind in PROFILE_KINDS:
        value = query.get(kind)
        if isinstance(value, list):
            value = value[0] if value else None
        if value not in (None, ""):
            return kind, str(value)
    return None, None


def default_target(profile: Profile, prediction: Prediction) -> str:
    """The output the curves show first: churn for customers, conversion for sessions."""
    preferred: tuple[str, ...] = (
        ("churn_prob", "purchase_prob") if profile.entity == "customer" else ()
    )
    for name in (*preferred, *outputs_of(profile.entity)):
        if prediction.value(name) is not None:
            return name
    return next(iter(outputs_of(profile.entity)))
