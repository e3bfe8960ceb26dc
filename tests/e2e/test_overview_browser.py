"""The Overview in a real headless Chromium at desktop and phone width: the date range in the
URL, each KPI against the previous period (numbers checked against plain SQL), cards whose
numbers sit on one line in an even grid, and sparklines with a tooltip."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support.browser import screenshot, settle
from tests.support.warehouses import query

pytestmark = pytest.mark.slow

VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any]]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.console_errors = errors
    yield request.param, page
    context.close()


def sessions_between(db: Any, first: date, last: date) -> int:
    sql = "SELECT count(*) FROM sessions WHERE session_date BETWEEN $first AND $last"
    return int(query(db, sql, {"first": first, "last": last})[0][0])


def shown(page: Any, selector: str) -> str:
    return page.inner_text(selector).strip()


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


def cards_sit_in_an_even_grid(page: Any) -> None:
    """Every number on one line inside its card, cards of a row aligned, nothing wider
    than the window."""
    report = page.evaluate(
        """() => {
        const values = [...document.querySelectorAll('#kpi-grid .kpi-value')].map(v => {
            const style = getComputedStyle(v);
            return {text: v.innerText, fits: v.scrollWidth <= v.clientWidth + 1,
                    lines: v.getBoundingClientRect().height / parseFloat(style.lineHeight)};
        });
        const cells = [...document.querySelectorAll('#kpi-grid .kpi-cell')].map(c => {
            const r = c.getBoundingClientRect();
            return {top: Math.round(r.top), height: Math.round(r.height), right: r.right};
        });
        return {values, cells, page: document.documentElement.scrollWidth,
                window: window.innerWidth};
    }"""
    )
    assert report["values"], "no KPI cards"
    for value in report["values"]:
        assert value["fits"], f"{value['text']} overflows its card"
        assert value["lines"] < 1.5, f"{value['text']} wraps"
    rows: dict[int, set[int]] = {}
    for cell in report["cells"]:
        rows.setdefault(cell["top"], set()).add(cell["height"])
        assert cell["right"] <= report["window"] + 1
    assert all(len(heights) == 1 for heights in rows.values()), rows
    assert report["page"] <= report["window"] + 1, "the page scrolls sideways"


def test_overview_compares_periods_and_sits_in_a_grid(sized_page, live_app):
    name, page = sized_page
    page.goto(live_app.url + "/")
    settle(page)
    page.wait_for_selector("#kpi-sessions-value")
    last = query(live_app.db, "SELECT max(session_date) FROM sessions")[0][0]
    # The default: the last 30 days of data, against the 30 days before.
    now = sessions_between(live_app.db, last - timedelta(days=29), last)
    before = sessions_between(live_app.db, last - timedelta(days=59), last - timedelta(days=30))
    assert as_int(shown(page, "#kpi-sessions-value")) == now
    arrow = "▲" if now > before else "▼"
    assert shown(page, "#kpi-sessions-change").startswith(
        f"{arrow} {abs(now - before) / before:,.1%}"
    )
    assert "Last 30 days" in page.inner_text(".page-title + p")
    cards_sit_in_an_even_grid(page)
    page.wait_for_selector("#overview-main-chart .main-svg")
    screenshot(page, f"overview-{name}")
    assert page.console_errors == []


def test_presets_live_in_the_url(sized_page, live_app):
    name, page = sized_page
    page.goto(live_app.url + "/")
    settle(page)
    page.click("#range-7d")
    page.wait_for_url(re.compile(r"range=7d"))
    settle(page)
    last = query(live_app.db, "SELECT max(session_date) FROM sessions")[0][0]
    expected = sessions_between(live_app.db, last - timedelta(days=6), last)
    page.wait_for_function(
        "n => { const v = document.querySelector('#kpi-sessions-value');"
        " return v && v.innerText.replace(/,/g, '') == String(n); }",
        arg=expected,
    )
    # Reloading the address gives the same view.
    page.goto(page.url)
    settle(page)
    assert as_int(shown(page, "#kpi-sessions-value")) == expected
    # All the data has no period before it: said in words, never as ▲∞.
    page.click("#range-all")
    page.wait_for_url(re.compile(r"range=all"))
    settle(page)
    page.wait_for_function(
        "() => { const c = document.querySelector('#kpi-sessions-change');"
        " return c && c.innerText.includes('no previous period'); }"
    )
    total = query(live_app.db, "SELECT count(*) FROM sessions")[0][0]
    assert as_int(shown(page, "#kpi-sessions-value")) == total
    assert "∞" not in page.inner_text("#kpi-grid")
    cards_sit_in_an_even_grid(page)
    screenshot(page, f"overview-all-{name}")
    assert page.console_errors == []


def test_a_sparkline_has_axes_and_a_tooltip(sized_page, live_app):
    name, page = sized_page
    page.goto(live_app.url + "/?range=30d")
    settle(page)
    spark = page.locator("#kpi-sessions-sparkline")
    spark.locator(".xtick text").first.wait_for(state="attached")
    dates = spark.locator(".xtick text").all_text_contents()
    values = spark.locator(".ytick text").all_text_contents()
    # A readable date axis ("Apr 6") and a value axis.
    assert dates and all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", t) for t in dates), dates
    assert values and all(re.fullmatch(r"[\d,]+", t) for t in values), values
    box = spark.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    hover = spark.locator(".hoverlayer .hovertext")
    hover.first.wait_for(state="attached", timeout=5_000)
    text = hover.first.text_content() or ""
    assert re.search(r"\d{4}-\d{2}-\d{2}: [\d,]+", text), text
    assert page.console_errors == []
