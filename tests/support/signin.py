"""Signing in through the login form, as a browser would (CSRF token included)."""

from __future__ import annotations

import re
from typing import Any

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
