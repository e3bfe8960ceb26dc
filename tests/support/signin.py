"""Signing in through the login form, as a browser would (CSRF token included), and the
app-state stores holding the users the tests sign in as."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from appstate.store import AppState
from tests.support.dash_client import DashClient


def sign_in(client: DashClient, name: str, password: str) -> Any:
    """POST the login form with the page's CSRF token; returns the Flask test response."""
    page = client.http.get("/login").data.decode()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the login page has no CSRF token"
    return client.http.post(
        "/login",
        data={"username": name, "password": password, "csrf": found.group(1), "next": "/cohorts"},
    )


#: One user per role, as the signed-in tests know them.
USERS = {
    "vera": ("viewer-pass-1", "viewer"),
    "ana": ("analyst-pass-1", "analyst"),
    "adam": ("admin-pass-1", "admin"),
}


def state_with_users(path: Path) -> Path:
    """An app-state store at ``path`` holding :data:`USERS`.

    Each password costs a scrypt hash (about 0.15 s), so a session builds this once and every
    test that writes to its store takes a copy (:func:`copy_state`).
    """
    store = AppState(path)
    for name, (password, role) in USERS.items():
        store.add_user(name, password, role)
    return path


def copy_state(template: Path, path: Path) -> Path:
    """A private copy of the store at ``template``, through SQLite's backup (WAL included)."""
    source = sqlite3.connect(template)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return path
