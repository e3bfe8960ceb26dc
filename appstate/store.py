"""The app-state store: users, saved cohorts, the action log and export history.

The warehouse is disposable (a rebuild replaces it from the sources); what people do in the
app is not, so it lives here, in a small SQLite file next to the ``--db`` link that no build
touches (docs/architecture.md). SQLite because it ships with Python, survives a crash (WAL), and is
plenty for a handful of writers; everything goes through bound parameters.

Thread safety: every call opens its own connection and writes run in ``BEGIN IMMEDIATE``
transactions under a process lock, so a multi-threaded web server and a CLI writing at the
same time queue instead of failing (``appstate.database``). Passwords are in
``appstate.passwords``; sign-in sessions and the sign-in throttle in ``appstate.sessions``.

SQL: the schema and every multi-line statement are files in ``appstate/sql`` (read by
:func:`appstate.database.state_sql`, values bound by name); single-table one-line CRUD
(``SELECT name, role FROM users WHERE name = ?``) stays inline, where it reads best.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.cohort import Cohort
from appstate.database import SCHEMA_VERSION, AppStateError, state_sql
from appstate.database import now_text as _now
from appstate.database import parse_time as _parse_time
from appstate.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    dummy_verify,
    hash_password,
    hash_password_unchecked,
    needs_rehash,
    verify_password,
)
from appstate.sessions import SignInRecords

__all__ = [
    "DEMO_USER",
    "EXPORT_ROLES",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "ROLES",
    "SCHEMA_VERSION",
    "Action",
    "AppState",
    "AppStateError",
    "CustomerMarks",
    "ExportRecord",
    "SavedCohort",
    "User",
    "default_state_path",
    "hash_password",
    "verify_password",
]

STATE_FILE_NAME = "shopsight-state.sqlite3"
ROLES = ("viewer", "analyst", "admin")
EXPORT_ROLES = frozenset({"analyst", "admin"})
MAX_NAME = 80
MAX_CAMPAIGN = 200
MAX_NOTE = 2000
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
class CustomerMarks:
    """What the action log says was done to one customer: lists mark them with it."""

    contacted_at: datetime | None
    campaigns: tuple[str, ...]


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


class AppState(SignInRecords):
    """The app-state store at ``path`` (created, with its schema, on first use).

    Parameters
    ----------
    path
        The SQLite file; :func:`default_state_path` gives the usual place.
    timeout
        Seconds a write waits for another process's write to finish before failing.
    """

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
                    state_sql("add_user"),
                    {"name": name, "role": role, "password_hash": stored, "now": now},
                )
        except sqlite3.IntegrityError:
            raise AppStateError(f"a user named {name!r} already exists") from None
        return User(name, role)

    def verify(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs, else ``None`` (unknown name or wrong password).

        A hash in the old format is rewritten in the current one once the password is known.
        """
        rows = self._read("SELECT name, role, password_hash FROM users WHERE name = ?", (name,))
        if not rows:
            dummy_verify(password)  # so a wrong name takes as long as a wrong password
            return None
        user_name, role, stored = rows[0]
        if not verify_password(password, stored):
            return None
        if needs_rehash(stored):
            self._store_hash(user_name, hash_password_unchecked(password))
        return User(user_name, role)

    def set_password(self, name: str, password: str) -> None:
        """A new password (checked against the policy); ends the user's sessions."""
        if not self._store_hash(name, hash_password(password)):
            raise AppStateError(f"no user named {name!r}")
        self.end_user_sessions(name)

    def _store_hash(self, name: str, stored: str) -> bool:
        with self._write() as con:
            updated = con.execute(
                "UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?",
                (stored, _now(), name),
            ).rowcount
        return bool(updated)

    def set_role(self, name: str, role: str) -> User:
        """Give ``name`` another role; a real change ends the user's sessions."""
        _check_role(role)
        with self._write() as con:
            row = con.execute("SELECT role FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise AppStateError(f"no user named {name!r}")
            if row[0] != role:
                con.execute(
                    "UPDATE users SET role = ?, updated_at = ? WHERE name = ?",
                    (role, _now(), name),
                )
                con.execute("DELETE FROM sign_in_sessions WHERE user_name = ?", (name,))
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
        form (sorted keys) so the same filters saved twice compare equal. A cohort belongs to
        whoever saved it first: only they (or an admin passed as a :class:`User`) overwrite it.
        """
        name = _clean_name(name, "cohort name")
        canonical = Cohort.from_query(query).to_query()
        who = _user_name(user)
        is_admin = isinstance(user, User) and user.role == "admin"
        now = _now()
        with self._write() as con:
            row = con.execute(
                "SELECT created_by FROM saved_cohorts WHERE name = ?", (name,)
            ).fetchone()
            owner = row[0] if row else None
            if owner is not None and owner != who and not is_admin:
                raise AppStateError(
                    f"the cohort {name!r} belongs to {owner}; save yours under another name"
                )
            con.execute(
                state_sql("save_cohort"),
                {"name": name, "query": canonical, "user_name": who, "now": now},
            )
        saved = self.get_cohort(name)
        assert saved is not None
        return saved

    def get_cohort(self, name: str) -> SavedCohort | None:
        rows = self._read(state_sql("saved_cohorts"), {"name": name.strip()})
        return _saved(rows[0]) if rows else None

    def list_cohorts(self) -> list[SavedCohort]:
        return [_saved(r) for r in self._read(state_sql("saved_cohorts"), {"name": None})]

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
            line = {"now": now, "user_name": who, "action": action, "campaign": campaign}
            con.executemany(
                state_sql("log_action"),
                [{**line, "customer_id": c, "note": note, "build_id": build_id} for c in ids],
            )
        return len(ids)

    def actions(self, customer_id: str | None = None, limit: int = 100) -> list[Action]:
        """The newest ``limit`` actions, for one customer or for everyone."""
        rows = self._read(
            state_sql("action_list"), {"customer_id": customer_id or None, "limit": _limit(limit)}
        )
        return [Action(r[0], _parse_time(r[1]), *r[2:]) for r in rows]

    def marks(self, customer_ids: Iterable[str]) -> dict[str, CustomerMarks]:
        """For each of ``customer_ids`` with an action: when it was last marked contacted and
        the campaigns it was added to (by name). One query, however long the list."""
        ids = json.dumps([str(c) for c in customer_ids])
        rows = self._read(state_sql("customer_marks"), {"ids": ids})
        contacted: dict[str, datetime] = {}
        campaigns: dict[str, list[str]] = {}
        for customer, action, campaign, logged_at in rows:
            if action == "contacted":
                contacted[customer] = _parse_time(logged_at)
            elif campaign:
                campaigns.setdefault(customer, []).append(campaign)
        return {
            c: CustomerMarks(contacted.get(c), tuple(campaigns.get(c, ())))
            for c in sorted(contacted.keys() | campaigns.keys())
        }

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
                state_sql("log_export"),
                {
                    "now": _now(),
                    "user_name": _user_name(user),
                    "query": query,
                    "entity": entity,
                    "format": fmt,
                    "rows": rows,
                    "build_id": build_id,
                    "holdout_share": holdout_share,
                    "holdout_seed": holdout_seed,
                    "sql_sha256": sql_sha256,
                    "status": status,
                    "provenance": json.dumps(provenance, default=str)
                    if provenance is not None
                    else None,
                    "finished_at": None if status == "started" else _now(),
                },
            )
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
        rows = self._read(state_sql("export_list"), {"limit": _limit(limit)})
        return [_export_record(r) for r in rows]


# ---- small helpers -----------------------------------------------------------------------
def _saved(row: tuple[Any, ...]) -> SavedCohort:
    name, query, created_by, created_at, updated_at = row
    return SavedCohort(name, query, created_by, _parse_time(created_at), _parse_time(updated_at))


def _export_record(row: tuple[Any, ...]) -> ExportRecord:
    provenance = row[12]
    return ExportRecord(
        id=row[0],
        logged_at=_parse_time(row[1]),
        user=row[2],
        query=row[3],
        entity=row[4],
        format=row[5],
        rows=row[6],
        build_id=row[7],
        holdout_share=row[8],
        holdout_seed=row[9],
        sql_sha256=row[10],
        status=row[11],
        provenance=json.loads(provenance) if provenance else None,
    )


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
