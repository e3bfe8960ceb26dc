"""Every SQLite file of appstate/sql runs on a fresh app-state store.

The DuckDB smoke test (tests/unit/test_sql_files.py) runs the other packages' files; these
are the app-state store's, so each runs here on a store just created by ``AppState``, with
the parameters its caller binds, and a query returns the columns its caller reads. The files
are found on disk, so a new one fails :func:`test_every_file_has_a_case` until it has one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from appstate.database import MIGRATIONS, SCHEMA_VERSION, state_sql, statements
from appstate.store import AppState
from warehouse.engine import sql_dir

SQL_FILES = sorted(path.stem for path in sql_dir("appstate").glob("*.sql"))
NOW = "2024-04-01T00:00:00.000000+00:00"


@dataclass(frozen=True)
class Case:
    """The parameters a file's caller binds, and the columns it reads (empty: a statement)."""

    params: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()


_EXPORT = {
    "now": NOW,
    "user_name": "ana",
    "query": "tier=High",
    "entity": "customers",
    "format": "csv",
    "rows": 3,
    "build_id": "b1",
    "holdout_share": 0.1,
    "holdout_seed": 7,
    "sql_sha256": "0" * 64,
    "status": "complete",
    "provenance": "{}",
    "finished_at": NOW,
}
# Writes first: test_written_rows_read_back runs them in this order, then the reads.
CASES: dict[str, Case] = {
    "set_schema_version": Case({"version": str(SCHEMA_VERSION)}),
    "add_user": Case({"name": "ana", "role": "analyst", "password_hash": "h", "now": NOW}),
    "save_cohort": Case({"name": "vip", "query": "tier=High", "user_name": "ana", "now": NOW}),
    "log_action": Case(
        {
            "now": NOW,
            "user_name": "ana",
            "action": "added_to_campaign",
            "customer_id": "c1",
            "campaign": "spring",
            "note": None,
            "build_id": "b1",
        }
    ),
    "log_export": Case(_EXPORT),
    "start_session": Case({"token_sha256": "t" * 64, "user_name": "ana", "now": 1.0}),
    "record_sign_in_failure": Case(
        {"account": "ana", "failures": 1, "now": 1.0, "locked_until": 1.0}
    ),
    "add_campaign": Case(
        {
            "name": "spring",
            "cohort_query": "churn_tier=High",
            "goal": "purchase",
            "window_days": 30,
            "holdout_share": 0.1,
            "seed": 7,
            "start_date": "2024-04-01",
            "build_id": "b1",
            "created_by": "ana",
            "now": NOW,
        }
    ),
    "add_campaign_member": Case(
        {
            "campaign_id": 1,
            "customer_id": "c1",
            "member_group": "control",
            "churn_tier": "High",
            "segment": None,
            "purchase_prob": 0.2,
            "churn_prob": 0.7,
            "predicted_revenue": 12.5,
        }
    ),
    "schema_version": Case(columns=("value",)),
    "campaign_list": Case({"name": None}, ("name", "goal", "treatment", "control")),
    "campaign_member_list": Case(
        {"name": "spring", "member_group": None}, ("customer_id", "member_group", "churn_tier")
    ),
    "saved_cohorts": Case({"name": None}, ("name", "query", "created_by", "created_at")),
    "action_list": Case(
        {"customer_id": None, "limit": 5}, ("id", "logged_at", "action", "customer_id")
    ),
    "customer_marks": Case({"ids": '["c1", "c2"]'}, ("customer_id", "action", "campaign")),
    "export_list": Case({"limit": 5}, ("id", "query", "status", "provenance")),
    "session_lookup": Case({"token_sha256": "t" * 64}, ("user_name", "created_at")),
}


@pytest.fixture
def con(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to a store ``AppState`` has just created (every migration applied)."""
    store = AppState(tmp_path / "state.sqlite3")
    connection = sqlite3.connect(store.path, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def _run(con: sqlite3.Connection, name: str) -> sqlite3.Cursor:
    case = CASES[name]
    cursor = con.execute(state_sql(name), case.params)
    if case.columns:
        described = [column[0] for column in cursor.description]
        missing = [c for c in case.columns if c not in described]
        assert not missing, f"{name} lacks {missing}; it returns {described}"
    return cursor


def test_every_file_has_a_case() -> None:
    known = set(CASES) | set(MIGRATIONS)
    assert set(SQL_FILES) == known, sorted(set(SQL_FILES) ^ known)


@pytest.mark.parametrize("name", [n for n in SQL_FILES if n not in MIGRATIONS])
def test_sql_file_runs_on_a_fresh_store(name: str, con: sqlite3.Connection) -> None:
    _run(con, name).fetchall()


def test_written_rows_read_back(con: sqlite3.Connection) -> None:
    """Results, not just columns: what the write files store, the read files return."""
    for name, case in CASES.items():
        if not case.columns:
            _run(con, name)
    assert _run(con, "schema_version").fetchall() == [(str(SCHEMA_VERSION),)]
    assert [r[:3] for r in _run(con, "saved_cohorts")] == [("vip", "tier=High", "ana")]
    assert [r[3:5] for r in _run(con, "action_list")] == [("added_to_campaign", "c1")]
    assert _run(con, "customer_marks").fetchall() == [("c1", "added_to_campaign", "spring", NOW)]
    assert [r[3] for r in _run(con, "export_list")] == ["tier=High"]
    assert _run(con, "session_lookup").fetchall() == [("ana", 1.0, 1.0)]
    assert [r[0] for r in _run(con, "campaign_list")] == ["spring"]
    assert [r[:2] for r in _run(con, "campaign_member_list")] == [("c1", "control")]


def test_the_migrations_build_the_schema_a_fresh_store_has(con: sqlite3.Connection) -> None:
    """Run on an empty database, the migration files give the store's tables and indexes."""
    empty = sqlite3.connect(":memory:")
    try:
        for migration in MIGRATIONS:
            for statement in statements(state_sql(migration)):
                empty.execute(statement)
        inventory = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 2"
        built = empty.execute(inventory).fetchall()
    finally:
        empty.close()
    assert built == con.execute(inventory).fetchall()
    assert ("table", "sign_in_failures") in built
    assert ("index", "action_log_customer") in built


def test_statements_split_where_sqlite_says_a_statement_ends() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (a TEXT DEFAULT ';');\n"
        "\n"
        "INSERT INTO t VALUES ('x;\ny');\n"
    )
    found = statements(script)
    assert len(found) == 2
    assert found[0].endswith("CREATE TABLE t (a TEXT DEFAULT ';');")
    assert found[1] == "INSERT INTO t VALUES ('x;\ny');"
    with pytest.raises(ValueError, match="unfinished"):
        statements("CREATE TABLE t (a TEXT")
