"""Who may do what: roles are checked on the server inside every callback and route,
because each callback is a public POST endpoint."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from appstate.store import User
from dashboard.context import context

P = ParamSpec("P")
R = TypeVar("R")

# What each role may do beyond reading.
RIGHTS = {
    "viewer": frozenset(),
    "analyst": frozenset({"export", "save_cohort"}),
    "admin": frozenset({"export", "save_cohort", "act", "upload", "rebuild", "users"}),
}


def may(user: User | None, right: str) -> bool:
    """Whether ``user`` holds ``right`` (nobody does when signed out)."""
    return user is not None and right in RIGHTS.get(user.role, frozenset())


def requires(
    right: str, refused: Callable[[], R]
) -> Callable[[Callable[Concatenate[User, P], R]], Callable[P, R]]:
    """Run the decorated callback only for a user holding ``right``; anyone else gets
    ``refused()``, the callback's own refusal (a message in its status output, or the
    outputs that switch a control off).

    The callback receives the signed-in user as its first argument, before its Dash inputs::

        @requires("act", refused=lambda: (status("Your role cannot record actions."), no_update))
        def act(user: User, contacted: int | None, ...) -> tuple[Any, Any]: ...

    The check runs on every call, so a role change takes effect at once.
    """

    def decorate(func: Callable[Concatenate[User, P], R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user = context().current_user()
            if user is None or not may(user, right):
                return refused()
            return func(user, *args, **kwargs)

        return wrapper

    return decorate
