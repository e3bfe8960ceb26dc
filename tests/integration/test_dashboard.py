"""The dashboard app through Flask's test client: pages, callbacks, rights, app state."""

from __future__ import annotations

import collections
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from analytics.cohort import Cohort
from analytics.cohort_filters import FILTERS
from analytics.explore import count
from analytics.periods import choose_range, data_period, period_kpis
from dashboard import ids
from dashboard.app import create_app, page_modules
from dashboard.cli import main
from dashboard.pages.cohorts.controls import control_keys
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from tests.support.warehouses import query
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
        {
            ids.GRID + ".getRowsRequest": {
                "startRow": 0,
                "endRow": 25,
                "sortModel": [{"colId": "revenue", "sort": "desc"}],
            }
        },
        state={ids.COHORT_STORE + ".data": "min_orders=1"},
    )
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


# ------------------------------------------------------------------------ the Models page

#: Stored runs of one training: conversion (cross-validated, with a prefix model for early
#: scoring) and customer revenue (time split, a verdict recorded, losing to its baseline on R²).
MODEL_RUNS_SQL = """
CREATE TABLE model_runs AS
SELECT * FROM (VALUES
    ('r1', 't1', 'session_conversion', 'session', 'classification', 'xgboost', 'trained', TRUE,
     0.91, 0.52, 0.05, 48697, 48697, 38958, NULL, NULL, NULL,
     'the session contains a purchase (sessions.converted; Online Shoppers: its Revenue '
     || 'column); features only from events before the session''s first checkout',
     TIMESTAMP '2026-01-02 03:04:05.123456', NULL, NULL),
    ('r2', 't1', 'session_conversion', 'session', 'classification', 'naive_recency',
     'baseline', FALSE, 0.60, 0.20, NULL, NULL, 48697, NULL, NULL, NULL, NULL, NULL,
     TIMESTAMP '2026-01-02 03:04:05.123456', NULL, NULL),
    ('r3', 't1', 'session_conversion_k3', 'session', 'classification', 'xgboost', 'trained',
     TRUE, 0.70, 0.30, NULL, 30000, 30000, 24000, NULL, NULL, NULL, NULL,
     TIMESTAMP '2026-01-02 03:04:05.123456', NULL, NULL),
    ('r4', 't1', 'customer_revenue', 'customer', 'regression', 'xgboost', 'trained', TRUE,
     NULL, NULL, NULL, 1222, 1299, 1222, 70.0, 280.0, -0.14, 'purchase revenue',
     TIMESTAMP '2026-01-02 03:04:05.123456', 'weak', 'R² within 0.05 of the naive mean.'),
    ('r5', 't1', 'customer_revenue', 'customer', 'regression', 'naive_mean', 'baseline',
     FALSE, NULL, NULL, NULL, NULL, 1299, NULL, 110.0, 260.0, 0.0, NULL,
     TIMESTAMP '2026-01-02 03:04:05.123456', NULL, NULL)
) AS runs(run_id, train_id, task, entity, kind, candidate, status, selected, roc_auc, pr_auc,
          brier, n_train, n_test, rows_fitted, mae, rmse, r2, label_definition, trained_at,
          verdict, verdict_reason)
"""


@pytest.fixture(scope="session")
def models_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.warehouses import generated_warehouse
    from warehouse.versions import derived_version

    db = generated_warehouse(tmp_path_factory.mktemp("models-page"), customers=80, days=40)
    with derived_version(db, "models") as con:
        con.execute(MODEL_RUNS_SQL)
    return db


def models_page(db: Path, tmp_path: Path, task: str) -> tuple[str, dict[str, Any]]:
    """The Models page for ``task``: its text (unescaped) and its components by id."""
    body = json.loads(make_client(db, tmp_path).render("/models", f"?task={task}"))
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("props"), dict) and "id" in node["props"]:
                found[str(node["props"]["id"])] = node["props"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return json.dumps(body, ensure_ascii=False), found


def test_models_page_names_row_counts_as_the_report_counts_them(models_db, tmp_path):
    from models.report import report

    content, components = models_page(models_db, tmp_path, "session_conversion")
    reported = report(models_db)["session_conversion"]["metrics"]
    # Training rows are what the report calls rows (the largest fit), evaluation rows the
    # held-out rows: never "48697 / 48697", which read as training on the test set.
    cell = "rows-session_conversion-xgboost-{}"
    assert components[cell.format("rows_fitted")]["children"] == f"{reported['rows_fitted']:,}"
    assert components[cell.format("n_test")]["children"] == f"{reported['n_test']:,}"
    assert reported["rows_fitted"] == 38958 and reported["n_test"] == 48697
    assert "Training rows (largest fit)" in content and "Evaluation rows (held out)" in content
    assert "48697" not in content and "train / test" not in content
    assert "2026-01-02 03:04:05" in content and "03:04:05.123456" not in content
    # The label in this data's words: it is not Online Shoppers data.
    assert "sessions.converted" in content and "Online Shoppers" not in content


def test_early_scoring_belongs_to_the_session_conversion_tab(models_db, tmp_path):
    _, conversion = models_page(models_db, tmp_path / "a", "session_conversion")
    _, revenue = models_page(models_db, tmp_path / "b", "customer_revenue")
    assert "early-scoring" in conversion and "early-scoring" not in revenue


def test_a_weak_model_carries_its_verdict_and_its_baseline(models_db, tmp_path):
    content, components = models_page(models_db, tmp_path / "a", "customer_revenue")
    assert components["verdict-customer_revenue"]["children"] == "weak"
    assert "Verdict: weak." in content and "R² within 0.05 of the naive mean." in content
    assert "does not beat its naive baselines on every measure" in content
    assert "R² -0.140 against 0.000 (naive_mean, not better)" in content
    conversion, components = models_page(models_db, tmp_path / "b", "session_conversion")
    assert "beats its naive baselines: ROC-AUC 0.910 against 0.600" in conversion
    # No verdict recorded for conversion, and it beats its baseline: no badge on its tab.
    assert "verdict-session_conversion" not in components


def test_a_model_that_loses_to_its_baseline_says_so_without_a_recorded_verdict():
    from analytics.models_view import TaskView, label_for_data

    selected = {"status": "trained", "selected": True, "candidate": "xgboost", "roc_auc": 0.55}
    baseline = {"status": "baseline", "candidate": "naive_recency", "roc_auc": 0.62}
    view = TaskView("customer_churn", "Churn", "classification", "trained", None)
    view.candidates, view.selected = [selected, baseline], selected
    assert view.verdict is None
    [comparison] = view.baseline_comparisons()
    assert (comparison.model, comparison.baseline, comparison.beats) == (0.55, 0.62, False)
    stored = "a purchase (sessions.converted; Online Shoppers: its Revenue column); more"
    assert label_for_data(stored, False) == "a purchase (sessions.converted); more"
    assert label_for_data(stored, True) == (
        "a purchase (sessions.converted; here: the source's Revenue column); more"
    )


# ---- the Overview (issue 11, items 3 and 4) ------------------------------------------------


def _sessions(db: Path, first: object, last: object) -> tuple[int, float]:
    sql = (
        "SELECT count(*), coalesce(sum(revenue), 0) FROM sessions "
        "WHERE session_date BETWEEN $first AND $last"
    )
    found = query(db, sql, {"first": first, "last": last})[0]
    return int(found[0]), float(found[1])


def test_overview_compares_the_last_30_days_with_the_30_before(scored_db):
    reader = WarehouseReader(scored_db)
    data = data_period(reader)
    chosen = choose_range(data, None, Cohort())
    assert chosen.preset == "30d" and chosen.current.end == data.end
    assert chosen.current.days == 30 and chosen.previous.days == 30
    assert chosen.previous.end == chosen.current.start - timedelta(days=1)
    cards = {c.kpi.name: c for c in period_kpis(reader, Cohort(), chosen)}
    now, now_revenue = _sessions(scored_db, chosen.current.start, chosen.current.end)
    before, _ = _sessions(scored_db, chosen.previous.start, chosen.previous.end)
    sessions = cards["sessions"]
    assert sessions.kpi.value == now
    assert cards["revenue"].kpi.value == pytest.approx(now_revenue)
    arrow = "▲" if now > before else "▼"
    assert sessions.change.text == f"{arrow} {abs(now - before) / before:,.1%}"
    assert sessions.change.good is (now > before)
    # The sparkline is on the calendar: one point per day of the period, summing to the card.
    assert [d for d, _ in sessions.kpi.trend] == sorted(d for d, _ in sessions.kpi.trend)
    assert chosen.current.start <= sessions.kpi.trend[0][0]
    assert sum(v for _, v in sessions.kpi.trend) == now
    # Scores are a snapshot: shown over everyone, never compared.
    assert cards["at_risk_customers"].change.text == "latest scores"


def test_overview_customer_series_count_customers_active_in_each_period(scored_db):
    reader = WarehouseReader(scored_db)
    chosen = choose_range(data_period(reader), "90d", Cohort())
    assert chosen.grain == "week"
    repeat = {c.kpi.name: c.kpi for c in period_kpis(reader, Cohort(), chosen)}[
        "repeat_purchase_rate"
    ]
    week, value = repeat.trend[1]
    expected = query(
        scored_db,
        "SELECT count(*) FILTER (WHERE orders >= 2)::DOUBLE / count(*) FILTER (WHERE orders >= 1) "
        "FROM customers WHERE customer_id IN (SELECT customer_id FROM sessions "
        "WHERE session_date BETWEEN $first AND $last)",
        {"first": week, "last": week + timedelta(days=6)},
    )[0][0]
    assert value == pytest.approx(expected)


def test_overview_says_when_there_is_no_previous_period(scored_db):
    reader = WarehouseReader(scored_db)
    data = data_period(reader)
    everything = choose_range(data, "all", Cohort())
    assert everything.previous is None and "no earlier period" in everything.why_no_previous
    early = choose_range(data, None, Cohort(date_from=data.start, date_to=data.start))
    assert early.preset == "custom" and early.previous is None
    assert "the data starts" in early.why_no_previous
    cards = period_kpis(reader, Cohort(), everything)
    assert {c.change.text for c in cards if c.kpi.available} <= {
        "no previous period",
        "latest scores",
    }


def test_overview_page_reads_its_range_from_the_url(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path)
    assert "Last 7 days: " in client.render("/", "?range=7d")
    assert "Chosen dates: 2025-02-01" in client.render(
        "/", "?date_from=2025-02-01&date_to=2025-02-28"
    )
    bad = client.render("/", "?range=forever")
    assert "range" in bad and "Unexpected error" not in bad
    status, body = client.call(
        ids.OV_NAV + ".href",
        {ids.OV_DATES + ".start_date": "2025-02-01", ids.OV_DATES + ".end_date": "2025-02-28"},
        {ids.OV_QUERY + ".data": "country=UK"},
    )
    assert status == 200
    assert (
        body["response"][ids.OV_NAV]["href"]
        == "/?country=UK&date_from=2025-02-01&date_to=2025-02-28"
    )
    status, body = client.call(
        ids.OV_NAV + ".href",
        {ids.OV_DATES + ".start_date": "2025-02-30", ids.OV_DATES + ".end_date": "2025-02-28"},
    )
    assert status == 204 or "href" not in str(body)


def test_money_shows_the_configured_currency(scored_db, tmp_path):
    # The rendered JSON escapes "€": read it back to text.
    page = str(
        json.loads(make_client(scored_db, tmp_path, currency="EUR").render("/", "?range=all"))
    )
    revenue = query(scored_db, "SELECT sum(revenue) FROM sessions")[0][0]
    assert f"€{revenue:,.0f}" in page
    assert "Money in EUR (€), set with --currency" in page
    plain = str(json.loads(make_client(scored_db, tmp_path / "plain").render("/", "?range=all")))
    assert f"{revenue:,.0f}" in plain and "€" not in plain


def test_exports_name_the_currency_of_their_money_columns(scored_db, tmp_path):
    client = make_client(scored_db, tmp_path, currency="EUR")
    sidecar = client.http.get("/export/customers.csv?sidecar=1")
    assert sidecar.status_code == 200
    assert json.loads(sidecar.data)["currency"] == {
        "code": "EUR",
        "source": "the dashboard's currency (the data's, else --currency)",
    }
    plain = make_client(scored_db, tmp_path / "plain").http.get("/export/customers.csv?sidecar=1")
    assert json.loads(plain.data)["currency"].startswith("no currency stated")


def test_the_export_command_names_the_currency(scored_db, tmp_path):
    out = tmp_path / "list.csv"
    code = main(["export", "--db", str(scored_db), "--cohort", "", "--out", str(out)])
    assert code == 0
    assert json.loads(Path(f"{out}.provenance.json").read_text())["currency"].startswith(
        "no currency stated"
    )
    code = main(
        ["export", "--db", str(scored_db), "--cohort", "", "--out", str(out)]
        + ["--currency", "gbp"]
    )
    assert code == 0
    currency = json.loads(Path(f"{out}.provenance.json").read_text())["currency"]
    assert currency["code"] == "GBP" and "--currency" in currency["source"]
