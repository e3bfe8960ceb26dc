"""Churn risk: the at-risk list ranked by value at risk with each customer's reasons, and
the tier distribution.

The stored reasons (``churn_reason_1..3``) mix factors that raised the risk with, where
fewer than three did, factors that lowered it; the list splits them into ``why_at_risk`` and
``lowers_risk`` so only the first are read as reasons (issue 11, item 5)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.cohort import Cohort, CohortError
from analytics.cohort_relations import cohort_query
from analytics.cohort_sql import compile_cohort, warehouse_shape
from models.explain import OUTCOMES, split_reasons
from models.tiers import TIER_NAMES
from warehouse.reader import WarehouseReader

RISK_COLUMNS = (
    "customer_id",
    "churn_tier",
    "churn_prob",
    "predicted_revenue",
    "value_at_risk",
    "recency_days",
    "orders",
    "revenue",
    "country",
)
MAX_LIST = 500
WHY = "why_at_risk"
LOWERS = "lowers_risk"


@dataclass(frozen=True)
class ChurnView:
    available: bool
    reason: str | None
    tiers: pl.DataFrame
    at_risk: pl.DataFrame
    total_at_risk: int


def churn_view(
    reader: WarehouseReader,
    cohort: Cohort,
    *,
    tiers: tuple[str, ...] = ("High",),
    limit: int = 100,
    offset: int = 0,
) -> ChurnView:
    """Tier counts and the customers of ``tiers`` ranked by value at risk (or churn
    probability where no revenue model exists)."""
    shape = warehouse_shape(reader)
    empty = pl.DataFrame()
    if not shape.has_customers:
        return ChurnView(False, shape.reasons.get("has_customer_ids"), empty, empty, 0)
    if not shape.has("customer_scores", "churn_tier"):
        reason = (
            "no churn scores yet: run `shopsight train` and `shopsight score`"
            if not shape.has_scores
            else "the churn model was not trained for this data (see the Models report)"
        )
        return ChurnView(False, reason, empty, empty, 0)
    compiled = compile_cohort(cohort, shape)
    value_known = shape.has("customer_scores", "value_at_risk")
    tier_counts = reader.frame(
        cohort_query("churn_tiers", compiled, "cohort_customers"),
        {**compiled.params, "value_known": value_known},
    )
    reasons = sorted(c for c in shape.columns["customer_scores"] if c.startswith("churn_reason_"))
    available = set(shape.columns["customers"]) | set(shape.columns["customer_scores"])
    columns = [c for c in RISK_COLUMNS if c in available] + reasons
    bad = [t for t in tiers if t not in TIER_NAMES]
    if bad:
        raise CohortError("churn_tier", f"{bad[0]!r} is not a churn tier")
    in_tiers = {**compiled.params, "tiers": list(tiers)}
    page = {
        "rank_by_value": "value_at_risk" in available,
        "limit": max(1, min(limit, MAX_LIST)),
        "offset": max(0, offset),
    }
    at_risk = reader.frame(
        cohort_query("at_risk_customers", compiled, "cohort_customers"), {**in_tiers, **page}
    ).select(columns)
    if reasons:
        raised, lowered = split_reasons(reasons, OUTCOMES["customer_churn"])
        at_risk = at_risk.with_columns(raised.alias(WHY), lowered.alias(LOWERS))
    total = reader.rows(cohort_query("at_risk_count", compiled, "cohort_customers"), in_tiers)
    return ChurnView(True, None, tier_counts, at_risk, int(total[0][0]))


def known_customers(reader: WarehouseReader, customer_ids: list[str]) -> set[str]:
    """Which of ``customer_ids`` are customers of the warehouse served (an action is
    recorded only for customers that exist)."""
    if not customer_ids or not warehouse_shape(reader).has_customers:
        return set()
    found = reader.rows(
        "SELECT customer_id FROM customers WHERE list_contains($ids, customer_id)",
        {"ids": customer_ids},
    )
    return {str(row[0]) for row in found}
