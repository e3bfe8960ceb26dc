"""The app-state store: users with hashed passwords, saved cohorts that survive rebuilds,
the action and export logs, schema versioning and concurrent writers."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from analytics.cohort import CohortError
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
    assert stored.startswith("scrypt$")
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
    store.add_user("ana", "password1", "viewer")
    with pytest.raises(AppStateError, match="already exists"):
        store.add_user("ana", "password2")
    with pytest.raises(AppStateError, match="8 to"):
        store.add_user("bo", "short")
    with pytest.raises(AppStateError, match="role 'boss'"):
        store.add_user("bo", "password1", "boss")
    with pytest.raises(AppStateError, match="blank"):
        store.add_user("  ", "password1")
    assert store.set_role("ana", "admin") == User("ana", "admin")
    assert store.list_users() == [User("ana", "admin")]
    assert store.get_user("ana").can_export and not User("v", "viewer").can_export
    store.set_password("ana", "new password")
    assert store.verify("ana", "new password") is not None
    with pytest.raises(AppStateError, match="no user named"):
        store.set_role("zed", "viewer")


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
    second = store.save_cohort(" Buyers ", "?min_orders=2", "bo")
    assert second.name == "Buyers" and second.query == "min_orders=2"
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    assert second.created_by == "ana"
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
        user="ana", query="country=UK", entity="customers", fmt="csv", rows=10,
        build_id="b1", holdout_share=0.1, holdout_seed=7, sql_sha256="ab" * 32,
        status="started", provenance={"rows": 10},
    )  # fmt: skip
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
