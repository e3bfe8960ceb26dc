"""Sessions and funnel: view → cart → checkout → purchase with the drop at each step,
distributions of hit rate and cart abandonment, and retention by acquisition cohort."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.cohort import Cohort
from analytics.cohort_sql import compile_cohort, warehouse_shape
from warehouse.reader import WarehouseReader

# (step, predicate over the sessions mart, the same count in the daily roll-up). Each step
# counts the sessions that reached it.
FUNNEL_STEPS: tuple[tuple[str, str, str], ...] = (
    ("Viewed a product or page", "s.hits > 0", "viewing_sessions"),
    ("Added to cart", "s.cart_adds > 0", "cart_sessions"),
    ("Began checkout", "s.checkouts > 0 OR s.purchases > 0", "checkout_sessions"),
    ("Purchased", "s.purchases > 0", "purchasing_sessions"),
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
        counts = ", ".join(f"sum({column})" for _, _, column in FUNNEL_STEPS)
        sql = (
            f"SELECT {counts}, sum(explicit_checkout_sessions) FROM daily_sessions AS s "
            f"WHERE {compiled.session_where}"
        )
    else:
        counts = ", ".join(
            f"count(*) FILTER (WHERE {predicate})" for _, predicate, _ in FUNNEL_STEPS
        )
        sql = (
            f"SELECT {counts}, count(*) FILTER (WHERE s.checkouts > 0) "
            f"FROM sessions AS s WHERE {compiled.session_where}"
        )
    (values,) = reader.rows(sql, compiled.params)
    explicit_checkouts = values[-1]
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
        sql = (
            "WITH v AS (SELECT s.hits AS x FROM sessions AS s WHERE "
            f"{compiled.session_where} AND s.hits IS NOT NULL), "
            # approx_quantile (t-digest) instead of sorting millions of sessions for a cap
            "cap AS (SELECT greatest(approx_quantile(x, 0.99), 1) AS top FROM v) "
            "SELECT least(x, top) AS bucket, count(*) AS count FROM v, cap "
            "GROUP BY 1 ORDER BY 1"
        )
        return reader.frame(sql, compiled.params)
    if measure == "cart_abandonment":
        if not shape.has_customers:
            return pl.DataFrame(schema={"bucket": pl.Float64, "count": pl.Int64})
        sql = (
            "SELECT floor(cart_abandonment_rate * $bins) / $bins AS bucket, count(*) AS count "
            f"FROM ({compiled.customers_sql}) AS c WHERE cart_abandonment_rate IS NOT NULL "
            "GROUP BY 1 ORDER BY 1"
        )
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
        return reader.frame(
            "SELECT acquisition_month, months_since_acquisition, cohort_size, "
            "active_customers, retention_rate FROM cohort_retention ORDER BY 1, 2"
        )
    compiled = compile_cohort(cohort, shape)
    sql = f"""
        WITH members AS (SELECT customer_id, acquisition_month FROM ({compiled.customers_sql})),
        activity AS (
            SELECT DISTINCT s.customer_id, date_trunc('month', s.session_start)::DATE AS month
            FROM sessions AS s SEMI JOIN members USING (customer_id)
        ),
        sizes AS (SELECT acquisition_month, count(*) AS cohort_size FROM members GROUP BY 1)
        SELECT m.acquisition_month,
            date_diff('month', m.acquisition_month, a.month) AS months_since_acquisition,
            z.cohort_size, count(*) AS active_customers,
            count(*) / any_value(z.cohort_size) AS retention_rate
        FROM activity AS a JOIN members AS m USING (customer_id)
        JOIN sizes AS z USING (acquisition_month)
        GROUP BY 1, 2, 3 ORDER BY 1, 2
    """
    return reader.frame(sql, compiled.params)
