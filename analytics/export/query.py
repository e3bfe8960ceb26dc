"""The SQL of an export: the cohort's rows (with the hold-out column when asked), in id
order, and their count; composed from ``analytics/sql/export_*.sql``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from analytics.cohort_sql import WarehouseShape, compile_cohort
from analytics.export.records import HOLDOUT_COLUMN, ID_COLUMNS, ExportError, ExportRequest
from warehouse.engine import load_sql, quote_ident

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(name: str, **parts: str) -> str:
    """``analytics/sql/<name>.sql`` with its ``{placeholders}`` filled, comments dropped.

    Parts are fragments this package compiled (quoted identifiers, compiled cohort SQL), never
    values: values stay ``$parameters``. One pass, so a part's own text is never re-read as
    a template; full-line comments go, so a placeholder named in one is not filled there.
    """
    lines = [line for line in load_sql(name, "analytics").splitlines() if not _is_comment(line)]
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], "\n".join(lines)).strip()


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("--")


@dataclass(frozen=True)
class ExportQuery:
    """The SQL of an export: ``sql`` streams the rows in id order; ``count_sql`` counts them
    (and the hold-out rows) in one scan."""

    sql: str
    count_sql: str
    params: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        """sha256 of the SQL text (values are parameters, recorded as the query string)."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def export_query(request: ExportRequest, shape: WarehouseShape) -> ExportQuery:
    """Compile ``request`` for a build of ``shape`` (raises CohortError / ExportError)."""
    _check_entity(request, shape)
    compiled = compile_cohort(request.cohort, shape)
    if request.entity == "customers":
        cohort_rows = compiled.customers_sql
    else:
        cohort_rows = _sessions_sql(shape, compiled.session_where)
    id_column = quote_ident(ID_COLUMNS[request.entity])
    params = dict(compiled.params)
    if request.holdout_share is None:
        rows = render("export_rows", cohort_rows=cohort_rows)
        holdout_test = "false"
    else:
        rows = render("export_rows_holdout", cohort_rows=cohort_rows, id_column=id_column)
        holdout_test = quote_ident(HOLDOUT_COLUMN)
        params.update(holdout_share=float(request.holdout_share), holdout_seed=request.holdout_seed)
    return ExportQuery(
        sql=render("export_ordered", export_rows=rows, id_column=id_column),
        count_sql=render("export_count", export_rows=rows, holdout_test=holdout_test),
        params=params,
    )


def _check_entity(request: ExportRequest, shape: WarehouseShape) -> None:
    if request.entity == "customers":
        if not shape.has_customers or not shape.has("customers"):
            why = shape.reasons.get("has_customer_ids", "no customer ids")
            raise ExportError(
                f"this data has no customer ids ({why}), so there is no customer list; "
                "export sessions instead"
            )
    elif not shape.has("sessions"):
        raise ExportError("this warehouse has no sessions table; rebuild it with shopsight build")


def _sessions_sql(shape: WarehouseShape, session_where: str) -> str:
    if not shape.has("session_scores"):
        return render("export_sessions", session_where=session_where)
    extra = sorted(shape.columns["session_scores"] - shape.columns["sessions"])
    score_columns = "".join(f", ss.{quote_ident(c)}" for c in extra)
    return render(
        "export_sessions_scored", score_columns=score_columns, session_where=session_where
    )


def holdout_flag(row_id: str, share: float, seed: int) -> bool:
    """Whether ``row_id`` falls in the control group for ``share`` and ``seed``.

    The reference of ``export_rows_holdout.sql``: the first 32 bits of ``md5("<seed>:<id>")``,
    read as a fraction of 2**32, below ``share``. A seeded hash instead of a random draw so
    the control group can be reproduced from the file alone (same list and seed, same
    group; a customer keeps their assignment across overlapping lists with one seed), by
    any tool that has MD5, on any engine. The share is a per-row probability: the group
    holds *about* ``share`` of the rows; the provenance records the exact count.
    """
    digest = hashlib.md5(f"{seed}:{row_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) / 2**32 < share


def model_versions_sql(table: str, column: str) -> str:
    """The distinct versions in one ``*_model_version`` column (names from the catalogue)."""
    return render("export_model_versions", table=quote_ident(table), column=quote_ident(column))


def used_params(params: dict[str, Any], sql: str) -> dict[str, Any]:
    """The parameters ``sql`` uses: DuckDB refuses ones a statement does not use."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}


__all__ = [
    "ExportQuery",
    "export_query",
    "holdout_flag",
    "model_versions_sql",
    "render",
    "used_params",
]
