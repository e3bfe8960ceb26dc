"""What-if in a real headless Chromium: a slider moves the prediction and the curves."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics.whatif import WhatIf
from dashboard import ids
from tests.support.browser import LiveApp, screenshot, serve, settle
from warehouse.reader import WarehouseReader

# A real browser per test: slow by nature, so `run.sh test-fast` leaves them out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def whatif_db(trained_db: Path) -> Path:
    return trained_db


@pytest.fixture(scope="session")
def engine(whatif_db: Path) -> WhatIf:
    return WhatIf.load(WarehouseReader(whatif_db))


@pytest.fixture
def whatif_app(whatif_db: Path, tmp_path: Path) -> Iterator[LiveApp]:
    yield from serve(whatif_db, tmp_path / "state.sqlite3")


def dom_id(kind: str, feature: str) -> str:
    """The DOM id Dash gives a pattern-matching component, as a CSS selector."""
    text = json.dumps({"feature": feature, "type": kind}, separators=(",", ":"))
    return f"[id='{text}']"


def curve_state(page: Any, feature: str) -> dict[str, Any]:
    """What the browser draws for a lever's curve: the line's heights and the marker."""
    return page.eval_on_selector(
        dom_id(ids.WI_CURVE, feature) + " .js-plotly-plot",
        "gd => ({line: Array.from(gd.data[0].y), x: gd.data[1].x[0], y: gd.data[1].y[0]})",
    )


def shown(page: Any, name: str) -> str:
    return page.inner_text(f"#whatif-value-{name}").strip()


def test_a_slider_moves_the_prediction_and_the_curves(page, whatif_app, engine):
    reader = WarehouseReader(whatif_app.db)
    start = engine.default_profile(reader)
    levers = {lever.feature: lever for lever in engine.levers(start)}
    # The lever whose maximum moves churn the most: the test must see a change.
    moved = max(
        (f for f, lv in levers.items() if lv.integer and start.values[f] < lv.high),
        key=lambda f: abs(
            (engine.predict(start.with_values({f: levers[f].high})).value("churn_prob") or 0)
            - (engine.predict(start).value("churn_prob") or 0)
        ),
    )
    other = next(f for f in levers if f != moved)
    before_pred = engine.predict(start)
    after = start.with_values({moved: levers[moved].high})
    after_pred = engine.predict(after)

    page.goto(f"{whatif_app.url}/what-if?customer={start.key}")
    settle(page)
    page.wait_for_selector("#whatif-value-churn_prob")
    assert shown(page, "churn_prob") == f"{before_pred.value('churn_prob'):.1%}"
    before_moved = curve_state(page, moved)
    before_other = curve_state(page, other)
    assert before_moved["x"] == pytest.approx(start.values[moved])

    # The keyboard, as a user would: focus the handle, End jumps to the slider's maximum.
    page.focus(dom_id(ids.WI_SLIDER, moved) + " [role=slider]")
    page.keyboard.press("End")
    expected = f"{after_pred.value('churn_prob'):.1%}"
    page.wait_for_function(
        "text => document.querySelector('#whatif-value-churn_prob').innerText.trim() == text",
        arg=expected,
        timeout=20_000,
    )
    settle(page)
    assert shown(page, "purchase_prob") == f"{after_pred.value('purchase_prob'):.1%}"
    assert shown(page, "predicted_revenue") == f"{after_pred.value('predicted_revenue'):,.2f}"

    # The moved lever's marker slid to its new value and height; the other curves, drawn
    # with this lever held at its new value, changed shape.
    now_moved = curve_state(page, moved)
    assert now_moved["x"] == pytest.approx(levers[moved].high)
    assert now_moved["y"] == pytest.approx(after_pred.value("churn_prob"), rel=1e-9)
    assert now_moved["x"] != before_moved["x"]
    now_other = curve_state(page, other)
    assert now_other["line"] != before_other["line"]
    expected_other = engine.sensitivity(after, other).outputs["churn_prob"]
    assert now_other["line"] == pytest.approx(expected_other, rel=1e-9)
    assert page.locator(f"#{ids.WI_CHANGES}").inner_text().count("→") == 1
    page.mouse.move(0, 0)
    screenshot(page, "page-what-if")

    # Reset: every slider and number back to the starting profile.
    page.click(f"#{ids.WI_RESET}")
    page.wait_for_function(
        "text => document.querySelector('#whatif-value-churn_prob').innerText.trim() == text",
        arg=f"{before_pred.value('churn_prob'):.1%}",
        timeout=20_000,
    )
    settle(page)
    assert curve_state(page, moved)["x"] == pytest.approx(start.values[moved])
    assert page.console_errors == []


def test_the_profile_is_in_the_url_and_a_bad_id_gets_a_message(page, whatif_app, engine):
    reader = WarehouseReader(whatif_app.db)
    default = engine.default_profile(reader)
    page.goto(f"{whatif_app.url}/what-if")
    settle(page)
    # Started from the default: the address bar names it, so a reload shows the same one.
    page.wait_for_url(re.compile(rf"customer={re.escape(default.key)}"))
    assert page.inner_text("#whatif-title") == f"Customer {default.key}"

    page.fill(f"#{ids.WI_CUSTOMER}", "no-such-customer")
    page.click(f"#{ids.WI_CUSTOMER_GO}")
    page.wait_for_selector("text=no customer 'no-such-customer' in this warehouse")
    assert page.inner_text("#whatif-title") == f"Customer {default.key}"

    segment_id, name, _ = engine.segments(reader)[0]
    page.click(f"#{ids.WI_SEGMENT}")
    page.get_by_text(name, exact=False).last.click()
    page.wait_for_url(re.compile(rf"segment={segment_id}"))
    settle(page)
    page.wait_for_selector(f"#whatif-title:has-text('{name}')")
    page.reload()
    settle(page)
    assert name in page.inner_text("#whatif-title")
    assert page.console_errors == []


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_every_slider_has_its_number_box_and_the_curve_labels_do_not_collide(
    page, whatif_app, engine
):
    reader = WarehouseReader(whatif_app.db)
    start = engine.default_profile(reader)
    levers = engine.levers(start)
    page.goto(f"{whatif_app.url}/what-if?customer={start.key}")
    settle(page)
    page.wait_for_selector(dom_id(ids.WI_CURVE, levers[0].feature) + " .js-plotly-plot")
    for lever in levers:
        box = page.locator(dom_id(ids.WI_SLIDER, lever.feature) + " input[type=number]")
        assert box.count() == 1 and box.is_visible(), lever.feature
        # Money and rates fit their box (they overflowed it when only counts had one).
        value = float(box.input_value())
        assert value == pytest.approx(start.values[lever.feature], abs=max(lever.step, 1e-9))
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), lever.feature
        labels = page.eval_on_selector(
            dom_id(ids.WI_CURVE, lever.feature),
            """g => ['xtick', 'ytick'].map(k => Array.from(g.querySelectorAll('.' + k + ' text'))
                .map(t => { const r = t.getBoundingClientRect();
                            return {x: r.x, y: r.y, width: r.width, height: r.height}; }))""",
        )
        xs, ys = labels
        assert xs and ys
        assert not [(x, y) for x in xs for y in ys if _overlaps(x, y)], lever.feature
    # The cards name the model, not a truncated version string.
    model = page.inner_text(f"#whatif-model-{'churn_prob'}")
    assert model.startswith("model: ") and "." not in model
    assert page.console_errors == []
