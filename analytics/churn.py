"""Churn risk: the at-risk list ranked by value at risk with each customer's reasons, and
the tier distribution."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.cohort import Cohort, CohortError
from analytics.cohort_sql import compile_cohort, warehouse_shape
from models.tiers import TIER_NAMES
from warehouse.engine import quote_ident
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
    members = f"({compiled.customers_sql})"
    tier_counts = reader.frame(
        "SELECT churn_tier, count(*) AS customers, "
        + (
            "coalesce(sum(value_at_risk), 0) AS value_at_risk "
            if shape.has("customer_scores", "value_at_risk")
            else "NULL::DOUBLE AS value_at_risk "
        )
        + f"FROM {members} AS c WHERE churn_tier IS NOT NULL GROUP BY 1 "
        "ORDER BY CASE churn_tier WHEN 'High' THEN 0 WHEN 'Medium' THEN 1 ELSE 2 END",
        compiled.params,
    )
    reasons = sorted(c for c in shape.columns["customer_scores"] if c.startswith("churn_reason_"))
    available = set(shape.columns["customers"]) | set(shape.columns["customer_scores"])
    columns = [c for c in RISK_COLUMNS if c in available] + reasons
    rank = "value_at_risk" if "value_at_risk" in available else "churn_prob"
    bad = [t for t in tiers if t not in TIER_NAMES]
    if bad:
        raise CohortError("churn_tier", f"{bad[0]!r} is not a churn tier")
    params = {
        **compiled.params,
        "tiers": list(tiers),
        "limit": max(1, min(limit, MAX_LIST)),
        "offset": max(0, offset),
    }
    at_risk = reader.frame(
        f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM {members} AS c "
        f"WHERE list_contains($tiers, churn_tier) ORDER BY {quote_ident(rank)} DESC NULLS LAST, "
        "customer_id LIMIT $limit OFFSET $offset",
        params,
    )
    total = reader.rows(
        f"SELECT count(*) FROM {members} AS c WHERE list_contains($tiers, churn_tier)",
        {k: v for k, v in params.items() if k not in ("limit", "offset")},
    )[0][0]
    return ChurnView(True, None, tier_counts, at_risk, int(total))
