"""What pages, callbacks and routes reach through ``flask.current_app``: the settings, the
one warehouse reader of this process, the app-state store, the result cache and the rebuild
job, and who is asking.

It sits below ``dashboard.app`` (the composition root) and the pages, so both import it and
neither imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import flask

from analytics.build_cache import attach
from appstate.store import DEMO_USER, ROLES, AppState, User
from dashboard.cache import ResultCache
from dashboard.jobs import RebuildJob
from dashboard.settings import Settings
from warehouse.reader import WarehouseReader

T = TypeVar("T")
EXTENSION = "shopsight"


@dataclass
class AppContext:
    """One app instance's shared objects (see the module docstring)."""

    settings: Settings
    reader: WarehouseReader
    state: AppState
    cache: ResultCache
    rebuild_job: RebuildJob

    def __post_init__(self) -> None:
        # One cache per build served: analytics reaches this one through the reader.
        attach(self.reader, self.cache)

    def cached(self, name: str, args: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``, cached per (build served, name, args)."""
        return self.cache.get(name, args, compute)

    def current_user(self) -> User | None:
        """The signed-in user, the demo admin in demo mode, or ``None``.

        The role comes from the app-state store on every request, not from the cookie: a
        role change or a removed user takes effect at once.
        """
        if self.settings.demo_mode:
            return DEMO_USER
        if not flask.has_request_context():
            return None
        name = flask.session.get("user")
        if not name:
            return None
        user = self.state.get_user(str(name))
        if user is None or user.role not in ROLES:
            return None
        return user


def context() -> AppContext:
    """The context of the app serving the current request."""
    ctx: AppContext = flask.current_app.extensions[EXTENSION]
    return ctx
