"""The business metrics, defined once with their SQL, so every surface (CLI, dashboard,
exports, reports) computes the same number the same way.

Each metric is a ratio over one mart, with the capabilities it needs; a metric whose
capabilities are missing is reported as unavailable with the reason instead of a zero.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    definition: str
    mart: str
    numerator: str
    denominator: str
    requires: tuple[str, ...]
    unit: str = "ratio"
    # The same numerator and denominator over the daily_sessions roll-up, where the metric
    # can be read from it; None where it cannot.
    rollup: tuple[str, str] | None = None

    @property
    def alias(self) -> str:
        """The alias cohort predicates use for this metric's mart (``s`` or ``c``)."""
        return self.mart[0]

    def sql(
        self,
        where: str = "true",
        source: str | None = None,
        group_by: str | None = None,
        *,
        from_rollup: bool = False,
    ) -> str:
        """A query returning ``value, numerator, denominator`` over the mart.

        ``where`` must be a SQL predicate built from bound parameters (see analytics); it is
        never built from user text. ``source`` replaces the mart (a cohort's customer
        relation, say), aliased like the mart; ``group_by`` adds a leading ``bucket`` column;
        ``from_rollup`` reads the metric from ``daily_sessions`` instead (same value).
        """
        numerator, denominator = self.numerator, self.denominator
        relation = f"({source})" if source else self.mart
        if from_rollup:
            if self.rollup is None:
                raise ValueError(f"{self.name} cannot be read from the daily roll-up")
            numerator, denominator = self.rollup
            relation = "daily_sessions"
        bucket = f"{group_by} AS bucket, " if group_by else ""
        tail = f" GROUP BY {group_by} ORDER BY bucket" if group_by else ""
        return (
            f"SELECT {bucket}({numerator})::DOUBLE / nullif({denominator}, 0) AS value, "
            f"({numerator})::DOUBLE AS numerator, ({denominator})::DOUBLE "
            f"AS denominator FROM {relation} AS {self.alias} WHERE {where}{tail}"
        )


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            name="hit_rate",
            label="Hit rate",
            definition="Pages viewed per session: page and product views ÷ sessions.",
            mart="sessions",
            numerator="sum(hits)",
            denominator="count(*)",
            requires=("has_page_views",),
            unit="pages per session",
            rollup=("sum(hits)", "sum(sessions)"),
        ),
        Metric(
            name="bounce_rate",
            label="Bounce rate",
            definition="Share of sessions with a single page view and nothing else.",
            mart="sessions",
            numerator="count(*) FILTER (WHERE bounced)",
            denominator="count(bounced)",
            requires=("has_page_views",),
            rollup=("sum(bounced_sessions)", "sum(bounce_base)"),
        ),
        Metric(
            name="conversion_rate",
            label="Conversion rate",
            definition="Share of sessions that include a purchase.",
            mart="sessions",
            numerator="count(*) FILTER (WHERE converted)",
            denominator="count(converted)",
            requires=("has_purchases", "has_page_views", "has_complete_journeys"),
            rollup=("sum(converted_sessions)", "sum(conversion_base)"),
        ),
        Metric(
            name="cart_abandonment_rate",
            label="Cart abandonment rate",
            definition=(
                "Share of sessions with an add-to-cart that end without a purchase: "
                "abandoned cart sessions ÷ sessions with a cart add. It counts only sessions "
                "that log a cart add; purchases logged without a cart step are in neither "
                "number."
            ),
            mart="sessions",
            numerator="count(*) FILTER (WHERE cart_abandoned)",
            denominator="count(*) FILTER (WHERE cart_adds > 0 AND cart_abandoned IS NOT NULL)",
            requires=("has_carts", "has_purchases", "has_complete_journeys"),
            rollup=("sum(abandoned_sessions)", "sum(abandon_base)"),
        ),
        Metric(
            name="repeat_purchase_rate",
            label="Repeat purchase rate",
            definition="Share of buying customers with two or more orders.",
            mart="customers",
            numerator="count(*) FILTER (WHERE orders >= 2)",
            denominator="count(*) FILTER (WHERE orders >= 1)",
            requires=("has_customer_ids", "has_purchases", "has_complete_journeys"),
        ),
    )
}


# Counts and sums beside the ratios, defined the same way: once, with their SQL.
COUNT_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            name="sessions",
            label="Sessions",
            definition="Sessions in the cohort (visits; an invoice for order data).",
            mart="sessions",
            numerator="count(*)",
            denominator="1",
            requires=(),
            unit="count",
            rollup=("sum(sessions)", "1"),
        ),
        Metric(
            name="customers",
            label="Customers",
            definition="Identified customers in the cohort.",
            mart="customers",
            numerator="count(*)",
            denominator="1",
            requires=("has_customer_ids",),
            unit="count",
        ),
        Metric(
            name="revenue",
            label="Revenue",
            definition="Sum of purchase revenue of the cohort's sessions.",
            mart="sessions",
            numerator="coalesce(sum(revenue), 0)",
            denominator="1",
            requires=("has_revenue",),
            unit="money",
            rollup=("coalesce(sum(revenue), 0)", "1"),
        ),
    )
}


def unavailable_reason(metric: Metric, capabilities: dict[str, tuple[bool, str]]) -> str | None:
    """Why ``metric`` cannot be computed on this build, or ``None`` when it can."""
    missing = [
        f"{name}: {capabilities.get(name, (False, 'unknown'))[1]}"
        for name in metric.requires
        if not capabilities.get(name, (False, ""))[0]
    ]
    return "; ".join(missing) if missing else None
