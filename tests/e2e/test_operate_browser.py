"""Predict and operate in a real headless Chromium: models page, uploads, access."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from appstate.store import AppState
from tests.support.browser import screenshot, serve, settle

# A real browser per test: slow by nature, so `run.sh test-fast` leaves them out.
pytestmark = pytest.mark.slow


@pytest.fixture
def trained_app(trained_db, tmp_path):
    yield from serve(trained_db, tmp_path / "state.sqlite3", upload_limit_bytes=1_000_000)


def test_models_page_shows_the_metrics_in_model_runs(page, trained_app):
    con = duckdb.connect(str(trained_app.db), read_only=True)
    runs = con.sql(
        "SELECT task, candidate, roc_auc, pr_auc, brier FROM model_runs "
        "WHERE status = 'trained' AND roc_auc IS NOT NULL AND task NOT LIKE 'session_conversion_k%'"
    ).fetchall()
    con.close()
    assert runs
    tasks = sorted({r[0] for r in runs})
    for task in tasks:
        page.goto(f"{trained_app.url}/models?task={task}")
        settle(page)
        for run_task, candidate, *values in runs:
            if run_task != task:
                continue
            for metric, value in zip(("roc_auc", "pr_auc", "brier"), values, strict=True):
                cell = page.locator(f"#metric-{task}-{candidate}-{metric}")
                assert cell.inner_text() == f"{value:,.3f}", (task, candidate, metric)
    screenshot(page, "page-models")
    assert page.console_errors == []


def upload_file(page, path: Path) -> None:
    page.locator("#upload input[type=file]").set_input_files(str(path))


def test_a_good_upload_is_scored_and_downloads(page, trained_app, tmp_path):
    data = Path(trained_app.db).parent / "data"
    events = pl.read_parquet(next(data.glob("*.parquet"))).head(1500)
    source = tmp_path / "week.csv"
    events.write_csv(source)
    page.goto(trained_app.url + "/data")
    settle(page)
    upload_file(page, source)
    # Scoring refits the selected scikit-learn models from their stored rows: allow for it.
    page.wait_for_selector("#upload-download-link", timeout=120_000)
    assert "Scored" in page.inner_text("#upload-status")
    with page.expect_download() as download:
        page.click("#upload-download-link")
    out = tmp_path / "scored.csv"
    download.value.save_as(out)
    scored = pl.read_csv(out, infer_schema_length=0)
    assert scored.height == events["user_id"].n_unique()
    assert {"customer_id", "churn_prob", "churn_tier"} <= set(scored.columns)
    screenshot(page, "page-data-upload")
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("columns.csv", b"foo,bar\n1,2\n", "unknown header"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text CSV file"),
        ("big.csv", b"customer_id\n" + b"1234567\n" * 140_000, "upload limit"),
    ],
)
def test_a_bad_upload_gets_a_clear_message_and_the_app_keeps_serving(
    page, trained_app, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    page.goto(trained_app.url + "/data")
    settle(page)
    upload_file(page, path)
    page.wait_for_selector("#upload-error", timeout=60_000)
    assert message in page.inner_text("#upload-error")
    page.goto(trained_app.url + "/cohorts")
    settle(page)
    assert page.inner_text("#count-customers")
    assert page.console_errors == []


@pytest.fixture
def secured_app(trained_db, tmp_path):
    state = tmp_path / "state.sqlite3"
    store = AppState(state)
    store.add_user("vera", "viewer-pass-1", "viewer")
    yield from serve(trained_db, state, demo_mode=False)


def sign_in(page, url: str, name: str, password: str) -> None:
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#sign-in")


def test_anonymous_users_are_sent_to_login_and_back(page, secured_app):
    page.goto(secured_app.url + "/cohorts?min_orders=1")
    page.wait_for_url(re.compile(r"/login\?next="))
    screenshot(page, "page-login")
    sign_in(page, secured_app.url, "vera", "viewer-pass-1")
    page.wait_for_url(re.compile(r"/cohorts\?min_orders=1"))
    settle(page)
    assert page.inner_text("#count-customers")
    assert "vera · viewer" in page.inner_text("nav")
    assert page.console_errors == []


def test_a_viewer_cannot_export_or_rebuild_by_page_or_by_post(page, secured_app):
    page.goto(secured_app.url + "/login")
    sign_in(page, secured_app.url, "vera", "viewer-pass-1")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(secured_app.url + "/cohorts")
    settle(page)
    assert "cannot export" in page.inner_text("#export-links")
    assert page.request.get(secured_app.url + "/export/customers.csv").status == 403
    page.goto(secured_app.url + "/data")
    settle(page)
    assert "Only admins may rebuild" in page.content()
    assert page.locator("#rebuild-button").count() == 0
    # The callback itself refuses, whatever the page shows: post to it as the browser would.
    dependencies = page.request.get(secured_app.url + "/_dash-dependencies").json()
    dep = next(
        d
        for d in dependencies
        if "rebuild-status.children" in d["output"]
        and [i["id"] for i in d["inputs"]] == ["rebuild-button"]
    )
    outputs = [o.rsplit(".", 1) for o in dep["output"].strip(".").split("...")]
    response = page.request.post(
        secured_app.url + "/_dash-update-component",
        data={
            "output": dep["output"],
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "rebuild-button", "property": "n_clicks", "value": 1}],
            "state": [],
            "changedPropIds": ["rebuild-button.n_clicks"],
        },
    )
    assert response.status == 200
    assert "Only admins may rebuild" in response.text()
    assert page.console_errors == []
