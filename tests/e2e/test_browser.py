"""The dashboard in a real headless Chromium: pages, filters, cross-filtering, export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.cohort import Cohort
from analytics.explore import count
from dashboard.app import page_modules
from tests.support.browser import screenshot, serve, settle
from warehouse.build import BuildOptions, build_warehouse
from warehouse.reader import WarehouseReader

# A real browser per test: slow by nature, so `run.sh test-fast` leaves them out.
pytestmark = pytest.mark.slow

PAGES = {module.__name__.rsplit(".", 1)[-1]: module.PATH for module in page_modules()}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_without_console_errors(page, live_app, name):
    page.goto(live_app.url + PAGES[name])
    settle(page)
    page.wait_for_selector(".page-title")
    screenshot(page, f"page-{name}")
    assert "Unexpected error" not in page.content()
    assert page.console_errors == []


def shown_customers(page) -> int:
    page.wait_for_selector("#count-customers")
    return int(page.inner_text("#count-customers").replace(",", ""))


def test_a_filter_changes_the_count_and_the_url(page, live_app):
    page.goto(live_app.url + "/cohorts")
    settle(page)
    everyone = shown_customers(page)
    page.get_by_label("High").check()
    page.wait_for_url(re.compile(r"churn_tier=High"))
    page.wait_for_function(
        "n => document.querySelector('#count-customers') && "
        "document.querySelector('#count-customers').innerText.replace(/,/g, '') != String(n)",
        arg=everyone,
    )
    high = shown_customers(page)
    expected = count(WarehouseReader(live_app.db), Cohort(churn_tier=("High",))).customers
    assert high == expected < everyone
    # The URL is the state: loading it again gives the same view.
    page.goto(page.url)
    settle(page)
    assert shown_customers(page) == expected
    assert page.get_by_label("High").is_checked()
    assert page.console_errors == []


def test_clicking_a_bar_cross_filters(page, live_app):
    page.goto(live_app.url + "/cohorts")
    settle(page)
    chart = page.locator('[id*="facet-graph"][id*="churn_tier"]').first
    chart.locator(".bars .point path").first.wait_for(state="attached")
    # Plotly listens on its drag layer, not on the bar: click where the bar is drawn.
    box = chart.locator(".bars .point path").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"churn_tier="))
    settle(page)
    tier = re.search(r"churn_tier=(\w+)", page.url).group(1)
    expected = count(WarehouseReader(live_app.db), Cohort(churn_tier=(tier,))).customers
    page.wait_for_function(
        "n => document.querySelector('#count-customers') && "
        "document.querySelector('#count-customers').innerText.replace(/,/g, '') == String(n)",
        arg=expected,
    )
    screenshot(page, "cohorts-cross-filtered")
    assert page.console_errors == []


def test_export_downloads_the_shown_rows(page, live_app, tmp_path):
    page.goto(live_app.url + "/cohorts?min_orders=1")
    settle(page)
    shown = shown_customers(page)
    with page.expect_download() as download:
        page.click("#export-csv")
    path = tmp_path / "export.csv"
    download.value.save_as(path)
    lines = path.read_text().strip().splitlines()
    assert len(lines) - 1 == shown > 0
    assert page.console_errors == []


def test_a_saved_cohort_survives_a_rebuild(page, browser, tmp_path):
    from tests.support.warehouses import add_fake_scores, generated_warehouse

    db = generated_warehouse(tmp_path / "w", customers=200, days=60)
    add_fake_scores(db)
    state = tmp_path / "state.sqlite3"
    for app in serve(db, state):
        page.goto(app.url + "/cohorts?min_orders=2")
        settle(page)
        page.fill("#save-name", "Repeat buyers")
        page.click("#save-button")
        page.wait_for_selector("text=Saved “Repeat buyers”.")
    build_warehouse(db, [str(Path(db).parent / "data")], BuildOptions(force=True))
    for app in serve(db, state):
        page.goto(app.url + "/cohorts")
        settle(page)
        page.click("text=Repeat buyers")
        page.wait_for_url(re.compile(r"min_orders=2"))
        settle(page)
        expected = count(WarehouseReader(db), Cohort(min_orders=2)).customers
        assert shown_customers(page) == expected
    assert page.console_errors == []
