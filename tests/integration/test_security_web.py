"""The web front door: CSRF, redirects after sign-in, server-side sessions, guessing limits,
exact open paths, response headers, the production server, passwords and cohort ownership."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from appstate.store import AppState
from dashboard import ids
from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from tests.support.signin import USERS, copy_state

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {name: password for name, (password, _) in USERS.items()}


def secured_app(db: Path, state: Path, **settings: object) -> DashClient:
    """The app in sign-in mode over the store at ``state``, which holds the users already."""
    return DashClient(
        create_app(Settings(db_path=db, state_path=state, demo_mode=False, **settings))
    )


@pytest.fixture
def secured(scored_db, users_state, tmp_path) -> tuple[DashClient, AppState]:
    state = copy_state(users_state, tmp_path / "state.sqlite3")
    return secured_app(scored_db, state), AppState(state)


def csrf_token(http) -> str:
    page = http.get("/login").data.decode()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def post_login(http, name: str, password: str, next_url: str = "/", token: str | None = None):
    token = csrf_token(http) if token is None else token
    return http.post(
        "/login", data={"username": name, "password": password, "csrf": token, "next": next_url}
    )


# ---- CSRF and redirects -------------------------------------------------------------------------
def test_sign_in_without_a_csrf_token_and_cookie_is_refused(secured):
    client, _ = secured
    fresh = client.app.server.test_client()  # no cookie at all: the session has no token
    response = fresh.post("/login", data={"username": "adam", "password": PASSWORDS["adam"]})
    assert response.status_code == 400 and "form expired" in response.data.decode()
    response = fresh.post(
        "/login", data={"username": "adam", "password": PASSWORDS["adam"], "csrf": ""}
    )
    assert response.status_code == 400
    assert fresh.get("/").status_code == 302  # still signed out
    # A token that is not the session's, even with non-ASCII characters, is a refusal too.
    csrf_token(fresh)
    response = post_login(fresh, "adam", PASSWORDS["adam"], token="é-not-the-token")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " /cohorts",
    ],
)
def test_sign_in_never_redirects_off_site(secured, target):
    client, _ = secured
    response = post_login(client.http, "adam", PASSWORDS["adam"], next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_a_local_path_with_its_query(secured):
    client, _ = secured
    response = post_login(client.http, "adam", PASSWORDS["adam"], next_url="/cohorts?country=UK")
    assert response.headers["Location"] == "/cohorts?country=UK"


def test_next_in_the_query_string_is_checked_after_decoding(secured):
    client, _ = secured
    token = csrf_token(client.http)
    response = client.http.post(
        "/login?next=/%09/evil.example",
        data={"username": "adam", "password": PASSWORDS["adam"], "csrf": token},
    )
    assert response.headers["Location"] == "/"


# ---- sessions ---------------------------------------------------------------------------------
def copied_cookie(client: DashClient) -> str:
    cookie = client.http.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(client: DashClient, value: str):
    other = client.app.server.test_client()
    other.set_cookie("session", value)
    return other


def test_a_copied_cookie_dies_at_sign_out(secured):
    client, store = secured
    post_login(client.http, "ana", PASSWORDS["ana"])
    stolen = copied_cookie(client)
    assert with_cookie(client, stolen).get("/export/customers.csv").status_code == 200
    client.http.get("/logout")
    assert store.session_count("ana") == 0
    assert with_cookie(client, stolen).get("/export/customers.csv").status_code == 401
    assert with_cookie(client, stolen).get("/cohorts").status_code == 302


def test_a_password_change_ends_every_session(secured):
    client, store = secured
    post_login(client.http, "ana", PASSWORDS["ana"])
    stolen = copied_cookie(client)
    store.set_password("ana", "brand-new-pass-2")
    assert with_cookie(client, stolen).get("/export/customers.csv").status_code == 401
    assert client.http.get("/").status_code == 302


@pytest.mark.slow  # waits out the limit: 1.7 s of sleep
def test_the_absolute_session_limit_holds_for_an_active_user(scored_db, users_state, tmp_path):
    client = secured_app(
        scored_db, copy_state(users_state, tmp_path / "s.sqlite3"), session_hours=1.5 / 3600
    )
    post_login(client.http, "vera", PASSWORDS["vera"])
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:  # busy, never idle
        assert client.http.get("/").status_code == 200
        time.sleep(0.2)
    time.sleep(0.5)
    assert client.http.get("/").status_code == 302


# ---- guessing ---------------------------------------------------------------------------------
@pytest.mark.slow  # dozens of scrypt checks
def test_parallel_guessing_locks_the_account(scored_db, users_state, tmp_path):
    """100 wrong passwords from 10 clients, then the right one: refused, with a wait."""
    client = secured_app(
        scored_db, copy_state(users_state, tmp_path / "s.sqlite3"), login_limit="1000 per minute"
    )
    statuses: list[int] = []

    def guess(worker: int) -> None:
        http = client.app.server.test_client()
        for attempt in range(10):
            statuses.append(post_login(http, "adam", f"wrong-{worker}-{attempt}").status_code)

    threads = [threading.Thread(target=guess, args=(w,)) for w in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(429) > 50  # most guesses were never even checked
    response = post_login(client.http, "adam", PASSWORDS["adam"])
    assert response.status_code == 429
    assert re.search(r"try again in \d+ s", response.data.decode())
    assert int(response.headers["Retry-After"]) >= 1
    # Other accounts are not locked by the attack on adam.
    assert post_login(client.http, "vera", PASSWORDS["vera"]).status_code == 302


def test_one_client_guessing_many_accounts_is_limited(scored_db, users_state, tmp_path):
    client = secured_app(
        scored_db, copy_state(users_state, tmp_path / "s.sqlite3"), login_limit="5 per minute"
    )
    http = client.app.server.test_client()
    answers = [post_login(http, f"user{i}", "wrong-password-0").status_code for i in range(5)]
    assert answers == [200] * 5
    response = post_login(http, "vera", PASSWORDS["vera"])
    assert response.status_code == 429
    assert re.search(r"from this address; try again in \d+ s", response.data.decode())
    assert "Retry-After" in response.headers


def test_successful_sign_ins_do_not_use_up_the_client_limit(scored_db, users_state, tmp_path):
    client = secured_app(
        scored_db, copy_state(users_state, tmp_path / "s.sqlite3"), login_limit="2 per minute"
    )
    for _ in range(4):
        assert post_login(client.http, "vera", PASSWORDS["vera"]).status_code == 302


# ---- the gate ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/healthzfoo",
        "/loginx",
        "/login/../_dash-layout",
        "/login/..%2f_dash-layout",
        "/assets/../_dash-layout",
        "/assets/%2e%2e/_dash-layout",
        "/_dash-component-suites/../_dash-dependencies",
    ],
)
def test_open_paths_match_exactly(secured, path):
    client, _ = secured
    response = client.http.get(path)
    assert response.status_code in (302, 401), path
    assert b"_dash-config" not in response.data  # never the app shell


def test_open_paths_stay_open(secured):
    client, _ = secured
    assert client.http.get("/login").status_code == 200
    assert client.http.get("/healthz").status_code == 200
    with client.http.get("/assets/shopsight.css") as css:
        assert css.status_code == 200


# ---- headers ----------------------------------------------------------------------------------
def test_security_headers_on_pages_callbacks_and_sign_in(secured):
    client, _ = secured
    post_login(client.http, "vera", PASSWORDS["vera"])
    for response in (client.http.get("/login"), client.http.get("/"), client.http.get("/healthz")):
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split(";")[1]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Server" not in headers
    # Dash's inline renderer script is allowed by its hash.
    for digest in client.app.csp_hashes():
        assert digest in policy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow  # starts the server in another process
def test_serve_runs_waitress_without_a_version_banner(scored_db, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--db", str(scored_db)]
        + ["--port", str(port), "--state", str(tmp_path / "s.sqlite3")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        response = None
        for _ in range(120):
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        assert response is not None and response.status == 200
        assert response.headers.get("Server") is None  # Werkzeug's would name itself + Python
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "waitress" in err.lower()  # Waitress says where it serves; Werkzeug's banner is absent
    assert "development server" not in err.lower()
    assert "GET /healthz" not in err  # request lines only at --log-level debug


# ---- passwords and cohorts through the pages ----------------------------------------------------
def test_admin_page_gives_the_password_policy_reason(secured):
    client, store = secured
    post_login(client.http, "adam", PASSWORDS["adam"])

    def add(name: str, password: str) -> str:
        _, body = client.call(
            ids.USER_STATUS + ".children",
            {ids.USER_ADD + ".n_clicks": 1},
            state={
                ids.USER_NAME + ".value": name,
                ids.USER_PASSWORD + ".value": password,
                ids.USER_ROLE + ".value": "viewer",
            },
        )
        return str(body)

    assert "at least 12" in add("newbie", "ninechars")
    assert "common passwords" in add("newbie", "password1234")
    assert "all spaces" in add("newbie", " " * 14)
    assert store.get_user("newbie") is None
    assert "Added newbie" in add("newbie", "violet-harbour-9")
    assert store.verify("newbie", "violet-harbour-9") is not None


def test_an_analyst_cannot_overwrite_anothers_cohort(secured):
    client, store = secured
    store.save_cohort("UK buyers", "country=UK", "adam")

    post_login(client.http, "ana", PASSWORDS["ana"])
    _, body = client.call(
        ids.SAVE_STATUS + ".children",
        {ids.SAVE_BUTTON + ".n_clicks": 1},
        state={ids.SAVE_NAME + ".value": "UK buyers", ids.COHORT_STORE + ".data": "min_orders=9"},
    )
    assert "belongs to adam" in str(body)
    assert store.get_cohort("UK buyers").query == "country=UK"
    _, body = client.call(
        ids.SAVE_STATUS + ".children",
        {ids.SAVE_BUTTON + ".n_clicks": 1},
        state={ids.SAVE_NAME + ".value": "ana's", ids.COHORT_STORE + ".data": "min_orders=9"},
    )
    assert store.get_cohort("ana's").created_by == "ana"
