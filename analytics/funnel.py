"""Sessions and funnel: view → cart → checkout → purchase with the drop at each step,
distributions of hit rate and cart abandonment, and retention by acquisition cohort."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.cohort import Cohort
from analytics.cohort_relations import cohort_query
from analytics.cohort_sql import compile_cohort, warehouse_shape
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

# (step, the column of analytics/sql/funnel_steps*.sql counting the sessions that reached it).
FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("Viewed a product or page", "viewing_sessions"),
    ("Added to cart", "cart_sessions"),
    ("Began checkout", "checkout_sessions"),
    ("Purchased", "purchasing_sessions"),
)


@dataclass(frozen=True)
class FunnelStep:
    step: str
    sessions: int
    share_of_previous: float | None
    share_of_first: float | None


@dataclass(frozen=True)
class Funnel:
    steps: list[FunnelStep]
    available: bool
    reason: str | None = None
    note: str | None = None


def funnel(reader: WarehouseReader, cohort: Cohort) -> Funnel:
    """The purchase funnel over the cohort's sessions, or why the data cannot show one."""
    shape = warehouse_shape(reader)
    for needed in ("has_page_views", "has_carts", "has_purchases", "has_complete_journeys"):
        if not shape.capabilities.get(needed, False):
            return Funnel([], False, f"{needed}: {shape.reasons.get(needed, 'not in the data')}")
    compiled = compile_cohort(cohort, shape)
    if compiled.rollup_ok and shape.has("daily_sessions", "purchasing_sessions"):
        sql = cohort_query("funnel_steps_daily", compiled, "cohort_daily_sessions")
    else:
        sql = cohort_query("funnel_steps", compiled, "cohort_sessions")
    (counts,) = reader.frame(sql, compiled.params).to_dicts()
    values = [counts[column] for _, column in FUNNEL_STEPS]
    explicit_checkouts = counts["explicit_checkout_sessions"]
    # Without begin-checkout events the step would only repeat the purchases: leave it out.
    keep = [i for i in range(len(FUNNEL_STEPS)) if explicit_checkouts or i != 2]
    steps: list[FunnelStep] = []
    first = values[0] or 0
    previous: int | None = None
    for i in keep:
        n = int(values[i] or 0)
        steps.append(
            FunnelStep(
                FUNNEL_STEPS[i][0],
                n,
                1.0 if previous is None else (n / previous if previous else None),
                n / first if first else None,
            )
        )
        previous = n
    note = None
    if not explicit_checkouts:
        note = "The data has no begin-checkout events, so the funnel goes from cart to purchase."
    return Funnel(steps, True, note=note)


def distribution(
    reader: WarehouseReader, cohort: Cohort, measure: str, *, bins: int = 30
) -> pl.DataFrame:
    """A histogram (``bucket``, ``count``) of a session or customer measure.

    ``hits``: pages per session (capped at the 99th percentile so one bot does not flatten
    the chart); ``cart_abandonment``: each customer's share of cart sessions abandoned.
    """
    shape = warehouse_shape(reader)
    compiled = compile_cohort(cohort, shape)
    if measure == "hits":
        sql = cohort_query("hits_distribution", compiled, "cohort_sessions")
        return reader.frame(sql, compiled.params)
    if measure == "cart_abandonment":
        if not shape.has_customers:
            return pl.DataFrame(schema={"bucket": pl.Float64, "count": pl.Int64})
        sql = cohort_query("cart_abandonment_distribution", compiled, "cohort_customers")
        return reader.frame(sql, {**compiled.params, "bins": bins})
    raise ValueError(f"unknown measure {measure!r}")


def retention_matrix(reader: WarehouseReader, cohort: Cohort) -> pl.DataFrame:
    """Share of each acquisition cohort active N months after acquisition.

    Columns ``acquisition_month, months_since_acquisition, cohort_size, active_customers,
    retention_rate``; computed for the filtered customers.
    """
    shape = warehouse_shape(reader)
    if not shape.has_customers:
        return pl.DataFrame()
    if cohort.is_empty():
        # Everyone: the build's own mart already holds the matrix.
        return reader.frame(load_sql("retention_matrix", "analytics"))
    compiled = compile_cohort(cohort, shape)
    sql = cohort_query("cohort_retention_matrix", compiled, "cohort_customers")
    return reader.frame(sql, compiled.params)
