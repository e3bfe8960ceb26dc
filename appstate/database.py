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

SCHEMA_VERSION = 3


class AppStateError(ShopSightError):
    """A value cannot be stored in the app-state store (the message says which and why)."""


# Each entry moves the schema from version i to i + 1; append, never edit a shipped one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE saved_cohorts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            query TEXT NOT NULL,
            created_by TEXT,
            created_at TEXT NOT NULL,
            updated_by TEXT,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE action_log (
            id INTEGER PRIMARY KEY,
            logged_at TEXT NOT NULL,
            user_name TEXT,
            action TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            campaign TEXT,
            note TEXT,
            build_id TEXT
        )""",
        "CREATE INDEX action_log_customer ON action_log (customer_id, id)",
        """CREATE TABLE export_log (
            id INTEGER PRIMARY KEY,
            logged_at TEXT NOT NULL,
            user_name TEXT,
            query TEXT NOT NULL,
            entity TEXT NOT NULL,
            format TEXT NOT NULL,
            rows INTEGER,
            build_id TEXT,
            holdout_share REAL,
            holdout_seed INTEGER,
            sql_sha256 TEXT,
            status TEXT NOT NULL,
            provenance TEXT,
            finished_at TEXT
        )""",
    ),
    # Sign-in sessions and failed sign-ins. Times are epoch seconds (REAL) because the code
    # does arithmetic on them (idle and absolute limits, lock expiry) on every request.
    (
        """CREATE TABLE sign_in_sessions (
            token_sha256 TEXT PRIMARY KEY,
            user_name TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL
        )""",
        "CREATE INDEX sign_in_sessions_user ON sign_in_sessions (user_name)",
        """CREATE TABLE sign_in_failures (
            account TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_failed_at REAL NOT NULL,
            locked_until REAL NOT NULL
        )""",
    ),
    # Campaigns and their frozen members (appstate.campaigns). The scores a member had at
    # creation are kept with them: the report splits and checks by them after rebuilds.
    (
        """CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            cohort_query TEXT NOT NULL,
            goal TEXT NOT NULL CHECK (goal IN ('purchase', 'revenue', 'return_visit')),
            window_days INTEGER NOT NULL CHECK (window_days > 0),
            holdout_share REAL NOT NULL CHECK (holdout_share > 0 AND holdout_share < 1),
            seed INTEGER NOT NULL,
            start_date TEXT NOT NULL,
            build_id TEXT,
            created_by TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE campaign_members (
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
            customer_id TEXT NOT NULL,
            member_group TEXT NOT NULL CHECK (member_group IN ('treatment', 'control')),
            churn_tier TEXT,
            segment TEXT,
            purchase_prob REAL,
            churn_prob REAL,
            predicted_revenue REAL,
            PRIMARY KEY (campaign_id, customer_id)
        )""",
        "CREATE INDEX action_log_campaign ON action_log (campaign, action)",
    ),
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


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

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connect() as con:
            return con.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._write() as con:
            has_meta = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            current = 0
            if has_meta:
                row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise AppStateError(
                    f"{self.path}: app-state schema version {current} is newer than this "
                    f"ShopSight understands ({SCHEMA_VERSION}); upgrade ShopSight"
                )
            for statements in _MIGRATIONS[current:]:
                for statement in statements:
                    con.execute(statement)
            if current < SCHEMA_VERSION:
                con.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )

    def schema_version(self) -> int:
        return int(self._read("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])


def now_text() -> str:
    """The current time as stored in the text columns (ISO 8601, UTC, microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
