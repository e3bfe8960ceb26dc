"""The SQLite plumbing of the app-state store: connections, write transactions, migrations.

Every call opens its own connection (sqlite3 connections must not be shared between threads)
and writes run in ``BEGIN IMMEDIATE`` transactions under a process lock, so a multi-threaded
web server and a CLI writing at the same time queue instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.errors import ShopSightError
from warehouse.engine import load_sql

SCHEMA_VERSION = 3


class AppStateError(ShopSightError):
    """A value cannot be stored in the app-state store (the message says which and why)."""


# Each entry moves the schema from version i to i + 1 (appstate/sql/schema_v<i+1>.sql);
# append, never edit a shipped one.
MIGRATIONS: tuple[str, ...] = ("schema_v1", "schema_v2", "schema_v3")
assert len(MIGRATIONS) == SCHEMA_VERSION


def state_sql(name: str) -> str:
    """The text of ``appstate/sql/<name>.sql`` (SQLite; values bound as ``:name``)."""
    return load_sql(name, "appstate")


def statements(script: str) -> list[str]:
    """The statements of a SQL script, each whole, in order.

    ``sqlite3``'s ``executescript`` would commit the migration's open transaction first,
    so a script runs one statement at a time; ``sqlite3.complete_statement`` (SQLite's own
    tokenizer) says where each ends, so a ``;`` in a comment or a string does not split one.
    """
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"an unfinished statement ends the script: {pending.strip()[:60]!r}")
    return found


class StateDB:
    """The SQLite file at ``path`` (created, with its schema, on first use).

    Parameters
    ----------
    path
        The SQLite file.
    timeout
        Seconds a write waits for another process's write to finish before failing.
    """

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._write_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Password hashes live here: readable by the owner only.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._connect() as con:
            # WAL lets readers carry on while one writer writes; the mode is persistent.
            con.execute("PRAGMA journal_mode = WAL")
        self._migrate()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            yield con
        finally:
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken up front so two writers never deadlock on upgrade."""
        with self._write_lock, self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _read(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        with self._connect() as con:
            return con.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._write() as con:
            has_meta = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            current = 0
            if has_meta:
                row = con.execute(state_sql("schema_version")).fetchone()
                current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise AppStateError(
                    f"{self.path}: app-state schema version {current} is newer than this "
                    f"ShopSight understands ({SCHEMA_VERSION}); upgrade ShopSight"
                )
            for migration in MIGRATIONS[current:]:
                for statement in statements(state_sql(migration)):
                    con.execute(statement)
            if current < SCHEMA_VERSION:
                con.execute(state_sql("set_schema_version"), {"version": str(SCHEMA_VERSION)})

    def schema_version(self) -> int:
        return int(self._read(state_sql("schema_version"))[0][0])


def now_text() -> str:
    """The current time as stored in the text columns (ISO 8601, UTC, microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
