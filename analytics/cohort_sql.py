"""Compiling a :class:`~analytics.cohort.Cohort` into SQL over the warehouse.

Only fixed SQL fragments are joined here; every value is a bound parameter. What a filter
needs that the build lacks (customer ids, score tables) raises :class:`CohortError` with the
reason, instead of silently matching nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.build_cache import for_reader
from analytics.cohort import Cohort, CohortError
from warehouse.engine import quote_ident
from warehouse.reader import WarehouseReader

SCORE_FILTERS = {
    "churn_tier": "churn_tier",
    "segment": "segment_id",
    "rfm_tier": "rfm_tier",
    "min_purchase_prob": "purchase_prob",
    "max_purchase_prob": "purchase_prob",
    "min_churn_prob": "churn_prob",
    "max_churn_prob": "churn_prob",
    "min_predicted_revenue": "predicted_revenue",
    "max_predicted_revenue": "predicted_revenue",
}


@dataclass(frozen=True)
class WarehouseShape:
    """Which tables and columns a build has, and what it can do."""

    build_id: str
    columns: dict[str, frozenset[str]]
    capabilities: dict[str, bool]
    reasons: dict[str, str] = field(default_factory=dict)
    # Whether daily_sessions accounts for every session (not so for undated session tables).
    rollup_complete: bool = False

    def has(self, table: str, column: str | None = None) -> bool:
        cols = self.columns.get(table)
        if cols is None:
            return False
        return column is None or column in cols

    @property
    def has_scores(self) -> bool:
        return self.has("customer_scores")

    @property
    def has_customers(self) -> bool:
        return bool(self.capabilities.get("has_customer_ids"))


def warehouse_shape(reader: WarehouseReader) -> WarehouseShape:
    """The shape of the build the reader currently serves (kept per build in the one cache)."""
    build_id = reader.build_id()
    target = reader.target or ""
    return for_reader(reader).keep(
        "warehouse-shape", (build_id, target), lambda: _read_shape(reader, build_id)
    )


def _read_shape(reader: WarehouseReader, build_id: str) -> WarehouseShape:
    columns: dict[str, set[str]] = {}
    for table, column in reader.rows(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ):
        columns.setdefault(table, set()).add(column)
    caps = reader.rows("SELECT name, available, reason FROM capabilities")
    in_rollup, sessions = reader.rows(
        "SELECT (SELECT coalesce(sum(sessions), 0) FROM daily_sessions), "
        "(SELECT count(*) FROM sessions)"
    )[0]
    shape = WarehouseShape(
        build_id=build_id,
        columns={t: frozenset(c) for t, c in columns.items()},
        capabilities={n: bool(a) for n, a, _ in caps},
        reasons={n: r for n, _, r in caps},
        rollup_complete=in_rollup == sessions
        and "bounce_base" in columns.get("daily_sessions", ()),
    )
    return shape


@dataclass(frozen=True)
class CompiledCohort:
    """SQL pieces of a cohort.

    ``customers_sql`` selects the matching customers (``c.*`` plus score columns when the
    build has them); ``session_where`` filters the ``sessions`` mart aliased ``s``.
    """

    customers_sql: str
    customer_count_sql: str
    sessions_from_customers: bool
    session_where: str
    params: dict[str, Any]
    # session_where uses only columns the daily_sessions roll-up has (date, country, device,
    # source), and the roll-up covers every session: session metrics may read it instead.
    rollup_ok: bool = False


def compile_cohort(cohort: Cohort, shape: WarehouseShape) -> CompiledCohort:
    """Compile ``cohort`` for ``shape``; raises :class:`CohortError` for unusable filters."""
    params: dict[str, Any] = {}
    # Filters both marts carry (dates, country, device, source) apply to each directly;
    # customer-only filters narrow sessions to the matching customers' sessions.
    customer_clauses: list[str] = []
    customer_only_clauses: list[str] = []
    session_clauses: list[str] = []

    customer_only = [
        k
        for k in ("acquisition_month", "carted_not_bought", "min_orders", "inactive_days")
        if getattr(cohort, k) not in (None, (), False)
    ]
    score_used = [k for k in SCORE_FILTERS if getattr(cohort, k) not in (None, ())]
    if (customer_only or score_used) and not shape.has_customers:
        key = (customer_only or score_used)[0]
        raise CohortError(
            key,
            "this data has no customer ids, so customer filters do not apply ("
            + shape.reasons.get("has_customer_ids", "no customer ids")
            + ")",
        )
    if score_used and not shape.has_scores:
        raise CohortError(
            score_used[0],
            "no scores exist yet: run `shopsight train` and `shopsight score` first",
        )
    for key in score_used:
        column = SCORE_FILTERS[key]
        if not shape.has("customer_scores", column):
            raise CohortError(
                key, f"the current scores have no {column} (the model was not trained)"
            )

    if cohort.date_from is not None:
        params["date_from"] = cohort.date_from
        session_clauses.append("s.session_date >= $date_from")
    if cohort.date_to is not None:
        params["date_to"] = cohort.date_to
        session_clauses.append("s.session_date <= $date_to")
    if cohort.date_from is not None or cohort.date_to is not None:
        window = " AND ".join(c.replace("s.", "w.") for c in session_clauses if "session_date" in c)
        # A semi-join on the date-sorted sessions mart: zone maps skip the other dates.
        customer_clauses.append(
            f"c.customer_id IN (SELECT w.customer_id FROM sessions AS w WHERE {window})"
        )
    for key in ("country", "device", "traffic_source"):
        values = getattr(cohort, key)
        if values:
            params[key] = list(values)
            customer_clauses.append(f"list_contains(${key}, c.{key})")
            session_clauses.append(f"list_contains(${key}, s.{key})")
    if cohort.acquisition_month:
        params["acquisition_month"] = list(cohort.acquisition_month)
        customer_only_clauses.append(
            "list_contains($acquisition_month, strftime(c.acquisition_month, '%Y-%m'))"
        )
    if cohort.carted_not_bought:
        customer_only_clauses.append("c.cart_adds > 0 AND c.orders = 0")
    if cohort.min_orders is not None:
        params["min_orders"] = cohort.min_orders
        customer_only_clauses.append("c.orders >= $min_orders")
    if cohort.inactive_days is not None:
        params["inactive_days"] = cohort.inactive_days
        customer_only_clauses.append("c.recency_days >= $inactive_days")
    # Scores sit beside the customer in customers_scored when `shopsight score` wrote it;
    # otherwise they come from a join with customer_scores aliased sc.
    joined = shape.has("customers_scored")
    sa = "c" if joined else "sc"
    for key in ("churn_tier", "rfm_tier"):
        values = getattr(cohort, key)
        if values:
            params[key] = list(values)
            customer_only_clauses.append(f"list_contains(${key}, {sa}.{SCORE_FILTERS[key]})")
    if cohort.segment:
        params["segment"] = list(cohort.segment)
        customer_only_clauses.append(f"list_contains($segment, {sa}.segment_id::VARCHAR)")
    for key in SCORE_FILTERS:
        if key.startswith(("min_", "max_")) and getattr(cohort, key) is not None:
            params[key] = getattr(cohort, key)
            op = ">=" if key.startswith("min_") else "<="
            customer_only_clauses.append(f"{sa}.{SCORE_FILTERS[key]} {op} ${key}")

    if joined:
        select, source = "c.*", "customers_scored AS c"
    elif shape.has_scores:
        score_cols = sorted(
            shape.columns["customer_scores"] - shape.columns.get("customers", set())
        )
        select = "c.*" + "".join(f", sc.{quote_ident(col)}" for col in score_cols)
        source = "customers AS c LEFT JOIN customer_scores AS sc USING (customer_id)"
    else:
        select, source = "c.*", "customers AS c"
    where = " AND ".join(customer_clauses + customer_only_clauses) or "true"
    customers_sql = f"SELECT {select} FROM {source} WHERE {where}"
    # Counting needs the score join only when a score filter is set.
    count_source = source if score_used else "customers AS c"
    customer_count_sql = f"SELECT count(*), sum(c.sessions) FROM {count_source} WHERE {where}"
    # With only customer-level filters, the cohort's sessions are exactly its customers'
    # sessions, which the customers mart has already counted.
    sessions_from_customers = bool(customer_only_clauses) and not session_clauses
    if customer_only_clauses:
        narrowing = " AND ".join(customer_only_clauses)
        session_clauses.append(
            f"s.customer_id IN (SELECT c.customer_id FROM {count_source} WHERE {narrowing})"
        )
    return CompiledCohort(
        customers_sql=customers_sql,
        customer_count_sql=customer_count_sql,
        sessions_from_customers=sessions_from_customers,
        session_where=" AND ".join(session_clauses) or "true",
        params=params,
        rollup_ok=shape.rollup_complete and not customer_only_clauses,
    )
