"""Server-side sign-in sessions and the per-account sign-in throttle.

A session is a random token in the (signed) cookie and a row here keyed by the token's
SHA-256, so a copy of this file does not hand out live sessions. Sign-out, a password or role
change, the idle limit and the absolute limit delete the row, and a copied cookie stops working
at once.

Failed sign-ins are counted per account name: after :data:`FREE_FAILURES` in a row, each
further failure locks the account for twice as long as the last (1 s, 2 s, 4 s … at most
:data:`MAX_LOCK_SECONDS`). Attempts refused during a lock are not counted, so an attacker
cannot keep an account locked for longer than the back-off they earned.

SQL: multi-line statements are files in ``appstate/sql``; single-table one-line CRUD
(``DELETE FROM sign_in_sessions WHERE token_sha256 = ?``) stays inline, where it reads best.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from appstate.database import StateDB, state_sql

FREE_FAILURES = 5
MAX_LOCK_SECONDS = 15 * 60
# A failure count older than this starts again from zero.
FAILURE_MEMORY_SECONDS = 24 * 3600
# last_seen is written at most this often per session, not on every callback POST.
TOUCH_SECONDS = 30.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SignInRecords(StateDB):
    """Sessions and failed sign-ins (mixed into :class:`appstate.store.AppState`)."""

    # ---- sessions ----------------------------------------------------------------------
    def start_session(self, user_name: str, *, max_seconds: float, now: float | None = None) -> str:
        """A new session for ``user_name``; returns the token the cookie carries.

        Sessions older than ``max_seconds`` (everyone's) are removed on the way.
        """
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        with self._write() as con:
            con.execute("DELETE FROM sign_in_sessions WHERE created_at < ?", (now - max_seconds,))
            con.execute(
                state_sql("start_session"),
                {"token_sha256": _digest(token), "user_name": user_name, "now": now},
            )
        return token

    def session_user(
        self,
        token: str,
        *,
        idle_seconds: float,
        max_seconds: float,
        now: float | None = None,
    ) -> str | None:
        """The user a live session belongs to, or ``None`` (unknown, ended, idle or too old).

        An expired session is deleted; a live one has its last-seen time moved on.
        """
        if not token:
            return None
        now = time.time() if now is None else now
        key = _digest(token)
        rows = self._read(state_sql("session_lookup"), {"token_sha256": key})
        if not rows:
            return None
        user_name, created_at, last_seen = rows[0]
        if now - created_at > max_seconds or now - last_seen > idle_seconds:
            self.end_session(token)
            return None
        if now - last_seen > min(TOUCH_SECONDS, idle_seconds / 10):
            with self._write() as con:
                con.execute(
                    "UPDATE sign_in_sessions SET last_seen_at = ? WHERE token_sha256 = ?",
                    (now, key),
                )
        return str(user_name)

    def end_session(self, token: str) -> None:
        """Sign-out: the session's token stops working."""
        with self._write() as con:
            con.execute("DELETE FROM sign_in_sessions WHERE token_sha256 = ?", (_digest(token),))

    def end_user_sessions(self, user_name: str) -> int:
        """End every session of ``user_name``; returns how many there were."""
        with self._write() as con:
            return int(
                con.execute(
                    "DELETE FROM sign_in_sessions WHERE user_name = ?", (user_name,)
                ).rowcount
            )

    def session_count(self, user_name: str) -> int:
        rows = self._read("SELECT count(*) FROM sign_in_sessions WHERE user_name = ?", (user_name,))
        return int(rows[0][0])

    # ---- failed sign-ins ---------------------------------------------------------------
    def sign_in_wait(self, account: str, now: float | None = None) -> float:
        """Seconds until ``account`` may try to sign in again (0 when it may now)."""
        now = time.time() if now is None else now
        rows = self._read("SELECT locked_until FROM sign_in_failures WHERE account = ?", (account,))
        return max(0.0, float(rows[0][0]) - now) if rows else 0.0

    def record_failed_sign_in(self, account: str, now: float | None = None) -> float:
        """Count a failure for ``account``; returns the lock it earned in seconds (maybe 0)."""
        now = time.time() if now is None else now
        with self._write() as con:
            # Forget stale counts, everyone's, so names that do not exist do not pile up.
            con.execute(
                "DELETE FROM sign_in_failures WHERE last_failed_at < ?",
                (now - FAILURE_MEMORY_SECONDS,),
            )
            row = con.execute(
                "SELECT failures FROM sign_in_failures WHERE account = ?", (account,)
            ).fetchone()
            failures = (int(row[0]) if row else 0) + 1
            lock = lock_seconds(failures)
            con.execute(
                state_sql("record_sign_in_failure"),
                {"account": account, "failures": failures, "now": now, "locked_until": now + lock},
            )
        return lock

    def clear_failed_sign_ins(self, account: str) -> None:
        """A successful sign-in forgives earlier failures."""
        with self._write() as con:
            con.execute("DELETE FROM sign_in_failures WHERE account = ?", (account,))


def lock_seconds(failures: int) -> float:
    """The lock after ``failures`` failures in a row: none, then 1 s doubling to the cap."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES), MAX_LOCK_SECONDS))
