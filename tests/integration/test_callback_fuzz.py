"""Every callback the app lists in /_dash-dependencies, sent mistyped values: the wrong type,
NaN and Infinity, huge numbers, deep nesting, 1 MB strings. Each answer is a message or no
update: never a 500, never a traceback in the log, never the oversized value echoed back, and
no bad value leaves a trace in the app state.

Requests keep the envelope a browser sends (ids, properties, the changed input) and vary the
values; a malformed envelope is answered 400 before Dash parses it (tested at the end).
Client-side callbacks have no server function: posting to one is such a malformed request.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.app import create_app
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from tests.support.warehouses import add_fake_scores, generated_warehouse

MEGABYTE = "x" * 1_000_000
ECHO = "x" * 1000  # any run this long in an answer is the oversized value coming back


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


CORPUS: dict[str, Any] = {
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity": -math.inf,
    "huge int": 10**30,
    "huge float": 1e308,
    "negative": -1,
    "fraction": 0.5,
    "bool": True,
    "empty text": "",
    "text": "not-a-valid-value",
    "1 MB text": MEGABYTE,
    "scalars list": [1, "a", None, math.nan],
    "1 MB texts list": [MEGABYTE, MEGABYTE],
    "nested": _nested(60),
    "grid-request-like dict": {"startRow": "x", "endRow": [], "sortModel": "desc"},
    "dict of 1 MB": {"customer_id": MEGABYTE, "kind": MEGABYTE, "key": MEGABYTE},
    "rows of junk": [{"customer_id": {"a": 1}}, {"customer_id": MEGABYTE}, "row"],
    "empty list": [],
    "empty dict": {},
}

# Concrete values for the wildcard keys of pattern-matching ids.
WILDCARD_VALUES = {"facet": "churn_tier", "feature": "recency_days", "aio_id": "fuzz"}


# One app, made at collection so the tests can be listed per callback: its callback graph is
# what it serves (callbacks that libraries register globally go to the first app of a
# process that answers a request). Its warehouse is generated into FUZZ_ROOT by the fixture.
FUZZ_ROOT = Path(tempfile.mkdtemp(prefix="shopsight-fuzz-"))
FUZZ_APP = create_app(
    Settings(db_path=FUZZ_ROOT / "w.duckdb", state_path=FUZZ_ROOT / "state.sqlite3")
)
DEPENDENCIES: list[dict[str, Any]] = DashClient(FUZZ_APP).dependencies
SERVER_SIDE = [d for d in DEPENDENCIES if not d.get("clientside_function")]
CLIENT_SIDE = [d for d in DEPENDENCIES if d.get("clientside_function")]


def _concrete(component_id: str) -> tuple[Any, bool]:
    """(the id a request names, whether the dependency takes a list of components)."""
    if not component_id.startswith("{"):
        return component_id, False
    pattern = json.loads(component_id)
    many = any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
    concrete = {
        k: WILDCARD_VALUES.get(k, "fuzz") if isinstance(v, list) else v for k, v in pattern.items()
    }
    return concrete, many


def _prop_id(component_id: Any, prop: str) -> str:
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":")) + "." + prop
    return f"{component_id}.{prop}"


def _item(dep: dict[str, Any], value: Any) -> Any:
    component_id, many = _concrete(dep["id"])
    item = {"id": component_id, "property": dep["property"], "value": value}
    return [item] if many else item


def _outputs(output: str) -> Any:
    parts = (
        [o for o in output.strip(".").split("...") if o] if output.startswith("..") else [output]
    )
    specs = []
    for part in parts:
        component_id, prop = part.rsplit(".", 1)
        concrete, many = _concrete(component_id)
        spec = {"id": concrete, "property": prop.split("@")[0]}
        specs.append([spec] if many else spec)
    return specs if output.startswith("..") else specs[0]


def payload(dep: dict[str, Any], slot: int, value: Any) -> dict[str, Any]:
    """A browser-shaped request for ``dep`` with ``value`` at argument ``slot`` (inputs then
    states), every other argument None, and the changed input the fuzzed one if it is one."""
    args = [*dep["inputs"], *dep["state"]]
    values = [value if i == slot else None for i in range(len(args))]
    trigger = args[slot] if slot < len(dep["inputs"]) else dep["inputs"][0]
    return {
        "output": dep["output"],
        "outputs": _outputs(dep["output"]),
        "inputs": [_item(d, v) for d, v in zip(dep["inputs"], values, strict=False)],
        "state": [
            _item(d, v) for d, v in zip(dep["state"], values[len(dep["inputs"]) :], strict=True)
        ],
        "changedPropIds": [_prop_id(_concrete(trigger["id"])[0], trigger["property"])],
    }


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[DashClient]:
    """The demo-mode app (every right, so every code path is reachable) on its own
    warehouse: a fuzzed value that slipped through could start a rebuild of it."""
    db = generated_warehouse(FUZZ_ROOT, customers=150, days=45)
    add_fake_scores(db)
    yield DashClient(FUZZ_APP)
    shutil.rmtree(FUZZ_ROOT, ignore_errors=True)


def _failures(
    client: DashClient, dep: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> list[str]:
    failures = []
    names = [f"{a['id']}.{a['property']}" for a in [*dep["inputs"], *dep["state"]]]
    for slot, name in enumerate(names):
        for label, value in CORPUS.items():
            caplog.clear()
            response = client.http.post("/_dash-update-component", json=payload(dep, slot, value))
            text = response.get_data(as_text=True)
            traced = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
            if response.status_code >= 500 or traced:
                failures.append(f"{name} = {label}: HTTP {response.status_code}, traceback logged")
            elif response.status_code not in (200, 204):
                failures.append(f"{name} = {label}: HTTP {response.status_code} {text[:200]}")
            elif ECHO in text:
                failures.append(f"{name} = {label}: the oversized value came back")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("dep", SERVER_SIDE, ids=[d["output"][:80] for d in SERVER_SIDE])
def test_mistyped_values_get_a_message_or_no_update(fuzz_app, caplog, dep):
    caplog.set_level(logging.INFO)
    before = _app_state(fuzz_app)
    failures = _failures(fuzz_app, dep, caplog)
    assert failures == [], "\n".join(failures)
    # No bad value was recorded, saved or started.
    assert _app_state(fuzz_app) == before


def _app_state(client: DashClient) -> tuple[Any, ...]:
    ctx = client.app.server.extensions["shopsight"]
    return (
        len(ctx.state.actions()),
        [c.name for c in ctx.state.list_cohorts()],
        [(u.name, u.role) for u in ctx.state.list_users()],
        ctx.rebuild_job.snapshot().status,
    )


@pytest.mark.parametrize("dep", CLIENT_SIDE, ids=[d["output"][:80] for d in CLIENT_SIDE])
def test_posting_to_a_client_side_callback_is_a_bad_request(fuzz_app, caplog, dep):
    response = fuzz_app.http.post("/_dash-update-component", json=payload(dep, 0, "x"))
    assert response.status_code == 400
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        {"output": "no-such-component.children", "inputs": [], "state": []},
        {"output": ["a list"]},
        {"output": "..user-status.children...users-table.children..", "inputs": "x"},
        {
            "output": "..user-status.children...users-table.children..",
            "outputs": [],
            "inputs": [{"id": "user-add", "property": "n_clicks", "value": 1}],
            "state": [1, 2, 3],
        },
        {
            "output": "..user-status.children...users-table.children..",
            "outputs": [],
            "inputs": [{"id": ["user-add"], "property": "n_clicks", "value": 1}],
            "state": [{"id": "x", "property": "value"}] * 3,
        },
    ],
    ids=[
        "not json",
        "unknown output",
        "output not text",
        "inputs not a list",
        "state items",
        "id not text",
    ],
)
def test_a_malformed_request_is_refused_without_a_traceback(fuzz_app, caplog, body):
    if isinstance(body, str):
        response = fuzz_app.http.post(
            "/_dash-update-component", data=body, content_type="application/json"
        )
    else:
        response = fuzz_app.http.post("/_dash-update-component", json=body)
    assert response.status_code == 400
    assert not [r for r in caplog.records if r.exc_info]
