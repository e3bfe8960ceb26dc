"""Login, roles and the gate: checked on the server, not by hiding menu items."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appstate.store import AppState
from dashboard import ids
from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from tests.support.signin import copy_state, sign_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def secured(scored_db, users_state, tmp_path):
    # vera (viewer-pass-1), ana (analyst-pass-1) and adam (admin-pass-1), hashed once a session.
    state = copy_state(users_state, tmp_path / "state.sqlite3")
    store = AppState(state)
    app = create_app(Settings(db_path=scored_db, state_path=state, demo_mode=False))
    return DashClient(app), store


def test_anonymous_visitors_are_sent_to_login(secured):
    client, _ = secured
    response = client.http.get("/cohorts?churn_tier=High")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/cohorts")
    assert client.http.get("/login").status_code == 200
    with client.http.get("/assets/shopsight.css") as css:
        assert css.status_code == 200


def test_anonymous_callbacks_and_exports_are_refused(secured):
    client, _ = secured
    status, _ = client.call(ids.COUNT + ".children", {ids.COHORT_STORE + ".data": ""})
    assert status == 401
    assert client.http.get("/export/customers.csv").status_code == 401
    assert client.http.get("/_dash-layout").status_code == 401


def test_wrong_password_and_missing_csrf_are_refused(secured):
    client, _ = secured
    response = sign_in(client, "vera", "not-her-password")
    assert response.status_code == 200 and "wrong password" in response.data.decode()
    response = client.http.post("/login", data={"username": "vera", "password": "viewer-pass-1"})
    assert "form expired" in response.data.decode()
    assert client.http.get("/").status_code == 302


def test_signed_in_viewer_reads_but_cannot_export_save_or_act(secured):
    client, store = secured
    response = sign_in(client, "vera", "viewer-pass-1")
    assert response.status_code == 302 and response.headers["Location"] == "/cohorts"
    assert client.http.get("/cohorts").status_code == 200
    status, body = client.call(ids.COUNT + ".children", {ids.COHORT_STORE + ".data": ""})
    assert status == 200 and "customers" in str(body)
    assert client.http.get("/export/customers.csv").status_code == 403
    status, body = client.call(
        ids.SAVE_STATUS + ".children",
        {ids.SAVE_BUTTON + ".n_clicks": 1},
        state={ids.SAVE_NAME + ".value": "mine", ids.COHORT_STORE + ".data": ""},
    )
    assert "cannot save" in str(body) and store.get_cohort("mine") is None
    status, body = client.call(
        ids.RISK_STATUS + ".children",
        {ids.RISK_CONTACTED + ".n_clicks": 1},
        state={ids.RISK_GRID + ".selectedRows": [{"customer_id": "x"}]},
    )
    assert "cannot record" in str(body) and store.actions() == []


def test_analyst_exports_and_a_role_change_applies_at_once(secured):
    client, store = secured
    sign_in(client, "ana", "analyst-pass-1")
    assert client.http.get("/export/customers.csv").status_code == 200
    store.set_role("ana", "viewer")
    # A role change ends the user's sessions on the server, so the old cookie is refused...
    assert client.http.get("/export/customers.csv").status_code == 401
    # ...and signed in again she has the new role's rights only.
    sign_in(client, "ana", "analyst-pass-1")
    assert client.http.get("/export/customers.csv").status_code == 403


def test_sessions_expire_when_idle(scored_db, users_state, tmp_path):
    state = copy_state(users_state, tmp_path / "state.sqlite3")
    app = create_app(
        Settings(db_path=scored_db, state_path=state, demo_mode=False, idle_minutes=0.01)
    )
    client = DashClient(app)
    sign_in(client, "adam", "admin-pass-1")
    assert client.http.get("/").status_code == 200
    time.sleep(0.8)
    assert client.http.get("/").status_code == 302


def test_login_never_redirects_off_site(secured):
    client, _ = secured
    page = client.http.get("/login").data.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.http.post(
        "/login",
        data={
            "username": "adam",
            "password": "admin-pass-1",
            "csrf": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["Location"] == "/"


@pytest.mark.slow  # five runs of the command, each a fresh interpreter
def test_users_command_adds_lists_and_changes_roles(tmp_path):
    state = tmp_path / "state.sqlite3"

    def users(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "users", *args, "--state", str(state)],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )

    added = users("add", "alice", "--role", "analyst", "--password-stdin", stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    assert "alice" in users("list").stdout
    assert AppState(state).verify("alice", "correct horse").role == "analyst"
    assert users("role", "alice", "--role", "admin").returncode == 0
    assert AppState(state).get_user("alice").role == "admin"
    short = users("add", "bob", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    dup = users("add", "alice", "--password-stdin", stdin="another pass\n")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    assert "correct horse" not in state.read_bytes().decode("latin-1")
