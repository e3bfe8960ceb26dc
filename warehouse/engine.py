"""The one place that owns DuckDB: connections, named SQL files and identifier quoting.

SQL lives in ``<package>/sql/<name>.sql``; values always travel as bound parameters, and
identifiers (column names that come from a user's file) only pass :func:`quote_ident`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Each layer keeps its queries in ``<package>/sql/``; the layer's name picks the folder.
# appstate's files are SQLite (the app-state store), the others DuckDB.
SQL_PACKAGES = ("warehouse", "models", "analytics", "appstate")


def sql_dir(package: str = "warehouse") -> Path:
    """The folder of ``package``'s SQL files."""
    if package not in SQL_PACKAGES:
        raise KeyError(f"no SQL folder for {package!r}; one of {', '.join(SQL_PACKAGES)}")
    return SQL_DIR.parents[1] / package / "sql"


@cache
def load_sql(name: str, package: str = "warehouse") -> str:
    """Return the text of ``<package>/sql/<name>.sql``: the one loader of named SQL.

    A file is a pure query (jaffle_shop style: import CTEs, logical CTEs, ``final``); the
    caller decides whether it becomes a table, a view or a result, and binds its values.
    """
    folder = sql_dir(package)
    path = folder / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no SQL file named {name!r} in {folder}")
    return path.read_text(encoding="utf-8")


# Leading comment lines and blank lines of a SQL file, then whether the query opens a WITH.
_LEADING_COMMENTS = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")
_OPENS_WITH = re.compile(r"with\b", re.IGNORECASE)


def with_relations(sql: str, relations: Mapping[str, str]) -> str:
    """``sql`` with ``relations`` (name → query) defined as CTEs in front of its own.

    A named query that reads something only its caller knows (a cohort's customers, say)
    selects from a relation by name; the caller supplies the relation's query here, so the
    file stays a pure SELECT and the composition is one CTE, not text spliced into the file.
    The relations' queries bind their values with the same parameters as ``sql``.
    """
    if not relations:
        return sql
    ctes = ",\n".join(f"{quote_ident(name)} AS (\n{query}\n)" for name, query in relations.items())
    head = _LEADING_COMMENTS.match(sql)
    comments, body = sql[: head.end()] if head else "", sql[head.end() if head else 0 :]
    if _OPENS_WITH.match(body):
        return f"{comments}WITH {ctes},\n{body[4:].lstrip()}"
    return f"{comments}WITH {ctes}\n{body}"


def named_query(name: str, package: str, relations: Mapping[str, str] | None = None) -> str:
    """The named query of ``package`` with the caller's ``relations`` in front of it."""
    return with_relations(load_sql(name, package), relations or {})


def fill_slots(sql: str, slots: Mapping[str, str]) -> str:
    """``sql`` with each ``{slot}`` replaced by its already-quoted identifier text.

    Slots carry identifiers only (a table or column the caller fixed and passed through
    :func:`quote_ident`); values stay bound parameters. A slot the file lacks is an error,
    so a renamed placeholder cannot silently leave the query unchanged.
    """
    for slot in slots:
        if "{" + slot + "}" not in sql:
            raise KeyError(f"the query has no {{{slot}}} to fill")
    if not slots:
        return sql
    # One pass, so a filled-in identifier that happens to read "{other_slot}" stays as it is.
    placeholders = re.compile("|".join(re.escape("{" + slot + "}") for slot in slots))
    return placeholders.sub(lambda found: slots[found.group(0)[1:-1]], sql)


def create_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    *,
    sql: str | None = None,
    temp: bool = False,
) -> None:
    """Store the named query (or ``sql``, a query built from one) as the table ``table``.

    Files are pure SELECTs; whether a result becomes a table is the caller's choice, made
    here. ``temp`` tables replace an earlier one of the same name within the build.
    """
    body = sql if sql is not None else load_sql(name or table)
    kind = "OR REPLACE TEMP TABLE" if temp else "TABLE"
    statement = f"CREATE {kind} {quote_ident(table)} AS\n{body}"
    if params:
        con.execute(statement, params)
    else:
        con.execute(statement)


def insert_into(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    *,
    sql: str | None = None,
) -> None:
    """Append the named query's rows (or ``sql``'s, a query built from one) to ``table``,
    columns matched by name."""
    body = sql if sql is not None else load_sql(name or table)
    statement = f"INSERT INTO {quote_ident(table)} BY NAME\n{body}"
    if params:
        con.execute(statement, params)
    else:
        con.execute(statement)


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, doubling embedded quotes.

    Column names in users' files contain spaces, brackets and quotes ("page 1 (main
    category)"); quoting is what lets them reach SQL without being SQL.
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for the few places DuckDB does not accept a parameter.

    Table functions such as ``read_csv`` need their file path and options as constants
    inside ``CREATE TABLE … AS``; everywhere else values are bound parameters.
    """
    return "'" + value.replace("'", "''") + "'"


def connect(
    path: Path | str | None = None,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a writable DuckDB connection for a build (``None`` opens in memory)."""
    con = duckdb.connect(str(path) if path is not None else ":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute("SET memory_limit = " + quote_literal(memory_limit))
    if temp_directory is not None:
        con.execute("SET temp_directory = " + quote_literal(str(temp_directory)))
    con.execute("SET preserve_insertion_order = false")
    return con


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> None:
    """Run the named SQL file for its side effects (DDL / INSERT)."""
    sql = load_sql(name)
    if params:
        con.execute(sql, params)
    else:
        con.execute(sql)
    con.complete()


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run a query and return all rows as tuples."""
    if params:
        return con.sql(sql, params=params).fetchall()
    return con.sql(sql).fetchall()
