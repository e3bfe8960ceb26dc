"""A compiled cohort as the named relations that the queries in ``analytics/sql`` read.

A query over a cohort's rows selects from ``cohort_customers``, ``cohort_sessions`` or
``cohort_daily_sessions``; :func:`cohort_query` puts the cohort's own SQL (from
:mod:`analytics.cohort_sql`, values bound as parameters) in front as CTEs, so each file stays
one pure SELECT and the cohort's composition stays in one place.
"""

from __future__ import annotations

from analytics.cohort_sql import CompiledCohort
from warehouse.engine import named_query, quote_ident

# Relation → the mart whose rows it filters with the cohort's session predicate (alias s).
_SESSION_MARTS = {"cohort_sessions": "sessions", "cohort_daily_sessions": "daily_sessions"}


def cohort_relation(compiled: CompiledCohort, relation: str) -> str:
    """The query of one cohort relation."""
    if relation == "cohort_customers":
        return compiled.customers_sql
    mart = quote_ident(_SESSION_MARTS[relation])
    return f"SELECT * FROM {mart} AS s WHERE {compiled.session_where}"


def cohort_query(name: str, compiled: CompiledCohort, *relations: str) -> str:
    """``analytics/sql/<name>.sql`` over the cohort's ``relations``."""
    return named_query(name, "analytics", {r: cohort_relation(compiled, r) for r in relations})
