"""Serving the app on a local port for Debian's headless Chromium, and page helpers that the
browser test modules share."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class LiveApp:
    url: str
    db: Path
    state: Path
    server: Any = None
    console: list[str] = field(default_factory=list)


def serve(db: Path, state: Path, **settings: Any) -> Iterator[LiveApp]:
    """The app over ``db`` on a free local port, for as long as the iterator is open."""
    app = create_app(Settings(db_path=db, state_path=state, **settings))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", db, state, server)
    finally:
        server.shutdown()
        thread.join(timeout=10)


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def settle(page: Any) -> None:
    """Wait until Dash has no callback in flight."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=20_000
    )
