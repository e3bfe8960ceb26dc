"""Settings of one dashboard app instance."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from analytics.upload_scoring import UploadLimits


@dataclass(frozen=True)
class Settings:
    """What ``create_app`` needs.

    Parameters
    ----------
    db_path
        The warehouse link (``shopsight build --db``).
    state_path
        The app-state SQLite store (saved cohorts, action log, users); defaults to
        ``shopsight-state.sqlite3`` next to the warehouse, outside the rebuildable file.

    Both paths are made absolute once, when the settings are made, against the working
    directory of that moment: a relative ``--db`` (the demo's ``demo-data/...``) would
    otherwise be read against whatever a later caller assumes, and Flask's ``send_file``
    takes a relative path as relative to the package folder (issue 11, item 1). Links are
    kept, not followed: ``db_path`` must stay the link a rebuild repoints.
    demo_mode
        No login: every visitor acts as the demo admin, and the page says so.
    secret_key
        Flask session signing key; random per process when not given.
    session_hours, idle_minutes
        A sign-in session ends this long after it started, or after this long unused.
    login_limit
        Failed sign-ins one client address may make (Flask-Limiter notation) before it is
        answered 429; the per-account back-off is separate (``appstate.sessions``).
    proxy_hops
        Reverse proxies in front (``serve --proxy-hops``): their X-Forwarded-* headers are
        trusted and the session cookie is sent over HTTPS only.
    currency
        ISO 4217 code of money amounts (``--currency``), used where the data states none
        (a GA4 export states US dollars); ``None``: plain numbers.
    """

    db_path: Path
    state_path: Path | None = None
    demo_mode: bool = True
    secret_key: str = field(
        default_factory=lambda: os.environ.get("SHOPSIGHT_SECRET", "") or secrets.token_hex(32)
    )
    memory_limit: str = "2GB"
    cache_seconds: int = 300
    upload_limit_bytes: int = 25_000_000
    session_hours: float = 8.0
    idle_minutes: float = 60.0
    login_limit: str = "10 per minute"
    proxy_hops: int = 0
    currency: str | None = None
    title: str = "ShopSight"

    # ---- upload ceilings (besides upload_limit_bytes): issue 10, items 1 and 7 ----
    upload_max_inflated_bytes: int = 100_000_000
    upload_max_rows: int = 1_000_000
    upload_max_seconds: float = 120.0

    def __post_init__(self) -> None:
        # A frozen dataclass: the one place its fields are normalised.
        object.__setattr__(self, "db_path", _absolute(self.db_path))
        if self.state_path is not None:
            object.__setattr__(self, "state_path", _absolute(self.state_path))

    def upload_limits(self) -> UploadLimits:
        """Every ceiling of an upload, as the Data page states and enforces them."""
        return UploadLimits(
            max_bytes=self.upload_limit_bytes,
            max_inflated_bytes=self.upload_max_inflated_bytes,
            max_rows=self.upload_max_rows,
            max_seconds=self.upload_max_seconds,
        )

    @property
    def resolved_state_path(self) -> Path:
        if self.state_path is not None:
            return self.state_path
        return self.db_path.with_name("shopsight-state.sqlite3")


def _absolute(path: Path | str) -> Path:
    """``path`` made absolute without following links (``Path.resolve`` would swap the
    warehouse link for the build file it points to at this moment)."""
    return Path(os.path.abspath(path))
