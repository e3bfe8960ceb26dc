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

    def sql(self, where: str = "true") -> str:
        """A query returning ``value, numerator, denominator`` over the mart.

        ``where`` must be a SQL predicate built from bound parameters (see analytics); it is
        never built from user text.
        """
        return (
            f"SELECT ({self.numerator})::DOUBLE / nullif({self.denominator}, 0) AS value, "
            f"({self.numerator})::DOUBLE AS numerator, ({self.denominator})::DOUBLE "
            f"AS denominator FROM {self.mart} WHERE {where}"
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
        ),
        Metric(
            name="bounce_rate",
            label="Bounce rate",
            definition="Share of sessions with a single page view and nothing else.",
            mart="sessions",
            numerator="count(*) FILTER (WHERE bounced)",
            denominator="count(bounced)",
            requires=("has_page_views",),
        ),
        Metric(
            name="conversion_rate",
            label="Conversion rate",
            definition="Share of sessions that include a purchase.",
            mart="sessions",
            numerator="count(*) FILTER (WHERE converted)",
            denominator="count(converted)",
            requires=("has_purchases", "has_page_views", "has_complete_journeys"),
        ),
        Metric(
            name="cart_abandonment_rate",
            label="Cart abandonment rate",
            definition=(
                "Share of sessions with an add-to-cart that end without a purchase: "
                "abandoned cart sessions ÷ sessions with a cart add."
            ),
            mart="sessions",
            numerator="count(*) FILTER (WHERE cart_abandoned)",
            denominator="count(*) FILTER (WHERE cart_adds > 0 AND cart_abandoned IS NOT NULL)",
            requires=("has_carts", "has_purchases", "has_complete_journeys"),
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


def unavailable_reason(metric: Metric, capabilities: dict[str, tuple[bool, str]]) -> str | None:
    """Why ``metric`` cannot be computed on this build, or ``None`` when it can."""
    missing = [
        f"{name}: {capabilities.get(name, (False, 'unknown'))[1]}"
        for name in metric.requires
        if not capabilities.get(name, (False, ""))[0]
    ]
    return "; ".join(missing) if missing else None
