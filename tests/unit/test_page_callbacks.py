"""Page callbacks called directly, as module-level functions, on a tiny warehouse; the input
checks of dashboard.callback_inputs and the rights check of dashboard.auth.requires.

The HTTP round trip (and the sign-in gate in front of it) is tested in tests/integration."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dash
import flask
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate

from appstate.store import AppState
from common.errors import ShopSightError
from dashboard import ids
from dashboard.app import create_app
from dashboard.auth import requires
from dashboard.callback_inputs import (
    CLICKS,
    Choice,
    InvalidInput,
    Json,
    ListOf,
    Number,
    Records,
    Text,
    checked,
    envelope_problem,
)
from dashboard.pages import admin, churn, data, segments
from dashboard.settings import Settings
from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS
from warehouse.build import build_warehouse


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    source = root / "events.csv"
    source.write_text(EVENT_LOG_HEADER + "\n" + "\n".join(EVENTS) + "\n", encoding="utf-8")
    build_warehouse(root / "w.duckdb", [str(source)])
    return root / "w.duckdb"


def make_app(db: Path, tmp_path: Path, **settings: Any) -> dash.Dash:
    state = tmp_path / "state.sqlite3"
    store = AppState(state)
    store.add_user("vera", "viewer-pass-1", "viewer")
    store.add_user("adam", "admin-pass-1", "admin")
    return create_app(Settings(db_path=db, state_path=state, **settings))


@contextmanager
def request_as(app: dash.Dash, user: str | None = None) -> Iterator[None]:
    """A request to ``app`` by ``user`` (signed in through the session cookie's content)."""
    with app.server.test_request_context("/"):
        if user is not None:
            flask.session["user"] = user
        yield


@contextmanager
def triggered(component_id: str, prop: str = "n_clicks") -> Iterator[None]:
    """What Dash tells a callback about the input that fired it."""
    token = context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"{component_id}.{prop}", "value": 1}])
    )
    try:
        yield
    finally:
        context_value.reset(token)


def text_of(component: Any) -> str:
    return str(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component)


# --- the input checks ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "3", [3], 1e16, -2, 2.5])
def test_clicks_refuse_anything_but_a_small_whole_number(value):
    with pytest.raises(InvalidInput):
        CLICKS.check(value)


def test_specs_pass_and_normalise_what_fits():
    assert CLICKS.check(None) is None
    assert CLICKS.check(3.0) == 3 and isinstance(CLICKS.check(3.0), int)
    assert Number(0, 1).check(0.25) == 0.25
    assert Choice(values=("a", "b")).check("b") == "b"
    rows = Records(fields={"customer_id": Text(10)}).check([{"customer_id": "c1", "x": 1}, {}])
    assert rows == [{"customer_id": "c1"}, {"customer_id": None}]


def test_an_oversized_value_is_refused_without_being_repeated():
    big = "y" * 1_000_000
    with pytest.raises(InvalidInput) as refused:
        Text(80, label="campaign name").check(big)
    assert str(refused.value) == "campaign name is too long (at most 80 characters)"
    with pytest.raises(InvalidInput) as refused:
        ListOf(item=Text(10), max_items=5, label="values").check([big])
    assert "yyyy" not in str(refused.value)
    with pytest.raises(InvalidInput):
        Json(max_chars=1000).check({"points": [{"y": big}]})
    nested: Any = "leaf"
    for _ in range(100):
        nested = [nested]
    with pytest.raises(InvalidInput):
        Json().check(nested)


def test_checked_answers_a_bad_input_with_the_callbacks_message_or_no_update():
    calls: list[Any] = []

    def callback(clicks: int | None, name: str | None) -> str:
        calls.append((clicks, name))
        if name == "boom":
            raise ShopSightError("the warehouse is being rebuilt")
        return "ok"

    with_message = checked([CLICKS, Text(5, label="name")], lambda m: f"refused: {m}")(callback)
    assert with_message(1.0, "abc") == "ok" and calls == [(1, "abc")]
    assert with_message(math.nan, "abc") == "refused: clicks must be a number"
    assert with_message(1, "toolong") == "refused: name is too long (at most 5 characters)"
    assert with_message(1) == "refused: the request does not match this callback"
    assert with_message(1, "boom") == "refused: the warehouse is being rebuilt"
    silent = checked([CLICKS, Text(5)])(callback)
    with pytest.raises(PreventUpdate):
        silent([1], "abc")
    assert len(calls) == 2


def test_envelope_problems_are_named():
    callbacks = {"a.children": {"callback": print, "inputs": [{"id": "b", "property": "v"}]}}
    good = {
        "output": "a.children",
        "outputs": {"id": "a", "property": "children"},
        "inputs": [{"id": "b", "property": "v", "value": 1}],
        "state": [],
        "changedPropIds": ["b.v"],
    }
    assert envelope_problem(callbacks, good) is None
    assert envelope_problem(callbacks, [good]) == "not a callback request"
    assert "no server-side callback" in str(envelope_problem(callbacks, {**good, "output": "x.y"}))
    assert "inputs" in str(envelope_problem(callbacks, {**good, "inputs": [1]}))
    assert "inputs" in str(envelope_problem(callbacks, {**good, "inputs": []}))
    assert "changedPropIds" in str(envelope_problem(callbacks, {**good, "changedPropIds": [{}]}))


# --- rights -------------------------------------------------------------------------------


def test_requires_passes_the_user_or_answers_the_refusal(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path, demo_mode=False)

    @requires("users", refused=lambda: "refused")
    def who(user: Any, suffix: str) -> str:
        return user.name + suffix

    with request_as(app, "adam"):
        assert who("!") == "adam!"
    with request_as(app, "vera"):
        assert who("!") == "refused"
    with request_as(app):
        assert who("!") == "refused"


# --- the pages' callbacks -----------------------------------------------------------------


def test_viewers_are_refused_by_every_admin_callback(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path, demo_mode=False)
    with request_as(app, "vera"):
        assert "cannot record" in text_of(churn.act(1, None, [{"customer_id": "u1"}], None)[0])
        assert "Only admins may upload" in text_of(data.upload("data:,eA==", "a.csv"))
        assert data.start_rebuild(1)[0] is True
        assert data.poll(1)[3] is True
        assert "Only admins manage users" in text_of(
            admin.save_user(1, "x", "long-enough", "admin")[0]
        )
    store = app.server.extensions["shopsight"].state
    assert store.actions() == [] and store.get_user("x") is None
    assert app.server.extensions["shopsight"].rebuild_job.snapshot().status == "idle"


def test_churn_actions_record_existing_customers_only(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path)
    store = app.server.extensions["shopsight"].state
    with request_as(app), triggered(ids.RISK_ADD):
        message, _ = churn.act(None, 1, [{"customer_id": "u1"}, {"customer_id": "ghost"}], "Spring")
        assert "1 selected id(s) are not customers" in text_of(message)
        assert store.actions() == []
        message, _ = churn.act(None, 1, [{"customer_id": "u1"}], "  ")
        assert "Name the campaign" in text_of(message)
        message, log = churn.act(None, 1, [{"customer_id": "u1"}, {"customer_id": "u1"}], "Spring")
    assert "Added 1 customer(s) to “Spring”" in text_of(message)
    assert [(a.user, a.action, a.customer_id, a.campaign) for a in store.actions()] == [
        ("demo", "added_to_campaign", "u1", "Spring")
    ]
    assert "Spring" in text_of(log)


def test_admin_saves_users_and_a_short_password_changes_nothing(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path)
    store = app.server.extensions["shopsight"].state
    with request_as(app):
        assert "Added nina as analyst" in text_of(
            admin.save_user(1, " nina ", "blue-tram-window-7", "analyst")[0]
        )
        assert "at least 12 characters" in text_of(admin.save_user(2, "nina", "short", "admin")[0])
        assert "Choose a role" in text_of(admin.save_user(3, "nina", None, None)[0])
    assert store.get_user("nina").role == "analyst"


def test_upload_without_a_file_changes_nothing_and_a_damaged_one_says_so(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path)
    with request_as(app):
        assert data.upload(None, "a.csv") is dash.no_update
        assert "arrived damaged" in text_of(data.upload("data:text/csv;base64,%%%", "a.csv"))


def test_poll_reports_an_idle_job_and_stops(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path)
    with request_as(app):
        percent, label, _, stop, running = data.poll(5)
    assert (percent, label, stop, running) == (0, "0%", True, False)


def test_segments_without_scores_say_so(tiny_db, tmp_path):
    app = make_app(tiny_db, tmp_path)
    with request_as(app):
        cards, map_figure, heat_figure = segments.show_method("hdbscan")
    assert cards == []
    assert "no segments" in str(map_figure) and "no segments" in str(heat_figure)


@pytest.mark.parametrize(
    ("cards", "md", "xl"),
    [(1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 2, 4), (5, 3, 5), (6, 2, 3), (7, 4, 4), (8, 2, 4)],
)
def test_segment_cards_leave_no_card_alone_on_a_row(cards, md, xl):
    assert segments.per_row(cards, (2, 3, 4)) == md
    assert segments.per_row(cards, (4, 3, 5, 2)) == xl
    for per in (md, xl):
        last = cards % per or per
        assert last >= 2 or cards == 1


def test_profiles_read_against_the_average_customer():
    from analytics.segments import compared_to_average

    assert (
        compared_to_average("average_order_value", 30.0, 50.0, -1.88)
        == "spend per order 40 % lower than average"
    )
    assert compared_to_average("sessions", 6.5, 5.0, 0.7) == "30 % more visits than average"
    assert compared_to_average("orders", 5.0, 2.0, 1.4) == "orders 2.5× the average"
    assert compared_to_average("revenue", 3.0, 0.0, 0.5) == "spend higher than average"


def test_settings_resolve_relative_paths_once_and_keep_the_warehouse_link(tmp_path, monkeypatch):
    (tmp_path / "demo-data").mkdir()
    build = tmp_path / "demo-data" / "warehouse.b1.duckdb"
    build.write_bytes(b"")
    (tmp_path / "demo-data" / "warehouse.duckdb").symlink_to(build.name)
    monkeypatch.chdir(tmp_path)
    settings = Settings(db_path=Path("demo-data/warehouse.duckdb"))
    monkeypatch.chdir("/")
    # Made absolute against the folder it was given in, still the link a rebuild repoints.
    assert settings.db_path == tmp_path / "demo-data" / "warehouse.duckdb"
    assert settings.db_path.is_symlink()
    assert settings.resolved_state_path == tmp_path / "demo-data" / "shopsight-state.sqlite3"
    monkeypatch.chdir(tmp_path)
    given = Settings(db_path=Path("demo-data/warehouse.duckdb"), state_path=Path("s.sqlite3"))
    assert given.resolved_state_path == tmp_path / "s.sqlite3"
