"""Label definitions: the built-in targets with their cutoffs, and analysts' custom labels.

A custom label (``shopsight train --label SQL --label-name NAME``) is a boolean or numeric
SQL *expression* over one mart's columns, for example ``orders >= 2`` over customers. It is
text from a person, so it is treated as hostile until proven otherwise:

1. it is checked before it reaches DuckDB: no ``;``, no comments, no statement keywords
   (``SELECT``, ``INSERT``, ``COPY``, ``ATTACH``, ``PRAGMA`` …) and no function outside an
   allow-list of scalar functions (so no table functions such as ``read_csv``);
2. it runs on its own read-only connection, locked down like the dashboard's
   (``enable_external_access = false``, no extension loading, configuration frozen);
3. it is evaluated as one projected expression over the mart, never spliced into a statement
   that writes anything.

A bad label gets a :class:`LabelError` that names the problem. Every label, built-in or custom,
then passes the leakage audit (:mod:`models.leakage`) before any metric is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from common.errors import ShopSightError
from warehouse.reader import LOCKDOWN

LABEL_MARTS = ("sessions", "customers")

#: Built-in labels, in words: these strings are stored with every model run.
BUILTIN_LABELS = {
    "session_conversion": "the session contains a purchase (sessions.converted; Online "
    "Shoppers: its Revenue column); features only from events before the session's first "
    "checkout or purchase signal",
    "session_conversion_prefix": "the session contains a purchase, predicted from its first "
    "k events; only sessions still browsing (no checkout or purchase yet) after k events",
    "session_revenue": "revenue of a converting session (sessions.revenue where converted), "
    "from the events before its first checkout or purchase signal",
    "customer_purchase": "the customer buys at least once in [cutoff, cutoff + horizon)",
    "customer_revenue": "the customer's purchase revenue in [cutoff, cutoff + horizon) "
    "(zero for most)",
    "customer_churn_visits": "no event at all (no visit) in [cutoff, cutoff + horizon), "
    "among customers seen before the cutoff",
    "customer_churn_orders": "no purchase in [cutoff, cutoff + horizon), among customers "
    "seen before the cutoff (order data: there are no visits without an order)",
}

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_LABEL_LENGTH = 500

#: Words that would turn an expression into (part of) a statement or a subquery.
FORBIDDEN_KEYWORDS = frozenset(
    """
    select from insert update delete merge create drop alter attach detach copy export
    import install load pragma set reset call checkpoint vacuum begin commit rollback
    grant revoke truncate with union intersect except returning into describe show
    summarize use execute prepare deallocate explain
    """.split()
)

#: Scalar functions an analyst may use. Anything else followed by "(" is refused, which
#: keeps out table functions (read_csv, read_parquet, glob, query …) by construction.
ALLOWED_FUNCTIONS = frozenset(
    """
    abs ceil ceiling floor round sign sqrt ln log log2 log10 exp pow power greatest least
    coalesce nullif ifnull lower upper length strlen trim ltrim rtrim contains starts_with
    ends_with prefix suffix regexp_matches date_diff datediff date_part extract year month
    day dayofweek isodow hour epoch cast try_cast hash md5 mod
    """.split()
)

_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_QUOTED_IDENT = re.compile(r'"(?:[^"]|"")*"')
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


class LabelError(ShopSightError):
    """A custom label that cannot be used; the message says why, for the analyst."""


@dataclass(frozen=True)
class CustomLabel:
    name: str
    expression: str
    mart: str

    @property
    def definition(self) -> str:
        return f"custom label {self.name!r} over {self.mart}: {self.expression}"


def validate_label(name: str, expression: str, mart: str) -> CustomLabel:
    """Check a custom label's name, mart and expression text; raise :class:`LabelError`.

    This is the first of two defences: the expression still only ever runs on a locked-down
    read-only connection (:func:`evaluate_label`).
    """
    if not NAME_PATTERN.match(name or ""):
        raise LabelError(
            f"label name {name!r}: use 1-40 lower-case letters, digits or '_', starting with "
            "a letter (it becomes part of table values and file names)"
        )
    if mart not in LABEL_MARTS:
        raise LabelError(f"label mart {mart!r}: choose one of {', '.join(LABEL_MARTS)}")
    text = (expression or "").strip()
    if not text:
        raise LabelError("the label expression is empty")
    if len(text) > MAX_LABEL_LENGTH:
        raise LabelError(f"the label expression is longer than {MAX_LABEL_LENGTH} characters")
    bare = _QUOTED_IDENT.sub(" x ", _STRING_LITERAL.sub(" '' ", text))
    if ";" in bare:
        raise LabelError(
            "the label contains ';': a label is one expression over the mart's columns, "
            "not a statement (e.g. --label 'orders >= 2')"
        )
    if "--" in bare or "/*" in bare:
        raise LabelError("the label contains a SQL comment ('--' or '/*'); remove it")
    if "'" in bare.replace("''", "") or '"' in bare:
        raise LabelError("the label has an unterminated quote")
    for word in _WORD.findall(bare):
        if word.lower() in FORBIDDEN_KEYWORDS:
            raise LabelError(
                f"the label uses the keyword {word.upper()!r}: a label is a single "
                "expression over one mart's columns (no statements, subqueries or "
                "DDL/DML), e.g. --label 'orders >= 2'"
            )
    for call in _CALL.findall(bare):
        if call.lower() not in ALLOWED_FUNCTIONS and call.lower() not in {"and", "or", "not", "in"}:
            raise LabelError(
                f"the label calls {call}(…), which is not an allowed scalar function; "
                f"allowed: {', '.join(sorted(ALLOWED_FUNCTIONS))}"
            )
    return CustomLabel(name=name, expression=text, mart=mart)


def locked_connection(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current build, locked down like the dashboard's."""
    import os

    target = os.path.realpath(db_path)
    con = duckdb.connect(target, read_only=True)
    for statement in LOCKDOWN:
        con.execute(statement)
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lock_configuration = true")
    return con


def evaluate_label(
    con: duckdb.DuckDBPyConnection, label: CustomLabel, mart_sql: str, key: str
) -> pl.DataFrame:
    """Evaluate a validated custom label over a mart: ``key`` and ``label`` (DOUBLE).

    Parameters
    ----------
    con
        A locked-down read-only connection (:func:`locked_connection`).
    mart_sql
        The query of the mart the label is written against (ours, not the analyst's).
    """
    sql = (
        f"WITH mart AS ({mart_sql}) "
        f"SELECT {key}, ({label.expression}) AS label_value FROM mart ORDER BY {key}"
    )
    try:
        raw = con.sql(sql).pl()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        raise LabelError(
            f"the label {label.expression!r} failed on {label.mart}: {message}"
        ) from None
    dtype = raw.schema["label_value"]
    if dtype == pl.Boolean:
        values = raw["label_value"].cast(pl.Float64)
    elif dtype.is_numeric():
        values = raw["label_value"].cast(pl.Float64)
    else:
        raise LabelError(
            f"the label {label.expression!r} gives {dtype} values; a label must be boolean "
            "(a class) or numeric (an amount)"
        )
    return pl.DataFrame({key: raw[key], "label": values})
