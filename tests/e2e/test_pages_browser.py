"""Pages a manager reads at a glance, in a real headless Chromium (issue 11, items 1, 5, 6):
the scored upload downloads when the demo's own relative paths are served, the churn list
reads its reasons without scrolling sideways and marks who was acted on, and the cohort
facets keep their order, their bars and the names of segments."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics.cohort import Cohort
from analytics.explore import count
from dashboard.figures import GREY
from tests.support.browser import ROOT, screenshot, settle
from warehouse.reader import WarehouseReader

pytestmark = pytest.mark.slow

VIEWPORT_WIDTH = 1440


# ---- item 1: the demo's own paths ----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def demo_served(trained_db: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``shopsight serve --db demo-data/<file>`` run as the demo runs it: a relative --db,
    the process's working folder the project folder (not the package's), app state by
    default next to the warehouse."""
    project = tmp_path / "project"
    project.mkdir()
    # The trained warehouse folder as the demo leaves demo-data/: link, build file, models.
    shutil.copytree(trained_db.parent, project / "demo-data", symlinks=True)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "dashboard.cli", "serve"]
    command += ["--db", f"demo-data/{trained_db.name}", "--port", str(port)]
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(command, cwd=project, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server, tmp_path / "serve.log")
        yield url, project
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _wait_for(url: str, server: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"serve did not answer within 120 s:\n{log.read_text()}")


def test_the_scored_file_downloads_when_the_demo_paths_are_relative(
    page: Any, demo_served: tuple[str, Path], tmp_path: Path
) -> None:
    url, project = demo_served
    events = pl.read_parquet(next((project / "demo-data" / "data").glob("*.parquet"))).head(800)
    source = tmp_path / "week.csv"
    events.write_csv(source)
    page.goto(url + "/data")
    settle(page)
    page.locator("#upload input[type=file]").set_input_files(str(source))
    page.wait_for_selector("#upload-download-link", timeout=120_000)
    with page.expect_download() as download:
        page.click("#upload-download-link")
    out = tmp_path / "scored.csv"
    download.value.save_as(out)
    assert download.value.failure() is None
    scored = pl.read_csv(out, infer_schema_length=0)
    assert scored.height == events["user_id"].n_unique()
    assert {"customer_id", "churn_prob"} <= set(scored.columns)
    # The file was served from the state folder next to the relative --db, where it was put.
    assert list((project / "demo-data" / "upload-results").glob("*/*.csv"))
    assert page.console_errors == []


# ---- item 5: the churn list ----------------------------------------------------------------
def _cell(page: Any, row: int, column: str) -> Any:
    return page.locator(
        f'#risk-grid .ag-center-cols-container [row-index="{row}"] [col-id="{column}"]'
    )


def test_the_churn_list_shows_reasons_on_screen_and_marks_actions(page: Any, live_app: Any) -> None:
    page.goto(live_app.url + "/churn")
    settle(page)
    why = _cell(page, 0, "why_at_risk")
    why.wait_for()
    box = why.bounding_box()
    # The reasons are on screen at 1440 px without scrolling the grid sideways.
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT_WIDTH
    text = why.inner_text()
    assert "days since last visit" in text and "lowered" not in text and "orders" not in text
    assert "orders" in _cell(page, 0, "lowers_risk").inner_text()

    add = page.locator("#risk-add-campaign")
    assert add.is_enabled()
    colour = add.evaluate("b => getComputedStyle(b).backgroundColor")
    opacity = add.evaluate("b => getComputedStyle(b).opacity")
    assert opacity == "1" and colour not in ("rgb(149, 165, 166)", "rgba(0, 0, 0, 0)")

    first = page.locator('#risk-grid .ag-center-cols-container [row-index="0"]')
    customer = page.locator(
        '#risk-grid .ag-pinned-left-cols-container [row-index="0"] [col-id="customer_id"]'
    ).inner_text()
    page.locator('#risk-grid [row-index="0"] input[type=checkbox]').first.check()
    page.fill("#risk-campaign", "Spring win-back")
    add.click()
    page.wait_for_selector("text=Added 1 customer(s) to “Spring win-back”.")
    marked = page.locator(
        f'#risk-grid .ag-center-cols-container [row-id="{customer}"] [col-id="marked"]'
    )
    marked.wait_for()
    page.wait_for_function(
        "id => { const c = document.querySelector("
        '`#risk-grid .ag-center-cols-container [row-id="${id}"] [col-id="marked"]`);'
        " return c && c.innerText.includes('Spring win-back'); }",
        arg=customer,
    )
    row = page.locator(f'#risk-grid .ag-center-cols-container [row-id="{customer}"]')
    tint = row.evaluate("r => getComputedStyle(r).backgroundColor")
    assert tint == "rgb(234, 247, 243)"
    assert first.count() == 1
    screenshot(page, "churn-marked")
    # A reload keeps the mark: it comes from the action log, not from the page.
    page.reload()
    settle(page)
    again = page.locator(
        f'#risk-grid .ag-center-cols-container [row-id="{customer}"] [col-id="marked"]'
    )
    again.wait_for()
    assert "Spring win-back" in again.inner_text()
    assert page.console_errors == []


# ---- item 6: the cohort facets ---------------------------------------------------------------
def _facet_data(page: Any, key: str) -> dict[str, Any]:
    """The facet chart's bar trace as Plotly holds it in the page."""
    selector = f'[id*="facet-graph"][id*="{key}"] .js-plotly-plot'
    page.wait_for_function(
        "s => { const g = document.querySelector(s); return g && g.data && g.data.length; }",
        arg=selector,
    )
    data: dict[str, Any] = page.evaluate(
        "s => { const t = document.querySelector(s).data[0];"
        " return {customdata: t.customdata, y: t.y, colors: t.marker.color}; }",
        selector,
    )
    return data


def _click_bar(page: Any, key: str, value: str) -> None:
    data = _facet_data(page, key)
    index = list(data["customdata"]).index(value)
    bars = page.locator(f'[id*="facet-graph"][id*="{key}"] .bars .point path')
    box = bars.nth(index).bounding_box()
    # Plotly listens on its drag layer, not on the bar: click where the bar is drawn.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_cohort_facets_keep_their_order_their_bars_and_segment_names(
    page: Any, live_app: Any
) -> None:
    page.goto(live_app.url + "/cohorts")
    settle(page)
    reader = WarehouseReader(live_app.db)
    by_date = "SELECT DISTINCT strftime(acquisition_month, '%Y-%m') FROM customers ORDER BY 1"
    months = [m for (m,) in reader.rows(by_date)]
    # Plotly draws the last bar on top: top to bottom, months go by date.
    assert list(_facet_data(page, "acquisition_month")["customdata"])[::-1] == months

    # Country, device and source are not in the generated shop: hidden, and said why.
    assert page.locator('[id*="cohort-filter"][id*="country"]').first.is_hidden()
    note = page.get_by_text(re.compile(r"Not offered: Country, Device, Traffic source"))
    assert note.is_visible()
    headers = page.locator("#customer-grid .ag-header-cell-text").all_inner_texts()
    assert headers and "country" not in headers

    # A click on a tier keeps the other tiers' bars, greyed.
    _click_bar(page, "churn_tier", "High")
    page.wait_for_url(re.compile(r"churn_tier=High"))
    settle(page)
    expected = count(reader, Cohort(churn_tier=("High",))).customers
    page.wait_for_function(
        "n => document.querySelector('#count-customers') && "
        "document.querySelector('#count-customers').innerText.replace(/,/g, '') == String(n)",
        arg=expected,
    )
    page.wait_for_function(
        'g => { const p = document.querySelector(\'[id*="facet-graph"][id*="churn_tier"] '
        ".js-plotly-plot'); return p && p.data[0].marker.color.includes(g); }",
        arg=GREY,
    )
    tiers = _facet_data(page, "churn_tier")
    assert set(tiers["customdata"]) == {"High", "Medium", "Low"}
    greyed = {v for v, c in zip(tiers["customdata"], tiers["colors"], strict=True) if c == GREY}
    assert greyed == {"Medium", "Low"}

    # A segment chip names the segment, not its id.
    names = dict(
        reader.rows("SELECT DISTINCT segment_id::VARCHAR, segment_name FROM customer_scores")
    )
    segment = list(_facet_data(page, "segment")["customdata"])[0]
    _click_bar(page, "segment", segment)
    page.wait_for_url(re.compile(rf"segment={segment}"))
    settle(page)
    chips = page.locator("#cohort-chips").inner_text()
    assert f"segment: {names[segment]}" in chips
    screenshot(page, "cohorts-facets")
    assert page.console_errors == []
