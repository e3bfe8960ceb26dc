"""Data page: ledger, capabilities, rejected rows; uploads scored or refused; admin rights."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile

import polars as pl
import pytest

from appstate.store import AppState
from dashboard import ids
from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS


@pytest.fixture
def client(scored_db, tmp_path):
    return DashClient(
        create_app(Settings(db_path=scored_db, state_path=tmp_path / "state.sqlite3"))
    )


def upload(client: DashClient, filename: str, content: bytes) -> str:
    encoded = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    status, body = client.call(
        ids.UPLOAD_STATUS + ".children",
        {ids.UPLOAD + ".contents": encoded},
        state={ids.UPLOAD + ".filename": filename},
    )
    assert status == 200
    return json.dumps(body)


def test_data_page_shows_ledger_capabilities_and_what_they_switch_on(client):
    content = client.render("/data")
    assert "rows read = loaded + rejected" in content
    assert "has_carts" in content and "cart abandonment and the cart step" in content
    assert "No row was rejected" in content


def test_a_customer_id_list_is_looked_up_and_downloads(client, scored_db):
    body = upload(client, "ids.csv", b"customer_id\n512000001\n512000002\nnobody\n")
    assert "Scored 3 rows (customers)" in body
    assert "1 id(s) not found" in body
    link = re.search(r"/upload-result/([0-9a-f]+)", body).group(0)
    response = client.http.get(link)
    assert response.status_code == 200
    scored = pl.read_csv(io.BytesIO(response.data), infer_schema_length=0)
    assert scored["customer_id"].to_list() == ["512000001", "512000002", "nobody"]
    assert "churn_prob" in scored.columns
    response.close()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wrong.csv", b"foo,bar\n1,2\n", "unknown header: found columns foo, bar"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV file"),
        ("tool.exe", b"MZ\x90\x00", "unsupported file type"),
        ("empty.csv", b"", "the file is empty"),
        (
            # The file is checked first; this warehouse has scores but no trained models.
            "cut.csv",
            (EVENT_LOG_HEADER + "\n" + EVENTS[0] + "\n2024-03-01 10:0").encode(),
            "cut.csv is valid (1 rows), but there are no trained models",
        ),
    ],
)
def test_bad_uploads_get_a_clear_message_and_the_app_keeps_serving(client, name, content, message):
    body = upload(client, name, content)
    assert message in body
    assert client.http.get("/healthz").json["ok"]


def test_an_oversized_upload_is_refused(scored_db, tmp_path):
    small = DashClient(
        create_app(
            Settings(db_path=scored_db, state_path=tmp_path / "s.sqlite3", upload_limit_bytes=100)
        )
    )
    body = upload(small, "big.csv", b"customer_id\n" + b"1\n" * 100)
    assert "big.csv: 0.0 MB is over the 0.0001 MB upload limit" in body


def test_a_zip_renamed_to_csv_is_refused(client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("events.csv", "a,b\n1,2\n")
    body = upload(client, "events.csv", buffer.getvalue())
    assert "not a text CSV file" in body


def test_viewers_cannot_upload_or_rebuild_even_by_posting_directly(scored_db, tmp_path):
    state = tmp_path / "state.sqlite3"
    AppState(state).add_user("vera", "viewer-pass-1", "viewer")
    client = DashClient(create_app(Settings(db_path=scored_db, state_path=state, demo_mode=False)))
    page = client.http.get("/login").data.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.http.post(
        "/login", data={"username": "vera", "password": "viewer-pass-1", "csrf": token}
    )
    assert "Only admins may upload" in client.render("/data")
    body = upload(client, "ids.csv", b"customer_id\n1\n")
    assert "Only admins may upload files." in body
    status, body = client.call(ids.REBUILD_STATUS + ".children", {ids.REBUILD + ".n_clicks": 1})
    assert status == 200 and "Only admins may rebuild" in json.dumps(body)
    assert client.app.server.extensions["shopsight"].rebuild_job.snapshot().status == "idle"
    assert "Admins only" in client.render("/admin")


def test_admin_adds_a_user_and_changes_a_role(client):
    status, body = client.call(
        ids.USER_STATUS + ".children",
        {ids.USER_ADD + ".n_clicks": 1},
        state={
            ids.USER_NAME + ".value": "nina",
            ids.USER_PASSWORD + ".value": "long-enough-1",
            ids.USER_ROLE + ".value": "analyst",
        },
    )
    assert "Added nina as analyst" in json.dumps(body)
    state = client.app.server.extensions["shopsight"].state
    assert state.verify("nina", "long-enough-1").role == "analyst"
    status, body = client.call(
        ids.USER_STATUS + ".children",
        {ids.USER_ADD + ".n_clicks": 2},
        state={
            ids.USER_NAME + ".value": "nina",
            ids.USER_PASSWORD + ".value": "",
            ids.USER_ROLE + ".value": "viewer",
        },
    )
    assert "nina is now viewer" in json.dumps(body)
    assert state.get_user("nina").role == "viewer"


# Slow: a real rebuild and retrain behind the page.
@pytest.mark.slow
def test_rebuild_and_retrain_from_the_page_swaps_in_a_new_build(tmp_path):
    import time

    from tests.support.warehouses import generated_warehouse
    from warehouse.reader import WarehouseReader

    db = generated_warehouse(tmp_path / "w", customers=150, days=45)
    before = WarehouseReader(db).build_id()
    client = DashClient(create_app(Settings(db_path=db, state_path=tmp_path / "state.sqlite3")))
    status, body = client.call(ids.REBUILD_STATUS + ".children", {ids.REBUILD + ".n_clicks": 1})
    assert status == 200 and "Started." in json.dumps(body)
    job = client.app.server.extensions["shopsight"].rebuild_job
    served, percents = 0, []
    deadline = time.monotonic() + 600
    while job.snapshot().status == "running" and time.monotonic() < deadline:
        status, body = client.call(ids.REBUILD_PROGRESS + ".value", {"rebuild-poll.n_intervals": 1})
        assert status == 200
        percents.append(body["response"][ids.REBUILD_PROGRESS]["value"])
        # The dashboard keeps answering while the rebuild runs.
        assert client.http.get("/healthz").json["ok"]
        served += 1
        time.sleep(0.5)
    state = job.snapshot()
    assert state.status == "done", state.error
    assert percents == sorted(percents) and percents[-1] >= 40
    reader = WarehouseReader(db)
    assert reader.build_id() != before
    tables = {r[0] for r in reader.rows("SELECT table_name FROM information_schema.tables")}
    assert {"model_runs", "customer_scores", "session_scores"} <= tables
    assert served > 0


# ---- upload ceilings and clean-up (issue 10, items 1, 6, 7) ---------------------------------
@pytest.fixture
def upload_temp(tmp_path, monkeypatch):
    """The temp folder uploads use, private to the test, so leftovers can be counted."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def limited_client(scored_db, tmp_path, **limits) -> DashClient:
    settings = Settings(db_path=scored_db, state_path=tmp_path / "limits.sqlite3", **limits)
    return DashClient(create_app(settings))


def test_the_page_states_every_upload_ceiling(scored_db, tmp_path):
    client = limited_client(
        scored_db, tmp_path, upload_max_inflated_bytes=50_000_000, upload_max_rows=2_000
    )
    content = client.render("/data")
    assert "up to 25 MB as sent, 50 MB uncompressed, 2,000 rows, 120 s of work" in content


def test_formula_like_ids_are_scored_and_neutralised_in_the_download(client, upload_temp):
    body = upload(client, "ids.csv", b'customer_id\n=1+2\n"=HYPERLINK(""x"")"\n512000001\n')
    assert "Scored 3 rows (customers)" in body
    link = re.search(r"/upload-result/([0-9a-f]+)", body).group(0)
    response = client.http.get(link)
    scored = pl.read_csv(io.BytesIO(response.data), infer_schema_length=0)
    response.close()
    assert sorted(scored["customer_id"].to_list()) == ["'=1+2", '\'=HYPERLINK("x")', "512000001"]
    assert not list(upload_temp.glob("shopsight-upload-*"))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("wrong.csv", b"foo,bar\n1,2\n"),
        ("cut.csv", (EVENT_LOG_HEADER + "\n" + EVENTS[0] + "\n").encode()),
        ("ids.csv", b"customer_id\n"),
        ("broken.parquet", b"PAR1 not really"),
    ],
)
def test_a_failed_upload_leaves_no_temp_folder(client, upload_temp, name, content):
    body = upload(client, name, content)
    assert "Not scored" in body
    assert not list(upload_temp.glob("shopsight-upload-*"))


def test_an_xlsx_bomb_upload_is_refused_and_the_server_stays_up(scored_db, tmp_path, upload_temp):
    from tests.support.bombs import write_xlsx_bomb

    client = limited_client(scored_db, tmp_path, upload_max_inflated_bytes=4_000_000)
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 32 * 2**20)
    body = upload(client, "bomb.xlsx", bomb.read_bytes())
    assert "bomb.xlsx: the workbook declares" in body
    assert "over the limit of 3.8 MiB uncompressed" in body
    assert client.http.get("/healthz").json["ok"]
    assert not list(upload_temp.glob("shopsight-upload-*"))


def test_a_compressed_upload_over_the_row_ceiling_is_refused_early(scored_db, tmp_path):
    import gzip
    import time

    from tests.support.bombs import ROW

    client = limited_client(scored_db, tmp_path, upload_max_rows=1_000)
    content = gzip.compress((EVENT_LOG_HEADER + "\n" + ROW * 200_000).encode())
    started = time.perf_counter()
    body = upload(client, "rows.csv.gz", content)
    assert "rows.csv.gz: holds more than 1,000 data rows, the limit here" in body
    assert time.perf_counter() - started < 30  # counted and refused, not staged


def test_an_upload_past_the_time_ceiling_is_stopped(scored_db, tmp_path, upload_temp):
    client = limited_client(scored_db, tmp_path, upload_max_seconds=0)
    body = upload(client, "events.csv", "\n".join([EVENT_LOG_HEADER, *EVENTS]).encode())
    assert "events.csv: stopped after the 0 s upload time limit" in body
    assert not list(upload_temp.glob("shopsight-upload-*"))


# ---- capabilities in words, progress only while rebuilding (issue 11, item 10) -------------
def test_capabilities_read_in_words_with_what_each_turns_on(client):
    content = client.render("/data")
    # The generated shop logs carts and events one by one: both turn their views on.
    assert "Carts are logged" in content
    assert "Events are logged one by one" in content
    assert "off: event-level funnels" not in content
    assert "event-level funnels and early scoring of sessions" in content
    page = json.loads(content)

    def holder(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "rebuild-progress-holder":
                return node["props"]
            return next((h for h in map(holder, node.values()) if h), None)
        if isinstance(node, list):
            return next((h for h in map(holder, node) if h), None)
        return None

    # No rebuild runs: the progress bar is in the page, hidden.
    assert holder(page)["style"] == {"display": "none"}
