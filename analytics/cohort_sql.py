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
from analytics.cohort_filters import FILTERS, CohortFilter
from warehouse.engine import load_sql, quote_ident
from warehouse.reader import WarehouseReader

# What to say when a filter needs a capability the data lacks (the data's reason follows).
_MISSING = {
    "has_customer_ids": "this data has no customer ids, so customer filters do not apply",
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
    caps = reader.rows(load_sql("capability_list"))
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


def unavailable_reason(filt: CohortFilter, shape: WarehouseShape) -> str | None:
    """Why ``filt`` cannot apply to this build, or None when it can."""
    if filt.capability and not shape.capabilities.get(filt.capability):
        reason = shape.reasons.get(filt.capability, filt.capability.replace("_", " "))
        missing = _MISSING.get(filt.capability, f"this data lacks {filt.capability}")
        return f"{missing} ({reason})"
    if filt.needs_scores and not shape.has_scores:
        return "no scores exist yet: run `shopsight train` and `shopsight score` first"
    if filt.needs_scores and not shape.has("customer_scores", filt.column):
        return f"the current scores have no {filt.column} (the model was not trained)"
    return None


@dataclass
class _Clauses:
    """WHERE clauses of a cohort, by what they filter."""

    params: dict[str, Any] = field(default_factory=dict)
    # On customers (aliased c), for filters the sessions mart applies too.
    customer: list[str] = field(default_factory=list)
    # On customers (and their scores) only: sessions follow their customer.
    customer_only: list[str] = field(default_factory=list)
    # On sessions (aliased s).
    session: list[str] = field(default_factory=list)


def _conditions(
    filt: CohortFilter, cohort: Cohort, alias: str, params: dict[str, Any]
) -> list[str]:
    """The conditions ``filt`` puts on the row aliased ``alias``; its values go to params."""
    expr = filt.expression.format(alias=alias, column=quote_ident(filt.column))
    out: list[str] = []
    for position, key in enumerate(filt.query_keys):
        value = cohort.get(key)
        if value is None or value == () or value is False:
            continue
        if filt.kind == "flag":
            out.append(f"({expr})")
            continue
        params[key] = list(value) if isinstance(value, tuple) else value
        if filt.kind == "choice":
            out.append(f"list_contains(${key}, {expr})")
        else:
            # The lower bound of a pair, or the only bound of at_least, is >=.
            out.append(f"{expr} {'>=' if position == 0 else '<='} ${key}")
    return out


def _add(filt: CohortFilter, cohort: Cohort, clauses: _Clauses, score_alias: str) -> None:
    """Add the clauses of ``filt`` where its mart says they apply."""
    if filt.mart == "sessions":
        on_sessions = _conditions(filt, cohort, "s", clauses.params)
        if on_sessions:
            clauses.session.extend(on_sessions)
            window = " AND ".join(_conditions(filt, cohort, "w", clauses.params))
            # A semi-join on the date-sorted sessions mart: zone maps skip the other dates.
            clauses.customer.append(
                f"c.customer_id IN (SELECT w.customer_id FROM sessions AS w WHERE {window})"
            )
    elif filt.mart == "both":
        clauses.customer.extend(_conditions(filt, cohort, "c", clauses.params))
        clauses.session.extend(_conditions(filt, cohort, "s", clauses.params))
    else:
        alias = score_alias if filt.mart == "scores" else "c"
        clauses.customer_only.extend(_conditions(filt, cohort, alias, clauses.params))


def _check_usable(cohort: Cohort, shape: WarehouseShape) -> list[CohortFilter]:
    """The filters ``cohort`` sets; raises CohortError naming the first that cannot apply."""
    used = [f for f in FILTERS if any(cohort.get(k) not in (None, (), False) for k in f.query_keys)]
    for filt in used:
        reason = unavailable_reason(filt, shape)
        if reason:
            key = next(k for k in filt.query_keys if cohort.get(k) not in (None, (), False))
            raise CohortError(key, reason)
    return used


def compile_cohort(cohort: Cohort, shape: WarehouseShape) -> CompiledCohort:
    """Compile ``cohort`` for ``shape``; raises :class:`CohortError` for unusable filters."""
    used = _check_usable(cohort, shape)
    score_used = any(f.needs_scores for f in used)
    # Scores sit beside the customer in customers_scored when `shopsight score` wrote it;
    # otherwise they come from a join with customer_scores aliased sc.
    joined = shape.has("customers_scored")
    clauses = _Clauses()
    for filt in used:
        _add(filt, cohort, clauses, "c" if joined else "sc")

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
    where = " AND ".join(clauses.customer + clauses.customer_only) or "true"
    # Counting needs the score join only when a score filter is set.
    count_source = source if score_used else "customers AS c"
    session_clauses = list(clauses.session)
    if clauses.customer_only:
        narrowing = " AND ".join(clauses.customer_only)
        session_clauses.append(
            f"s.customer_id IN (SELECT c.customer_id FROM {count_source} WHERE {narrowing})"
        )
    return CompiledCohort(
        customers_sql=f"SELECT {select} FROM {source} WHERE {where}",
        customer_count_sql=f"SELECT count(*), sum(c.sessions) FROM {count_source} WHERE {where}",
        # With only customer-level filters, the cohort's sessions are exactly its customers'
        # sessions, which the customers mart has already counted.
        sessions_from_customers=bool(clauses.customer_only) and not clauses.session,
        session_where=" AND ".join(session_clauses) or "true",
        params=clauses.params,
        rollup_ok=shape.rollup_complete and not clauses.customer_only,
    )
