"""Browser tests in Debian's headless Chromium, driven by Playwright.

`playwright install` cannot download browsers here, so the tests use /usr/bin/chromium
(installed by `bash run.sh test` as root) and skip, saying why, where it is missing. The
server and page helpers live in tests/support/browser.py; the trained warehouse these tests
share with tests/integration is the session fixture ``trained_db`` of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import CHROME_ARGS, CHROMIUM, LiveApp, serve
from tests.support.warehouses import add_fake_scores, generated_warehouse


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
    yield from serve(e2e_db, tmp_path / "state.sqlite3")


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
