"""The dashboard app through Flask's test client: pages, callbacks, rights, app state."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from analytics.cohort import Cohort
from analytics.cohort_filters import FILTERS
from analytics.explore import count
from dashboard import ids
from dashboard.app import create_app, page_modules
from dashboard.pages.cohorts.controls import control_keys
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from warehouse.reader import WarehouseReader

PAGES = [module.PATH for module in page_modules()]


def make_client(db: Path, tmp_path: Path, **settings: object) -> DashClient:
    app = create_app(Settings(db_path=db, state_path=tmp_path / "state.sqlite3", **settings))
    return DashClient(app)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_serves_and_renders_without_error(scored_db, tmp_path, path):
    client = make_client(scored_db, tmp_path)
    assert client.http.get(path).status_code == 200
    content = client.render(path)
    assert "Unexpected error" not in content
    assert "This view cannot be shown" not in content


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_scores_say_what_to_do(plain_db, tmp_path, path):
    content = make_client(plain_db, tmp_path).render(path)
    assert "Unexpected error" not in content
    if path in ("/segments", "/churn"):
        assert "shopsight train" in content


def test_no_duplicate_callback_outputs(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    outputs = collections.Counter(d["output"] for d in client.dependencies)
    assert [o for o, n in outputs.items() if n > 1] == []


def test_two_apps_in_one_process_both_answer_callbacks(scored_db, plain_db, tmp_path):
    first = make_client(scored_db, tmp_path / "a")
    second = make_client(plain_db, tmp_path / "b")
    for client, db in ((first, scored_db), (second, plain_db)):
        status, body = client.call(
            ids.COUNT + ".children", {ids.COHORT_STORE + ".data": "min_orders=1"}
        )
        assert status == 200
        expected = count(WarehouseReader(db), Cohort(min_orders=1)).customers
        assert f"{expected:,}" in str(body)


def post_filters(client: DashClient, values: dict[str, object]) -> tuple[int, object]:
    """POST the filter callback as the browser does: every filter control through one ALL
    input (the rest empty), and the date range."""
    dep = client.callback(ids.COHORT_STORE + ".data")
    keys = [k for f in FILTERS for k in control_keys(f) if f.control != "date_range"]
    controls = [{"id": ids.filter_id(k), "property": "value", "value": values.get(k)} for k in keys]
    dates = {"id": {"type": ids.FILTER_DATES, "key": "date"}, "value": None}
    response = client.http.post(
        "/_dash-update-component",
        json={
            "output": dep["output"],
            "outputs": [
                {"id": o.split(".")[0], "property": o.split(".")[-1]}
                for o in dep["output"].strip(".").split("...")
            ],
            "inputs": [
                controls,
                [{**dates, "property": "start_date"}],
                [{**dates, "property": "end_date"}],
            ],
            "state": [
                [{"id": c["id"], "property": "id", "value": c["id"]} for c in controls],
                [{"id": dates["id"], "property": "id", "value": dates["id"]}],
            ],
            "changedPropIds": [
                json.dumps(ids.filter_id(next(iter(values))), separators=(",", ":")) + ".value"
            ],
        },
    )
    body = response.get_json(silent=True) if response.status_code == 200 else None
    return response.status_code, body


def test_a_filter_changes_store_count_and_chips(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    status, body = post_filters(client, {"churn_tier": ["High"], "min_orders": 1})
    assert status == 200
    response = body["response"]
    assert response[ids.COHORT_STORE]["data"] == "churn_tier=High&min_orders=1"
    assert "churn tier: High" in str(response[ids.CHIPS]["children"])
    reader = WarehouseReader(scored_db)
    expected = count(reader, Cohort.from_query("churn_tier=High&min_orders=1"))
    status, body = client.call(
        ids.COUNT + ".children", {ids.COHORT_STORE + ".data": "churn_tier=High&min_orders=1"}
    )
    assert f"{expected.customers:,}" in str(body) and f"{expected.sessions:,}" in str(body)


def test_a_bad_filter_gets_a_message_not_a_500(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    status, body = post_filters(client, {"min_orders": -3})
    assert status == 200
    assert "must not be negative" in str(body)
    status, body = client.call(ids.COUNT + ".children", {ids.COHORT_STORE + ".data": "bogus=1"})
    assert status == 200 and "unknown filter" in str(body)


def test_clicking_a_bar_adds_that_filter(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    dep = client.callback('"type":"' + ids.FILTER + '"}.value')
    tier_graph = {"type": ids.FACET_GRAPH, "key": "churn_tier"}
    tier_control = ids.filter_id("churn_tier")
    response = client.http.post(
        "/_dash-update-component",
        json={
            "output": dep["output"],
            "outputs": {"id": tier_control, "property": "value"},
            "inputs": [
                {
                    "id": tier_graph,
                    "property": "clickData",
                    "value": {"points": [{"customdata": "High"}]},
                }
            ],
            "state": [{"id": tier_control, "property": "value", "value": []}],
            "changedPropIds": ['{"key":"churn_tier","type":"' + ids.FACET_GRAPH + '"}.clickData'],
        },
    )
    assert response.status_code == 200, response.data
    answer = response.get_json()["response"]
    assert answer[json.dumps(tier_control, separators=(",", ":"), sort_keys=True)]["value"] == [
        "High"
    ]


def test_grid_pages_and_sorts_on_the_server(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    status, body = client.call(
        ids.GRID + ".getRowsResponse",
        {ids.GRID + ".getRowsRequest": {"startRow": 0, "endRow": 25,
                                        "sortModel": [{"colId": "revenue", "sort": "desc"}]}},
        state={ids.COHORT_STORE + ".data": "min_orders=1"},
    )  # fmt: skip
    assert status == 200
    rows = body["response"][ids.GRID]["getRowsResponse"]
    assert len(rows["rowData"]) == 25
    revenues = [r["revenue"] for r in rows["rowData"]]
    assert revenues == sorted(revenues, reverse=True)
    expected = count(WarehouseReader(scored_db), Cohort(min_orders=1)).customers
    assert rows["rowCount"] == expected


def test_saved_cohort_is_stored_and_listed(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    status, body = client.call(
        ids.SAVE_STATUS + ".children",
        {ids.SAVE_BUTTON + ".n_clicks": 1},
        state={
            ids.SAVE_NAME + ".value": "UK at risk",
            ids.COHORT_STORE + ".data": "churn_tier=High",
        },
    )
    assert status == 200 and "Saved" in str(body)
    state = client.app.server.extensions["shopsight"].state
    assert state.get_cohort("UK at risk").query == "churn_tier=High"


def test_signed_out_posts_to_callbacks_are_refused(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path, demo_mode=False)
    status, _ = client.call(
        ids.SAVE_STATUS + ".children",
        {ids.SAVE_BUTTON + ".n_clicks": 1},
        state={ids.SAVE_NAME + ".value": "x", ids.COHORT_STORE + ".data": ""},
    )
    assert status == 401
    status, _ = client.call(
        ids.RISK_STATUS + ".children",
        {ids.RISK_CONTACTED + ".n_clicks": 1},
        state={ids.RISK_GRID + ".selectedRows": [{"customer_id": "1"}]},
    )
    assert status == 401
    assert client.app.server.extensions["shopsight"].state.actions() == []
    assert client.http.get("/export/customers.csv").status_code == 401


def test_marking_customers_contacted_is_logged_with_who(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    first_two = "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 2"
    a, b = (row[0] for row in WarehouseReader(scored_db).rows(first_two))
    status, body = client.call(
        ids.RISK_STATUS + ".children",
        {ids.RISK_CONTACTED + ".n_clicks": 1},
        state={ids.RISK_GRID + ".selectedRows": [{"customer_id": a}, {"customer_id": b}]},
    )
    assert status == 200 and "Marked 2 customer(s)" in str(body)
    logged = client.app.server.extensions["shopsight"].state.actions()
    assert {(x.user, x.action, x.customer_id) for x in logged} == {
        ("demo", "contacted", a),
        ("demo", "contacted", b),
    }


def test_the_action_log_refuses_ids_that_are_not_customers(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    (known,) = WarehouseReader(scored_db).rows("SELECT min(customer_id) FROM customers")[0]
    status, body = client.call(
        ids.RISK_STATUS + ".children",
        {ids.RISK_CONTACTED + ".n_clicks": 1},
        state={
            ids.RISK_GRID + ".selectedRows": [{"customer_id": known}, {"customer_id": "nobody"}]
        },
    )
    assert status == 200 and "1 selected id(s) are not customers" in str(body)
    assert client.app.server.extensions["shopsight"].state.actions() == []


def test_export_from_the_app_matches_the_count(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    response = client.http.get("/export/customers.csv?churn_tier=High")
    assert response.status_code == 200
    lines = response.data.decode().strip().splitlines()
    expected = count(WarehouseReader(scored_db), Cohort(churn_tier=("High",))).customers
    assert len(lines) - 1 == expected


# --- churn risk (issue 11, item 5) ----------------------------------------------------------


def risk_grid(content: str) -> dict[str, object]:
    """The churn list's AgGrid props out of a rendered page."""

    def find(node: object) -> dict[str, object] | None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == ids.RISK_GRID:
                return node["props"]
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            return None
        for child in children:
            found = find(child)
            if found is not None:
                return found
        return None

    grid = find(json.loads(content))
    assert grid is not None, "no churn list on the page"
    return grid


def test_the_churn_list_reads_only_risk_raising_factors_as_reasons(scored_db, tmp_path):
    grid = risk_grid(make_client(scored_db, tmp_path).render("/churn"))
    fields = [d["field"] for d in grid["columnDefs"]]
    # The reasons come before the secondary columns, so they are on screen first.
    assert fields.index("why_at_risk") < fields.index("recency_days")
    recency = dict(
        WarehouseReader(scored_db).rows("SELECT customer_id, recency_days FROM customers")
    )
    rows = grid["rowData"]
    assert rows
    for row in rows:
        # The test scores say recency raised the risk and orders lowered it.
        assert row["why_at_risk"] == f"{recency[row['customer_id']]} days since last visit"
        assert row["lowers_risk"] == f"{row['orders']} orders"
        assert "lowered" not in row["why_at_risk"] and "raised" not in row["why_at_risk"]


def test_contacted_and_campaign_customers_are_marked_in_the_churn_list(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    rows = risk_grid(client.render("/churn"))["rowData"]
    assert all(row["marked"] == "" for row in rows)
    first, second = rows[0]["customer_id"], rows[1]["customer_id"]
    status, log = client.call(
        ids.RISK_LOG + ".children",
        {ids.RISK_ADD + ".n_clicks": 1},
        state={
            ids.RISK_GRID + ".selectedRows": [{"customer_id": first}],
            ids.RISK_CAMPAIGN + ".value": "Spring win-back",
        },
    )
    assert status == 200
    client.call(
        ids.RISK_LOG + ".children",
        {ids.RISK_CONTACTED + ".n_clicks": 1},
        state={ids.RISK_GRID + ".selectedRows": [{"customer_id": second}]},
    )
    # The log's rewrite redraws the list with its marks, for the list's own cohort.
    status, body = client.call(
        ids.RISK_GRID + ".rowData",
        {ids.RISK_LOG + ".children": log["response"][ids.RISK_LOG]["children"]},
        state={ids.RISK_QUERY + ".data": ""},
    )
    assert status == 200
    marked = {r["customer_id"]: r["marked"] for r in body["response"][ids.RISK_GRID]["rowData"]}
    assert marked[first] == "in “Spring win-back”"
    assert marked[second].startswith("contacted 20")
    assert [c for c, m in marked.items() if m] == [first, second]
    # A reload shows the same marks.
    again = {r["customer_id"]: r["marked"] for r in risk_grid(client.render("/churn"))["rowData"]}
    assert again == marked


def test_the_campaign_button_does_not_look_disabled(scored_db, tmp_path):
    content = make_client(scored_db, tmp_path).render("/churn")
    page = json.loads(content)

    def button(node: object) -> dict[str, object] | None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == ids.RISK_ADD:
                return node["props"]
            return next((b for b in map(button, node.values()) if b), None)
        if isinstance(node, list):
            return next((b for b in map(button, node) if b), None)
        return None

    add = button(page)
    assert add is not None and not add.get("disabled")
    assert add["color"] not in ("secondary", "light", "link")
