"""Every page at desktop and phone width in a real headless Chromium: no console errors, a
screenshot of each (``screenshots/<page>-<width>.png``), and on a phone (390×844) the navbar
folded into a menu, KPI definitions reachable by a tap, grids cut to the identifying column
and the two most useful ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.app import page_modules
from tests.support.browser import LiveApp, screenshot, serve, settle

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PAGES = {module.__name__.rsplit(".", 1)[-1]: module.PATH for module in page_modules()}


@pytest.fixture
def trained_app(trained_db: Path, tmp_path: Path) -> Iterator[LiveApp]:
    yield from serve(trained_db, tmp_path / "state.sqlite3")


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A touch phone's page, collecting console errors like the ``page`` fixture."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.console_errors = errors
    yield page
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_at_both_widths(page, trained_app, name, viewport):
    page.set_viewport_size(viewport)
    page.goto(trained_app.url + PAGES[name])
    settle(page)
    page.wait_for_selector(".page-title")
    screenshot(page, f"{name}-{viewport['width']}")
    assert "Unexpected error" not in page.content()
    assert page.console_errors == []
    # Nothing runs off the side of a phone: the page is no wider than the screen (grids
    # and tables scroll inside their own boxes).
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{name} is {width}px wide"


def test_the_navbar_folds_into_a_menu_on_a_phone(phone, trained_app):
    phone.goto(trained_app.url + "/")
    settle(phone)
    link = phone.locator("a.nav-link[href='/models']")
    assert phone.locator("#nav-toggler").is_visible()
    assert not link.is_visible()
    phone.tap("#nav-toggler")
    link.wait_for(state="visible")
    link.tap()
    phone.wait_for_url("**/models")
    settle(phone)
    assert phone.inner_text(".page-title") == "Models"
    # Following a link closes the menu again.
    phone.wait_for_function(
        "() => !document.querySelector(\"a.nav-link[href='/models']\").checkVisibility()"
    )
    assert phone.console_errors == []


def test_the_navbar_shows_every_link_on_a_desktop(page, trained_app):
    page.set_viewport_size(DESKTOP)
    page.goto(trained_app.url + "/")
    settle(page)
    assert not page.locator("#nav-toggler").is_visible()
    for path in PAGES.values():
        assert page.locator(f"a.nav-link[href='{path}']").is_visible(), path


def test_a_kpi_definition_opens_with_a_tap(phone, trained_app):
    phone.goto(trained_app.url + "/")
    settle(phone)
    button = phone.locator("[id$='-info']").first
    card_id = button.get_attribute("id").removesuffix("-info")
    popover = phone.locator(f"#{card_id}-definition")
    assert popover.count() == 0 or not popover.is_visible()
    button.tap()
    popover.wait_for(state="visible")
    text = popover.inner_text().strip()
    assert len(text) > 10
    # The same words the card's hover tooltip carries on a desktop.
    assert text in phone.content()
    assert phone.console_errors == []


@pytest.mark.parametrize(
    ("path", "grid", "kept"),
    [
        ("/cohorts", "#customer-grid", ["customer_id", "orders", "revenue"]),
        ("/churn", "#risk-grid", ["customer_id", "churn_prob", "value_at_risk"]),
    ],
)
def test_grids_keep_three_columns_on_a_phone_and_all_on_a_desktop(
    phone, trained_app, path, grid, kept
):
    phone.goto(trained_app.url + path)
    settle(phone)
    phone.wait_for_selector(f"{grid} .ag-header-cell-text")
    headers = f"{grid} .ag-header-cell:not([aria-hidden='true']) .ag-header-cell-text"

    def shown() -> list[str]:
        # The columns by field (col-id): their header words may carry a caveat ("⚠ weak model").
        cells = phone.locator(f"{grid} .ag-header-cell:not([aria-hidden='true'])[col-id]")
        return sorted(
            str(cell.get_attribute("col-id")) for cell in cells.all() if cell.inner_text().strip()
        )

    phone.wait_for_function(
        "([sel, n]) => [...document.querySelectorAll(sel)].filter(e => e.innerText.trim())"
        ".length === n",
        arg=[headers, len(kept)],
    )
    assert shown() == sorted(kept)
    phone.set_viewport_size(DESKTOP)
    phone.wait_for_function(
        "([sel, n]) => [...document.querySelectorAll(sel)].filter(e => e.innerText.trim())"
        ".length > n",
        arg=[headers, len(kept)],
    )
    assert set(kept) < set(shown())
    assert phone.console_errors == []
