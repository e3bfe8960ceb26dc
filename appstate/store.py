"""The app-state store: users, saved cohorts, the action log and export history.

The warehouse is disposable (a rebuild replaces it from the sources); what people do in the
app is not, so it lives here, in a small SQLite file next to the ``--db`` link that no build
touches (docs/architecture.md). SQLite because it ships with Python, survives a crash (WAL), and is
plenty for a handful of writers; everything goes through bound parameters.

Thread safety: every call opens its own connection (sqlite3 connections must not be shared
between threads) and writes run in ``BEGIN IMMEDIATE`` transactions under a process lock,
so a multi-threaded web server and a CLI writing at the same time queue instead of failing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics.cohort import Cohort
from common.errors import ShopSightError

STATE_FILE_NAME = "shopsight-state.sqlite3"
SCHEMA_VERSION = 1
ROLES = ("viewer", "analyst", "admin")
EXPORT_ROLES = frozenset({"analyst", "admin"})
MAX_NAME = 80
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_CAMPAIGN = 200
MAX_NOTE = 2000
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# scrypt cost: n=2**14, r=8 takes ~16 MiB and ~50 ms per hash, the interactive-login
# setting of the scrypt paper; the parameters are stored with each hash so they can rise.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32


class AppStateError(ShopSightError):
    """A value cannot be stored in the app-state store (the message says which and why)."""


@dataclass(frozen=True)
class User:
    """Someone who may use the app; ``role`` is one of :data:`ROLES`."""

    name: str
    role: str

    @property
    def can_export(self) -> bool:
        """Only analysts and admins may take customer lists out of the app."""
        return self.role in EXPORT_ROLES


DEMO_USER = User("demo", "admin")
"""The user the app acts as in demo mode (no login)."""


@dataclass(frozen=True)
class SavedCohort:
    name: str
    query: str
    created_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Action:
    """One line of the action log: something done to one customer."""

    id: int
    logged_at: datetime
    user: str | None
    action: str
    customer_id: str
    campaign: str | None
    note: str | None
    build_id: str | None


@dataclass(frozen=True)
class ExportRecord:
    """One line of the export log."""

    id: int
    logged_at: datetime
    user: str | None
    query: str
    entity: str
    format: str
    rows: int | None
    build_id: str | None
    holdout_share: float | None
    holdout_seed: int | None
    sql_sha256: str | None
    status: str
    provenance: dict[str, Any] | None


def default_state_path(db_path: Path | str) -> Path:
    """Where the store lives for a warehouse: next to the ``--db`` link, not its target.

    The link's folder is stable across builds; the versioned files it points at come and
    go (and the build's pruning only matches ``<stem>.*.duckdb``, never this file).
    """
    return Path(db_path).parent / STATE_FILE_NAME


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
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


class AppState:
    """The app-state store at ``path`` (created, with its schema, on first use).

    Parameters
    ----------
    path
        The SQLite file; :func:`default_state_path` gives the usual place.
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

    # ---- plumbing ----------------------------------------------------------------------
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

    # ---- users -------------------------------------------------------------------------
    def add_user(self, name: str, password: str, role: str = "viewer") -> User:
        """Create a user; the password is stored only as a salted scrypt hash."""
        name = _clean_name(name, "user name")
        _check_role(role)
        stored = hash_password(password)
        now = _now()
        try:
            with self._write() as con:
                con.execute(
                    "INSERT INTO users (name, role, password_hash, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, role, stored, now, now),
                )
        except sqlite3.IntegrityError:
            raise AppStateError(f"a user named {name!r} already exists") from None
        return User(name, role)

    def verify(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs, else ``None`` (unknown name or wrong password)."""
        rows = self._read("SELECT name, role, password_hash FROM users WHERE name = ?", (name,))
        if not rows:
            # Hash anyway so a wrong name takes as long as a wrong password.
            verify_password(password, _DUMMY_HASH)
            return None
        user_name, role, stored = rows[0]
        return User(user_name, role) if verify_password(password, stored) else None

    def set_password(self, name: str, password: str) -> None:
        stored = hash_password(password)
        with self._write() as con:
            updated = con.execute(
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?",
                (stored, _now(), name),
            ).rowcount
        if not updated:
            raise AppStateError(f"no user named {name!r}")

    def set_role(self, name: str, role: str) -> User:
        _check_role(role)
        with self._write() as con:
            updated = con.execute(
                "UPDATE users SET role = ?, updated_at = ? WHERE name = ?", (role, _now(), name)
            ).rowcount
        if not updated:
            raise AppStateError(f"no user named {name!r}")
        return User(name, role)

    def get_user(self, name: str) -> User | None:
        rows = self._read("SELECT name, role FROM users WHERE name = ?", (name,))
        return User(*rows[0]) if rows else None

    def list_users(self) -> list[User]:
        return [User(n, r) for n, r in self._read("SELECT name, role FROM users ORDER BY name")]

    # ---- saved cohorts -----------------------------------------------------------------
    def save_cohort(self, name: str, query: str, user: User | str | None = None) -> SavedCohort:
        """Save (or overwrite) a cohort under ``name``.

        The query is parsed first, so a saved cohort always loads, and stored in its canonical
        form (sorted keys) so the same filters saved twice compare equal.
        """
        name = _clean_name(name, "cohort name")
        canonical = Cohort.from_query(query).to_query()
        who = _user_name(user)
        now = _now()
        with self._write() as con:
            con.execute(
                "INSERT INTO saved_cohorts "
                "(name, query, created_by, created_at, updated_by, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET query = excluded.query, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (name, canonical, who, now, who, now),
            )
        saved = self.get_cohort(name)
        assert saved is not None
        return saved

    def get_cohort(self, name: str) -> SavedCohort | None:
        rows = self._read(
            "SELECT name, query, created_by, created_at, updated_at FROM saved_cohorts "
            "WHERE name = ?",
            (name.strip(),),
        )
        return _saved(rows[0]) if rows else None

    def list_cohorts(self) -> list[SavedCohort]:
        return [
            _saved(r)
            for r in self._read(
                "SELECT name, query, created_by, created_at, updated_at FROM saved_cohorts "
                "ORDER BY name"
            )
        ]

    def delete_cohort(self, name: str) -> bool:
        """Delete a saved cohort; ``False`` when there was none by that name."""
        with self._write() as con:
            deleted = con.execute(
                "DELETE FROM saved_cohorts WHERE name = ?", (name.strip(),)
            ).rowcount
        return bool(deleted)

    # ---- action log --------------------------------------------------------------------
    def log_action(
        self,
        user: User | str | None,
        action: str,
        customer_ids: Iterable[str],
        campaign: str | None = None,
        note: str | None = None,
        build_id: str | None = None,
    ) -> int:
        """Record ``action`` (``contacted``, ``added_to_campaign``…) for each customer.

        All rows go in one transaction, so a bulk action is logged whole or not at all.
        Returns the number of rows logged.
        """
        if not _ACTION.match(action):
            raise AppStateError(
                f"action {action!r}: use lower-case letters, digits and _ (e.g. contacted), "
                "at most 40 characters"
            )
        campaign = _optional_text(campaign, "campaign", MAX_CAMPAIGN)
        note = _optional_text(note, "note", MAX_NOTE)
        ids = [str(c) for c in customer_ids]
        if any(not c.strip() for c in ids):
            raise AppStateError("customer ids must not be blank")
        who, now = _user_name(user), _now()
        with self._write() as con:
            con.executemany(
                "INSERT INTO action_log "
                "(logged_at, user_name, action, customer_id, campaign, note, build_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(now, who, action, c, campaign, note, build_id) for c in ids],
            )
        return len(ids)

    def actions(self, customer_id: str | None = None, limit: int = 100) -> list[Action]:
        """The newest ``limit`` actions, for one customer or for everyone."""
        where, params = ("WHERE customer_id = ?", (customer_id,)) if customer_id else ("", ())
        rows = self._read(
            "SELECT id, logged_at, user_name, action, customer_id, campaign, note, build_id "
            f"FROM action_log {where} ORDER BY id DESC LIMIT ?",
            (*params, _limit(limit)),
        )
        return [Action(r[0], _parse_time(r[1]), *r[2:]) for r in rows]

    # ---- export log --------------------------------------------------------------------
    def log_export(
        self,
        *,
        user: User | str | None,
        query: str,
        entity: str,
        fmt: str,
        rows: int | None,
        build_id: str | None,
        holdout_share: float | None = None,
        holdout_seed: int | None = None,
        sql_sha256: str | None = None,
        status: str = "complete",
        provenance: dict[str, Any] | None = None,
    ) -> int:
        """Record an export; returns its id (for :meth:`finish_export`).

        The web route logs ``status="started"`` before the first byte leaves, so even an
        interrupted download is on record, and finishes the line when the stream ends.
        """
        with self._write() as con:
            cursor = con.execute(
                "INSERT INTO export_log (logged_at, user_name, query, entity, format, rows, "
                "build_id, holdout_share, holdout_seed, sql_sha256, status, provenance, "
                "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _now(), _user_name(user), query, entity, fmt, rows, build_id,
                    holdout_share, holdout_seed, sql_sha256, status,
                    json.dumps(provenance, default=str) if provenance is not None else None,
                    None if status == "started" else _now(),
                ),
            )  # fmt: skip
            return int(cursor.lastrowid or 0)

    def finish_export(self, export_id: int, *, rows: int, status: str = "complete") -> None:
        """Close an export line opened with ``status="started"``."""
        with self._write() as con:
            con.execute(
                "UPDATE export_log SET rows = ?, status = ?, finished_at = ? WHERE id = ?",
                (rows, status, _now(), export_id),
            )

    def exports(self, limit: int = 100) -> list[ExportRecord]:
        """The newest ``limit`` exports."""
        rows = self._read(
            "SELECT id, logged_at, user_name, query, entity, format, rows, build_id, "
            "holdout_share, holdout_seed, sql_sha256, status, provenance FROM export_log "
            "ORDER BY id DESC LIMIT ?",
            (_limit(limit),),
        )
        return [_export_record(r) for r in rows]


# ---- passwords -----------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) with a fresh 16-byte salt."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AppStateError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
        dklen=_SCRYPT_LEN,
    )  # fmt: skip
    return "$".join(
        ("scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` value (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
            p=int(p), dklen=len(expected), maxmem=2**26,
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_DUMMY_HASH = (
    f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}$"
    + _b64(b"\0" * 16)
    + "$"
    + _b64(b"\0" * _SCRYPT_LEN)
)


# ---- small helpers -----------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _saved(row: tuple[Any, ...]) -> SavedCohort:
    name, query, created_by, created_at, updated_at = row
    return SavedCohort(name, query, created_by, _parse_time(created_at), _parse_time(updated_at))


def _export_record(row: tuple[Any, ...]) -> ExportRecord:
    (id_, logged_at, user, query, entity, fmt, rows, build_id, share, seed, sql_sha256,
     status, provenance) = row  # fmt: skip
    return ExportRecord(
        id_, _parse_time(logged_at), user, query, entity, fmt, rows, build_id, share, seed,
        sql_sha256, status, json.loads(provenance) if provenance else None,
    )  # fmt: skip


def _user_name(user: User | str | None) -> str | None:
    return user.name if isinstance(user, User) else user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AppStateError(f"role {role!r} is not one of {', '.join(ROLES)}")


def _clean_name(name: str, what: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise AppStateError(f"a {what} must not be blank")
    if len(cleaned) > MAX_NAME:
        raise AppStateError(f"a {what} has at most {MAX_NAME} characters")
    if _CONTROL.search(cleaned):
        raise AppStateError(f"a {what} must not contain control characters")
    return cleaned


def _optional_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > limit:
        raise AppStateError(f"{what} has at most {limit} characters")
    return value.strip()


def _limit(limit: int) -> int:
    if not isinstance(limit, int) or limit < 1:
        raise AppStateError("limit must be a positive whole number")
    return min(limit, 100_000)
