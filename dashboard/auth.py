"""Who may do what: roles are checked on the server inside every callback and route,
because each callback is a public POST endpoint."""

from __future__ import annotations

from appstate.store import User

# What each role may do beyond reading.
RIGHTS = {
    "viewer": frozenset(),
    "analyst": frozenset({"export", "save_cohort"}),
    "admin": frozenset({"export", "save_cohort", "act", "upload", "rebuild", "users"}),
}


def may(user: User | None, right: str) -> bool:
    """Whether ``user`` holds ``right`` (nobody does when signed out)."""
    return user is not None and right in RIGHTS.get(user.role, frozenset())
