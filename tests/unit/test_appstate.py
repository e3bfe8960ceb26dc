"""The app-state store: users with hashed passwords, saved cohorts that survive rebuilds,
the action and export logs, schema versioning and concurrent writers."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from analytics.cohort import CohortError
from appstate.sessions import MAX_LOCK_SECONDS, lock_seconds
from appstate.store import (
    SCHEMA_VERSION,
    AppState,
    AppStateError,
    User,
    default_state_path,
    verify_password,
)
from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS


@pytest.fixture
def store(tmp_path) -> AppState:
    return AppState(tmp_path / "state.sqlite3")


def stored_columns(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---- users ------------------------------------------------------------------------------------
def test_passwords_are_hashed_and_verified(store):
    store.add_user("ana", "correct horse battery", "analyst")
    ((stored,),) = stored_columns(store.path, "SELECT password_hash FROM users")
    assert "correct horse battery" not in stored
    assert stored.startswith("scrypt:")  # Werkzeug's salted scrypt
    assert store.verify("ana", "correct horse battery") == User("ana", "analyst")
    assert store.verify("ana", "wrong horse battery") is None
    assert store.verify("nobody", "correct horse battery") is None
    assert verify_password("correct horse battery", stored)
    assert not verify_password("x", "not-a-hash")


def test_same_password_gets_a_different_salt(store):
    store.add_user("a", "same password")
    store.add_user("b", "same password")
    hashes = [h for (h,) in stored_columns(store.path, "SELECT password_hash FROM users")]
    assert hashes[0] != hashes[1]


def test_user_rules(store):
    store.add_user("ana", "tidal-pumpkin-7", "viewer")
    with pytest.raises(AppStateError, match="already exists"):
        store.add_user("ana", "quiet-lantern-8")
    with pytest.raises(AppStateError, match="at least 12"):
        store.add_user("bo", "short")
    with pytest.raises(AppStateError, match="role 'boss'"):
        store.add_user("bo", "tidal-pumpkin-7", "boss")
    with pytest.raises(AppStateError, match="blank"):
        store.add_user("  ", "tidal-pumpkin-7")
    assert store.set_role("ana", "admin") == User("ana", "admin")
    assert store.list_users() == [User("ana", "admin")]
    assert store.get_user("ana").can_export and not User("v", "viewer").can_export
    store.set_password("ana", "new password")
    assert store.verify("ana", "new password") is not None
    with pytest.raises(AppStateError, match="no user named"):
        store.set_role("zed", "viewer")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("eleven char", "at least 12"),
        (" " * 16, "all spaces"),
        ("Password1234", "common passwords"),
        ("qwerty123456", "common passwords"),
        ("aaaaaaaaaaaaaaaa", "common passwords"),
        ("abcabcabcabc", "common passwords"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_password_policy_gives_the_reason(store, password, reason):
    with pytest.raises(AppStateError, match=reason):
        store.add_user("ana", password)
    store.add_user("ana", "tidal-pumpkin-7")
    with pytest.raises(AppStateError, match=reason):
        store.set_password("ana", password)
    assert store.verify("ana", "tidal-pumpkin-7") is not None  # the old password stands


def test_old_format_hashes_still_verify_and_are_upgraded(store):
    """Hashes written before the switch to Werkzeug (``scrypt$n$r$p$salt$hash``)."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"legacy-pass", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = "$".join(
        (
            "scrypt",
            "16384",
            "8",
            "1",
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )
    assert verify_password("legacy-pass", legacy)
    assert not verify_password("legacy-passX", legacy)
    store.add_user("old", "tidal-pumpkin-7")
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE users SET password_hash = ? WHERE name = 'old'", (legacy,))
    con.close()
    assert store.verify("old", "wrong-password") is None
    assert store.verify("old", "legacy-pass") == User("old", "viewer")  # 11 characters: kept
    ((stored,),) = stored_columns(store.path, "SELECT password_hash FROM users")
    assert stored.startswith("scrypt:") and verify_password("legacy-pass", stored)


# ---- sign-in sessions and throttle ------------------------------------------------------------
def test_sessions_end_on_sign_out_password_and_role_change(store):
    store.add_user("ana", "tidal-pumpkin-7", "analyst")
    limits = {"idle_seconds": 3600, "max_seconds": 8 * 3600}
    first = store.start_session("ana", max_seconds=limits["max_seconds"])
    second = store.start_session("ana", max_seconds=limits["max_seconds"])
    assert first != second and store.session_count("ana") == 2
    assert store.session_user(first, **limits) == "ana"
    store.end_session(first)
    assert store.session_user(first, **limits) is None
    assert store.session_user(second, **limits) == "ana"
    store.set_role("ana", "analyst")  # not a change: sessions stay
    assert store.session_user(second, **limits) == "ana"
    store.set_role("ana", "viewer")
    assert store.session_user(second, **limits) is None
    third = store.start_session("ana", max_seconds=limits["max_seconds"])
    store.set_password("ana", "quiet-lantern-8")
    assert store.session_user(third, **limits) is None
    assert store.session_user("", **limits) is None
    # The store keeps only the token's digest.
    rows = stored_columns(store.path, "SELECT token_sha256 FROM sign_in_sessions")
    assert all(third not in str(row) for row in rows)


def test_sessions_have_an_absolute_and_an_idle_limit(store):
    start = 1_000_000.0
    token = store.start_session("ana", max_seconds=100, now=start)
    # Seen every 20 s, so never idle, but the absolute limit still ends it.
    for t in range(20, 101, 20):
        assert store.session_user(token, idle_seconds=30, max_seconds=100, now=start + t) == "ana"
    assert store.session_user(token, idle_seconds=30, max_seconds=100, now=start + 101) is None
    assert store.session_count("ana") == 0
    idle = store.start_session("ana", max_seconds=100, now=start)
    assert store.session_user(idle, idle_seconds=30, max_seconds=100, now=start + 31) is None


def test_failed_sign_ins_lock_an_account_with_back_off(store):
    now = 5_000.0
    waits = [store.record_failed_sign_in("ana", now=now) for _ in range(8)]
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8]
    assert store.sign_in_wait("ana", now=now) == 8
    assert store.sign_in_wait("ana", now=now + 8) == 0
    assert store.sign_in_wait("bo", now=now) == 0  # other accounts are not affected
    assert lock_seconds(60) == MAX_LOCK_SECONDS
    store.clear_failed_sign_ins("ana")
    assert store.sign_in_wait("ana", now=now) == 0
    assert store.record_failed_sign_in("ana", now=now) == 0  # the count started again


# ---- saved cohorts ----------------------------------------------------------------------------
def test_saved_cohort_survives_a_warehouse_rebuild(write_file, build, tmp_path):
    events = write_file("events.csv", "\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n")
    build(events)
    db = tmp_path / "w.duckdb"
    path = default_state_path(db)
    assert path == tmp_path / "shopsight-state.sqlite3"
    AppState(path).save_cohort("UK churners", "country=UK&churn_tier=High", "ana")
    AppState(path).log_action("ana", "contacted", ["u1", "u2"])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    first_build = db.resolve()

    build(events, force=True)
    build(events, force=True)

    assert db.resolve() != first_build  # the warehouse really was replaced
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # the store was not
    saved = AppState(path).get_cohort("UK churners")
    assert saved is not None
    assert saved.query == "churn_tier=High&country=UK" and saved.created_by == "ana"
    assert len(AppState(path).actions()) == 2


def test_save_cohort_upserts_in_canonical_form(store):
    first = store.save_cohort("Buyers", "min_orders=1&country=UK", User("ana", "analyst"))
    second = store.save_cohort(" Buyers ", "?min_orders=2", "ana")
    assert second.name == "Buyers" and second.query == "min_orders=2"
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    assert second.created_by == "ana"
    with pytest.raises(AppStateError, match="belongs to ana"):
        store.save_cohort("Buyers", "min_orders=3", User("bo", "analyst"))
    with pytest.raises(AppStateError, match="belongs to ana"):
        store.save_cohort("Buyers", "min_orders=3", "bo")
    assert store.get_cohort("Buyers").query == "min_orders=2"  # bo's saves changed nothing
    third = store.save_cohort("Buyers", "min_orders=4", User("root", "admin"))
    assert third.query == "min_orders=4" and third.created_by == "ana"
    assert [c.name for c in store.list_cohorts()] == ["Buyers"]
    assert store.delete_cohort("Buyers") and not store.delete_cohort("Buyers")
    assert store.get_cohort("Buyers") is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "tab\there"])
def test_cohort_names_are_validated(store, name):
    with pytest.raises(AppStateError):
        store.save_cohort(name, "country=UK")


def test_a_cohort_that_does_not_parse_is_not_saved(store):
    with pytest.raises(CohortError, match="colour"):
        store.save_cohort("odd", "colour=red")
    assert store.list_cohorts() == []
    store.save_cohort("x" * 80, "")  # 80 characters and an empty (everyone) cohort are fine


# ---- logs -------------------------------------------------------------------------------------
def test_action_log_in_bulk(store):
    assert (
        store.log_action("ana", "added_to_campaign", ["u1", "u2", "u3"], "Spring", "hi", "b1") == 3
    )
    store.log_action(User("bo", "admin"), "contacted", ["u2"])
    newest = store.actions(limit=2)
    assert [(a.user, a.action, a.customer_id) for a in newest] == [
        ("bo", "contacted", "u2"),
        ("ana", "added_to_campaign", "u3"),
    ]
    assert [a.action for a in store.actions(customer_id="u2")] == ["contacted", "added_to_campaign"]
    assert newest[1].campaign == "Spring" and newest[1].build_id == "b1"
    with pytest.raises(AppStateError, match="action"):
        store.log_action("ana", "DROP TABLE", ["u1"])
    with pytest.raises(AppStateError, match="blank"):
        store.log_action("ana", "contacted", ["u1", " "])
    assert len(store.actions()) == 4  # the refused batch left nothing behind


def test_export_log(store):
    started = store.log_export(
        user="ana",
        query="country=UK",
        entity="customers",
        fmt="csv",
        rows=10,
        build_id="b1",
        holdout_share=0.1,
        holdout_seed=7,
        sql_sha256="ab" * 32,
        status="started",
        provenance={"rows": 10},
    )
    store.finish_export(started, rows=10)
    store.log_export(user=None, query="", entity="sessions", fmt="parquet", rows=5, build_id="b1")
    newest, oldest = store.exports()
    assert (newest.entity, newest.format, newest.status) == ("sessions", "parquet", "complete")
    assert (oldest.user, oldest.rows, oldest.status, oldest.holdout_seed) == (
        "ana",
        10,
        "complete",
        7,
    )
    assert oldest.provenance == {"rows": 10}
    assert len(store.exports(limit=1)) == 1


# ---- the store itself -------------------------------------------------------------------------
def test_schema_is_versioned_and_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "state.sqlite3"
    store = AppState(path)
    assert store.schema_version() == SCHEMA_VERSION
    store.save_cohort("kept", "country=UK")
    assert AppState(path).get_cohort("kept") is not None  # reopening migrates nothing
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    finally:
        con.close()
    with pytest.raises(AppStateError, match="newer than this ShopSight"):
        AppState(path)


def test_store_file_is_private_and_in_wal_mode(store):
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stored_columns(store.path, "PRAGMA journal_mode") == [("wal",)]


def test_concurrent_writers_do_not_fail(tmp_path):
    path = tmp_path / "state.sqlite3"
    shared = AppState(path)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        # Half the threads share one object, half open their own (like a second process).
        store = shared if worker % 2 else AppState(path)
        try:
            for i in range(8):
                store.save_cohort(f"c{worker}-{i}", f"min_orders={i}", f"w{worker}")
                store.log_action(f"w{worker}", "contacted", [f"u{worker}-{i}", "shared"])
                store.save_cohort("everyone writes this", f"min_orders={worker}")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(shared.list_cohorts()) == 8 * 8 + 1
    assert len(shared.actions(limit=10_000)) == 8 * 8 * 2
    assert len(shared.actions(customer_id="shared", limit=10_000)) == 8 * 8
