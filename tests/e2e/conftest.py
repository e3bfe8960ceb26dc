"""Browser tests in Debian's headless Chromium, driven by Playwright.

`playwright install` cannot download browsers here, so the tests use /usr/bin/chromium
(installed by `bash run.sh test` as root) and skip, saying why, where it is missing.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.warehouses import add_fake_scores, generated_warehouse

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


def _serve(db: Path, state: Path, **settings: Any) -> Iterator[LiveApp]:
    app = create_app(Settings(db_path=db, state_path=state, **settings))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", db, state, server)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (bash run.sh test installs it as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = generated_warehouse(tmp_path_factory.mktemp("e2e"), customers=500)
    add_fake_scores(db)
    return db


@pytest.fixture
def live_app(e2e_db: Path, tmp_path: Path) -> Iterator[LiveApp]:
    yield from _serve(e2e_db, tmp_path / "state.sqlite3")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.console_errors = errors
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def trained_e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated warehouse with really trained and scored models."""
    from tests.integration.test_whatif import trained_warehouse

    return trained_warehouse(tmp_path_factory.mktemp("trained-e2e"))
