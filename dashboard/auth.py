"""Who is asking, and may they: roles are checked on the server inside every callback and
route, because each callback is a public POST endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flask

from analytics.appstate import DEMO_USER, ROLES, User

if TYPE_CHECKING:
    from dashboard.app import AppContext

# What each role may do beyond reading.
RIGHTS = {
    "viewer": frozenset(),
    "analyst": frozenset({"export", "save_cohort"}),
    "admin": frozenset({"export", "save_cohort", "act", "upload", "rebuild", "users"}),
}


def may(user: User | None, right: str) -> bool:
    """Whether ``user`` holds ``right`` (nobody does when signed out)."""
    return user is not None and right in RIGHTS.get(user.role, frozenset())


def current_user(ctx: AppContext) -> User | None:
    """The signed-in user, the demo admin in demo mode, or ``None``.

    The role comes from the app-state store on every request, not from the cookie: a role
    change or a removed user takes effect at once.
    """
    if ctx.settings.demo_mode:
        return DEMO_USER
    if not flask.has_request_context():
        return None
    name = flask.session.get("user")
    if not name:
        return None
    user = ctx.state.get_user(str(name))
    if user is None or user.role not in ROLES:
        return None
    return user
