"""Cohort exploration: live counts, facet bars for cross-filtering, the paged customer
table, and two cohorts side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from analytics.cohort import Cohort, CohortError
from analytics.cohort_filters import BY_KEY, CHOICE_FILTERS
from analytics.cohort_relations import cohort_query, cohort_relation
from analytics.cohort_sql import compile_cohort, warehouse_shape
from analytics.overview import Kpi, kpis
from warehouse.engine import named_query, quote_ident
from warehouse.reader import WarehouseReader

# Facets a chart can show and a click can add as a filter: every choice filter declared in
# analytics.cohort_filters, as name → (mart, column, title); "any": both marts carry it.
FACETS: dict[str, tuple[str, str, str]] = {
    f.key: ("any" if f.mart == "both" else f.mart, f.column, f.title) for f in CHOICE_FILTERS
}
MAX_PAGE = 500


@dataclass(frozen=True)
class CohortCount:
    customers: int | None
    sessions: int
    total_customers: int | None
    total_sessions: int


def count(reader: WarehouseReader, cohort: Cohort) -> CohortCount:
    """How many customers and sessions match, next to the totals."""
    shape = warehouse_shape(reader)
    compiled = compile_cohort(cohort, shape)
    total_sessions = reader.rows("SELECT count(*) FROM sessions")[0][0]
    customers = total_customers = None
    from_customers = None
    if shape.has_customers:
        customers, from_customers = reader.rows(compiled.customer_count_sql, compiled.params)[0]
        total_customers = reader.rows("SELECT count(*) FROM customers")[0][0]
    if compiled.sessions_from_customers:
        sessions = int(from_customers or 0)
    else:
        if compiled.rollup_ok:
            sql = cohort_query("cohort_session_count_daily", compiled, "cohort_daily_sessions")
        else:
            sql = cohort_query("cohort_session_count", compiled, "cohort_sessions")
        sessions = reader.rows(sql, compiled.params)[0][0]
    return CohortCount(customers, int(sessions), total_customers, int(total_sessions))


def facet_counts(
    reader: WarehouseReader, cohort: Cohort, facet: str, *, limit: int = 15
) -> pl.DataFrame:
    """Counts by one facet (``value``, ``label``, ``count``) for a clickable bar chart;
    missing values are left out (a bar of "unknown" cannot be filtered on).

    The facet's own filter is left out of ``cohort``: a chart filtered to one bar keeps the
    others to click (the page greys them), instead of collapsing to the one chosen. Bars go
    in the facet's order: fixed choices as declared, natural values (months) by value, the
    rest largest first. Customers are counted where the data has them, sessions otherwise.
    """
    if facet not in FACETS:
        raise CohortError(facet, f"not a facet; facets: {', '.join(FACETS)}")
    filt = BY_KEY[facet]
    shape = warehouse_shape(reader)
    compiled = compile_cohort(without(cohort, facet), shape)
    if shape.has_customers:
        rows = cohort_relation(compiled, "cohort_customers")
    elif filt.mart == "both":
        rows = cohort_relation(compiled, "cohort_sessions")
    else:
        rows = None
    if rows is None or (filt.needs_scores and not shape.has("customer_scores", filt.column)):
        return pl.DataFrame(schema={"value": pl.String, "label": pl.String, "count": pl.Int64})
    value = filt.expression.format(alias="m", column=quote_ident(filt.column))
    label = value
    if filt.label_column and shape.has("customer_scores", filt.label_column):
        label = f"m.{quote_ident(filt.label_column)}"
    sql = named_query("facet_counts", "analytics", {"facet_rows": rows})
    sql = sql.replace("{value}", value).replace("{label}", label)
    params = {
        **compiled.params,
        "facet_order": list(filt.choices),
        "by_value": filt.natural_order,
        "limit": limit,
    }
    return reader.frame(sql, params)


def without(cohort: Cohort, key: str) -> Cohort:
    """``cohort`` with filter ``key`` (all its query keys) left out."""
    dropped = set(BY_KEY[key].query_keys)
    return Cohort(**{k: v for k, v in cohort.items() if k not in dropped})


def value_labels(reader: WarehouseReader, key: str) -> dict[str, str]:
    """What the data calls each value of choice filter ``key`` (segment ids → names); empty
    when the values are their own names."""
    if not BY_KEY[key].label_column:
        return {}
    frame = facet_counts(reader, Cohort(), key, limit=MAX_PAGE)
    return {str(v): str(n) for v, n in zip(frame["value"], frame["label"], strict=True)}


def describe(reader: WarehouseReader, cohort: Cohort) -> list[str]:
    """The cohort's filters in words for chips, values named as the data names them
    ("segment: Loyal", not "segment: 2")."""
    labels = {f.key: value_labels(reader, f.key) for f in CHOICE_FILTERS if f.label_column}
    return cohort.describe(labels)


def filled_columns(reader: WarehouseReader) -> frozenset[str]:
    """Columns of the customer table that at least one customer has a value in; a column
    the data never fills (no country in the demo) is better hidden than shown empty."""
    shape = warehouse_shape(reader)
    if not shape.has_customers:
        return frozenset()
    rows = cohort_relation(compile_cohort(Cohort(), shape), "cohort_customers")
    counts = reader.frame(named_query("filled_columns", "analytics", {"customer_rows": rows}))
    return frozenset(c for c in counts.columns if counts[c][0])


def customer_columns(reader: WarehouseReader) -> list[str]:
    """Columns of the customer table the grid may show and sort by."""
    shape = warehouse_shape(reader)
    own = sorted(shape.columns.get("customers", frozenset()))
    scores = sorted(shape.columns.get("customer_scores", frozenset()) - set(own))
    return own + scores


def customer_page(
    reader: WarehouseReader,
    cohort: Cohort,
    *,
    offset: int = 0,
    limit: int = 100,
    sort: list[tuple[str, bool]] | None = None,
) -> tuple[pl.DataFrame, int]:
    """One page of matching customers and the total, sorted on the server.

    ``sort`` is a list of (column, descending); columns outside the table are refused.
    """
    shape = warehouse_shape(reader)
    if not shape.has_customers:
        raise CohortError("customers", shape.reasons.get("has_customer_ids", "no customer ids"))
    compiled = compile_cohort(cohort, shape)
    allowed = set(customer_columns(reader))
    order_parts = []
    for column, descending in sort or []:
        if column not in allowed:
            raise CohortError("sort", f"cannot sort by {column!r}")
        order_parts.append(f"{quote_ident(column)} {'DESC' if descending else 'ASC'} NULLS LAST")
    order_parts.append(quote_ident("customer_id"))
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    page_sql = cohort_query("customer_page", compiled, "cohort_customers")
    page = reader.frame(
        page_sql.replace("{order_by}", ", ".join(order_parts)),
        {**compiled.params, "limit": limit, "offset": offset},
    )
    total_sql = cohort_query("cohort_customer_total", compiled, "cohort_customers")
    total = reader.rows(total_sql, compiled.params)[0][0]
    return page, int(total)


@dataclass(frozen=True)
class Comparison:
    metric: str
    label: str
    a: str
    b: str
    a_value: float | None
    b_value: float | None


def compare(reader: WarehouseReader, a: Cohort, b: Cohort) -> list[Comparison]:
    """The KPI values of two cohorts side by side."""
    left = {k.name: k for k in kpis(reader, a, with_trend=False)}
    right = {k.name: k for k in kpis(reader, b, with_trend=False)}
    rows: list[Comparison] = []
    for name, card in left.items():
        other: Kpi = right[name]
        rows.append(
            Comparison(name, card.label, card.display, other.display, card.value, other.value)
        )
    return rows


def date_span(reader: WarehouseReader) -> tuple[date | None, date | None]:
    """First and last session date, for the date pickers' bounds."""
    first, last = reader.rows("SELECT min(session_date), max(session_date) FROM sessions")[0]
    return first, last


def distinct_values(reader: WarehouseReader, facet: str, *, limit: int = 300) -> list[Any]:
    """Values a filter dropdown offers (most frequent first)."""
    rows = facet_counts(reader, Cohort(), facet, limit=limit).to_dicts()
    return [r["value"] for r in rows if r["value"] is not None]
