"""The Cohorts page's callbacks called directly, as plain functions (the HTTP round trip and
the sign-in gate are covered in tests/integration/test_dashboard.py and test_access.py)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
from dash.exceptions import PreventUpdate

from analytics.cohort import QUOTE_CHARS, Cohort, CohortError
from analytics.cohort_filters import FILTERS
from analytics.cohort_sql import warehouse_shape
from analytics.explore import count
from dashboard import ids
from dashboard.app import create_app
from dashboard.callback_inputs import CHECKED, InvalidInput
from dashboard.context import context
from dashboard.figures import GREY
from dashboard.pages.cohorts import callbacks, inputs
from dashboard.pages.cohorts.controls import control_keys
from dashboard.pages.cohorts.layout import data_options, filter_panel
from dashboard.settings import Settings
from tests.support.warehouses import add_fake_scores, generated_warehouse
from warehouse.reader import WarehouseReader


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = generated_warehouse(tmp_path_factory.mktemp("cohort-callbacks"), customers=150, days=60)
    add_fake_scores(db)
    return db


def _app(db: Path, state: Path, **settings: Any) -> dash.Dash:
    return create_app(Settings(db_path=db, state_path=state, **settings))


@pytest.fixture
def demo(db: Path, tmp_path: Path) -> Iterator[dash.Dash]:
    """A request context of an app in demo mode (everyone is the demo admin)."""
    app = _app(db, tmp_path / "state.sqlite3")
    with app.server.test_request_context("/"):
        yield app


@pytest.fixture
def signed_out(db: Path, tmp_path: Path) -> Iterator[dash.Dash]:
    app = _app(db, tmp_path / "state.sqlite3", demo_mode=False)
    with app.server.test_request_context("/"):
        yield app


def panel_controls(cohort: Cohort) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]:
    """The filter panel rendered for ``cohort``, read back as the browser would send it to
    ``parse_filters``: values, start dates, end dates, value ids, date ids."""
    panel = filter_panel(cohort, warehouse_shape(context().reader))
    values, starts, ends, value_ids, date_ids = [], [], [], [], []
    for component in panel._traverse():
        cid = getattr(component, "id", None)
        if not isinstance(cid, dict):
            continue
        if cid["type"] == ids.FILTER:
            value_ids.append(cid)
            values.append(getattr(component, "value", None))
        elif cid["type"] == ids.FILTER_DATES:
            date_ids.append(cid)
            start, end = (
                getattr(component, "start_date", None),
                getattr(component, "end_date", None),
            )
            starts.append(None if start is None else str(start))
            ends.append(None if end is None else str(end))
    return values, starts, ends, value_ids, date_ids


def test_the_panel_has_one_control_per_declared_filter_key(demo):
    _, _, _, value_ids, date_ids = panel_controls(Cohort())
    declared = {k for f in FILTERS for k in control_keys(f)}
    assert {i["key"] for i in value_ids + date_ids} == declared
    assert len(value_ids) + len(date_ids) == len(declared)


def test_the_url_survives_the_controls(demo):
    # The URL is the state: controls rendered from a query give back the same query.
    month = data_options("acquisition_month")[0][0]
    segment = data_options("segment")[0][0]
    rfm = data_options("rfm_tier")[0][0]
    query = Cohort.from_query(
        f"churn_tier=High&min_churn_prob=0.6&acquisition_month={month}&segment={segment}"
        f"&rfm_tier={rfm}"
        "&date_from=2025-01-05&date_to=2025-02-01&max_purchase_prob=0.8"
        "&min_predicted_revenue=10&carted_not_bought=1&min_orders=1&inactive_days=3"
    ).to_query()
    store, chips, error = callbacks.parse_filters(*panel_controls(Cohort.from_query(query)))
    assert error is None
    assert store == query
    assert "churn probability ≥ 60%" in str(chips)
    empty, _, _ = callbacks.parse_filters(*panel_controls(Cohort()))
    assert empty == ""


def test_filters_from_controls_are_canonical(demo):
    values, starts, ends, value_ids, date_ids = panel_controls(Cohort())
    chosen = {"churn_tier": ["High"], "min_orders": 1, "churn_prob": [0.6, 1]}
    values = [chosen.get(i["key"], v) for i, v in zip(value_ids, values, strict=True)]
    starts = ["2025-02-01T00:00:00"]
    store, chips, error = callbacks.parse_filters(values, starts, ends, value_ids, date_ids)
    assert error is None
    assert store == "churn_tier=High&date_from=2025-02-01&min_churn_prob=0.6&min_orders=1"
    assert "churn tier: High" in str(chips) and "active 2025-02-01 – …" in str(chips)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("min_orders", -3, "must not be negative"),
        ("min_orders", {"a": 1}, "is not a number"),
        ("churn_prob", "all", "expects a range of two numbers"),
        ("churn_prob", [0.2, 0.5, 0.9], "expects a range of two numbers"),
        ("churn_tier", "High", "expects a list of values"),
        ("churn_tier", ["Extreme"], "not one of High, Medium, Low"),
        ("carted_not_bought", True, "expects a list of values"),
        ("no_such_filter", ["x"], "no such filter control"),
    ],
)
def test_a_bad_control_value_gets_a_message(key, value, message):
    store, chips, error = callbacks.parse_filters(
        [value], [None], [None], [ids.filter_id(key)], [{"type": ids.FILTER_DATES, "key": "date"}]
    )
    assert store is dash.no_update and chips is dash.no_update
    assert message in str(error) and "Filter not applied" in str(error)


@pytest.mark.parametrize(
    "args",
    [
        ("x", [], [], [], []),
        ([1], [], [], ["not-an-id"], []),
        ([1, 2], [], [], [ids.filter_id("min_orders")], []),
        ([], [42], [None], [], [{"type": ids.FILTER_DATES, "key": "date"}]),
        ([], [None], None, [], [{"type": ids.FILTER_DATES, "key": "date"}]),
    ],
)
def test_a_malformed_request_gets_a_message(args):
    store, _, error = callbacks.parse_filters(*args)
    assert store is dash.no_update and "Filter not applied" in str(error)


def test_a_click_adds_the_bar_to_its_filter_once():
    click = {"points": [{"customdata": "High", "y": "High (label)"}]}
    assert callbacks.cross_filter(click, ["Low"]) == ["Low", "High"]
    assert callbacks.cross_filter({"points": [{"y": "UK"}]}, None) == ["UK"]
    for bad_click, current in [
        (click, ["High"]),
        (None, []),
        ({"points": []}, []),
        ({"points": "High"}, []),
        ({"points": [{"customdata": {"a": 1}}]}, []),
    ]:
        with pytest.raises(PreventUpdate):
            callbacks.cross_filter(bad_click, current)


def test_count_matches_the_analytics_count(demo, db):
    expected = count(WarehouseReader(db), Cohort(churn_tier=("High",)))
    text = str(callbacks.update_count("churn_tier=High"))
    assert f"{expected.customers:,}" in text and f"{expected.sessions:,}" in text
    assert "unknown filter" in str(callbacks.update_count("bogus=1"))
    assert "not a query string" in str(callbacks.update_count(["churn_tier=High"]))


def test_facet_chart_highlights_the_chosen_value(demo):
    figure = callbacks.update_facet(
        "churn_tier=High", {"type": ids.FACET_GRAPH, "key": "churn_tier"}
    )
    bar = figure["data"][0]
    assert set(bar["customdata"]) <= {"High", "Medium", "Low"} and "High" in bar["customdata"]
    with pytest.raises(PreventUpdate):
        callbacks.update_facet("", {"type": ids.FACET_GRAPH, "key": "min_orders"})
    with pytest.raises(PreventUpdate):
        callbacks.update_facet("", "churn_tier")
    assert "unknown filter" in str(callbacks.update_facet("bogus=1", {"key": "country"}))


def test_grid_rows_are_the_cohort_paged_and_sorted(demo, db):
    request = {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "orders", "sort": "desc"}]}
    rows = callbacks.grid_rows(request, "min_orders=1")
    orders = [r["orders"] for r in rows["rowData"]]
    assert len(orders) == 10 and orders == sorted(orders, reverse=True)
    assert rows["rowCount"] == count(WarehouseReader(db), Cohort(min_orders=1)).customers


@pytest.mark.parametrize(
    "request_",
    [
        None,
        "rows please",
        {"startRow": "0", "endRow": 10},
        {"startRow": -5, "endRow": 10},
        {"startRow": 10, "endRow": 5},
        {"startRow": 0, "endRow": 10_000_000},
        {"startRow": 0, "endRow": 10, "sortModel": "orders"},
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "orders", "sort": "sideways"}]},
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "orders; DROP", "sort": "asc"}]},
    ],
)
def test_a_malformed_grid_request_is_no_update(demo, request_):
    with pytest.raises(PreventUpdate):
        callbacks.grid_rows(request_, "")


def test_export_links_carry_the_canonical_cohort_and_holdout(demo):
    links = str(callbacks.export_links("min_orders=1&churn_tier=High", 0.2))
    assert "/export/customers.csv?churn_tier=High&min_orders=1&holdout=0.2&seed=7" in links
    assert "holdout" not in str(callbacks.export_links("", "a lot"))
    assert "holdout" not in str(callbacks.export_links("", 5))
    assert "unknown filter" in str(callbacks.export_links("bogus=1", None))


def test_signed_out_callers_cannot_export_or_save(signed_out):
    assert "cannot export" in str(callbacks.export_links("", None))
    status, *rest = callbacks.save_cohort(1, None, "mine", "")
    assert "cannot save" in str(status) and rest == [dash.no_update] * 3
    assert context().state.get_cohort("mine") is None


def test_saving_stores_the_canonical_query(demo):
    status, links, options, disabled = callbacks.save_cohort(
        1, None, "  High risk  ", "min_orders=1&churn_tier=High"
    )
    assert "Saved “High risk”" in str(status)
    assert context().state.get_cohort("High risk").query == "churn_tier=High&min_orders=1"
    assert options == [{"label": "High risk", "value": "High risk"}] and disabled is False
    assert "High risk" in str(links)


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        (None, "", "Give the cohort a name"),
        ("   ", "", "Give the cohort a name"),
        (["a"], "", "Give the cohort a name"),
        ("x" * 81, "", "at most 80 characters"),
        ("bad", "bogus=1", "unknown filter"),
    ],
)
def test_saving_refuses_bad_input_with_a_message(demo, name, query, message):
    status, *rest = callbacks.save_cohort(1, None, name, query)
    assert message in str(status) and rest == [dash.no_update] * 3
    assert context().state.list_cohorts() == []


def test_compare_with_a_saved_cohort(demo):
    assert callbacks.compare_cohorts(None, "") is None
    assert "no saved cohort named 'nope'" in str(callbacks.compare_cohorts("nope", ""))
    assert "by name" in str(callbacks.compare_cohorts({"name": "x"}, ""))
    callbacks.save_cohort(1, None, "Repeat", "min_orders=2")
    table = str(callbacks.compare_cohorts("Repeat", "churn_tier=High"))
    assert "this cohort" in table and "Repeat" in table


def test_saving_needs_a_click_or_enter(demo):
    # A request naming the save callback with neither press is not a save.
    with pytest.raises(PreventUpdate):
        callbacks.save_cohort(None, None, "not pressed", "")
    assert context().state.list_cohorts() == []
    status, *_ = callbacks.save_cohort(None, 1, "by Enter", "")
    assert "Saved “by Enter”" in str(status)


# ---- the wiring and the input specs --------------------------------------------------------
PAGE_CALLBACKS = {
    "parse_filters",
    "cross_filter",
    "update_count",
    "update_facet",
    "update_grid",
    "grid_rows",
    "export_links",
    "save_cohort",
    "compare_cohorts",
}


def test_every_cohorts_callback_is_wired_through_the_input_checks(demo):
    server_side = [e["callback"] for e in demo.callback_map.values() if "callback" in e]
    registered = {
        inspect.unwrap(cb).__name__: cb
        for cb in server_side
        if inspect.unwrap(cb).__module__ == callbacks.__name__
    }
    assert set(registered) == PAGE_CALLBACKS
    assert [name for name, cb in registered.items() if not getattr(cb, CHECKED, False)] == []


def test_the_specs_take_what_the_panel_sends(demo):
    month = data_options("acquisition_month")[0][0]
    cohort = Cohort.from_query(
        f"churn_tier=High&churn_tier=Low&acquisition_month={month}&min_churn_prob=0.6"
        "&date_from=2025-01-05&min_predicted_revenue=10.5&carted_not_bought=1&min_orders=1"
    )
    values, starts, ends, value_ids, date_ids = panel_controls(cohort)
    assert inputs.FILTER_VALUES.check(values) == values
    assert inputs.FILTER_IDS.check(value_ids) == value_ids
    assert inputs.DATES.check(starts) == starts and inputs.DATES.check(ends) == ends
    assert inputs.DATE_IDS.check(date_ids) == date_ids
    assert inputs.QUERY.check(cohort.to_query()) == cohort.to_query()
    request = {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "revenue", "sort": "asc"}]}
    assert inputs.ROWS_REQUEST.check({**request, "filterModel": {}}) == request


@pytest.mark.parametrize(
    ("spec", "value", "problem"),
    [
        (inputs.FILTER_VALUES, [["x" * 1_000_000]], "is not a value a filter control sends"),
        (inputs.FILTER_VALUES, [["UK"] * 1000], "is not a value a filter control sends"),
        (inputs.FILTER_VALUES, [[0.2, float("nan")]], "is not a value a filter control sends"),
        (inputs.FILTER_VALUES, [None] * 100, "too many items"),
        (inputs.FILTER_IDS, [{"type": ids.FILTER, "key": "bogus"}], "not one of the choices"),
        (inputs.DATE_IDS, [ids.filter_id("date")], "not one of the choices"),
        (inputs.DATES, ["2025-01-01" * 1000], "too long"),
        (inputs.FACET_ID, {"type": ids.FACET_GRAPH, "key": "min_orders"}, "not one of"),
        (inputs.CLICK, {"points": [{"y": "x" * 1_000_000}]}, "too large"),
        (inputs.ROWS_REQUEST, {"startRow": 0.5, "endRow": 10}, "whole number"),
        (inputs.ROWS_REQUEST, {"sortModel": [{"colId": "x; DROP", "sort": "asc"}]}, "not one"),
        (inputs.HOLDOUT, 5, "between 0 and 0.9"),
        (inputs.NAME, "x" * 81, "at most 80 characters"),
        (inputs.QUERY, ["churn_tier=High"], "must be text"),
    ],
)
def test_the_specs_refuse_what_no_control_sends(spec, value, problem):
    with pytest.raises(InvalidInput, match=problem) as refused:
        spec.check(value)
    assert len(str(refused.value)) < 200  # the message names the input, never the value


def test_a_bad_value_is_quoted_but_never_in_full():
    with pytest.raises(CohortError) as refused:
        Cohort.from_query({"min_orders": "9" * 5000 + "x"})
    message = str(refused.value)
    assert "'99999" in message and "…" in message
    assert len(message) < QUOTE_CHARS + 100
    with pytest.raises(CohortError, match="'no_such_key'"):
        Cohort.from_query("no_such_key=1")


# ---- what the data can fill, in its own order (issue 11, item 6) ---------------------------


def test_months_are_charted_by_date(demo, db):
    figure = callbacks.update_facet("", {"type": ids.FACET_GRAPH, "key": "acquisition_month"})
    bar = figure["data"][0]
    top_down = bar["customdata"][::-1]  # plotly draws the last bar on top
    months = WarehouseReader(db).rows(
        "SELECT DISTINCT strftime(acquisition_month, '%Y-%m') FROM customers ORDER BY 1"
    )
    assert top_down == [m for (m,) in months]
    assert len(top_down) > 1


def test_a_filtered_facet_keeps_its_other_bars_greyed(demo, db):
    buyer_months = WarehouseReader(db).rows(
        "SELECT DISTINCT strftime(acquisition_month, '%Y-%m') FROM customers WHERE orders >= 1 "
        "ORDER BY 1"
    )
    assert len(buyer_months) > 1
    month = buyer_months[-1][0]
    figure = callbacks.update_facet(
        f"acquisition_month={month}&min_orders=1",
        {"type": ids.FACET_GRAPH, "key": "acquisition_month"},
    )
    bar = figure["data"][0]
    # Every month with buyers, not only the chosen one; the others greyed.
    assert set(bar["customdata"]) == {m for (m,) in buyer_months}
    colours = dict(zip(bar["customdata"], bar["marker"]["color"], strict=True))
    assert colours[month] != GREY
    assert {c for m, c in colours.items() if m != month} == {GREY}
    # The other facets still count within the filter: the tier chart keeps its colours.
    tiers = callbacks.update_facet(
        f"acquisition_month={month}", {"type": ids.FACET_GRAPH, "key": "churn_tier"}
    )["data"][0]
    assert GREY not in tiers["marker"]["color"]
    assert (
        sum(tiers["x"]) == count(WarehouseReader(db), Cohort(acquisition_month=(month,))).customers
    )


def test_chips_name_segments_not_their_ids(demo, db):
    ids_to_names = dict(
        WarehouseReader(db).rows(
            "SELECT DISTINCT segment_id::VARCHAR, segment_name FROM customers_scored"
        )
    )
    segment = sorted(ids_to_names)[0]
    values, starts, ends, value_ids, date_ids = panel_controls(Cohort(segment=(segment,)))
    _, chips, error = callbacks.parse_filters(values, starts, ends, value_ids, date_ids)
    assert error is None
    assert f"segment: {ids_to_names[segment]}" in str(chips)
    assert f"segment: {segment}'" not in str(chips)


def hidden_keys(panel: Any) -> set[str]:
    """The filter keys whose controls the panel holds but hides."""
    keys = set()
    for component in panel._traverse():
        if getattr(component, "hidden", False):
            for inner in component._traverse():
                cid = getattr(inner, "id", None)
                if isinstance(cid, dict):
                    keys.add(cid["key"])
    return keys


def test_filters_the_data_cannot_fill_are_hidden_with_a_line_saying_why(demo, db):
    # The generated shop has no country, device or traffic source.
    panel = filter_panel(Cohort(), warehouse_shape(context().reader))
    assert hidden_keys(panel) == {"country", "device", "traffic_source"}
    text = str(panel.to_plotly_json())
    assert "Not offered: Country, Device, Traffic source: no row of this data has a value" in text
    # A link that sets one keeps it: shown (and kept in the query), not hidden.
    linked = filter_panel(Cohort(country=("UK",)), warehouse_shape(context().reader))
    assert "country" not in hidden_keys(linked)
    store, _, _ = callbacks.parse_filters(*panel_controls(Cohort(country=("UK",))))
    assert store == "country=UK"


def test_the_customer_grid_leaves_out_columns_no_customer_fills(demo):
    grid = callbacks.update_grid("")
    fields = [c["field"] for c in grid.columnDefs]
    assert "country" not in fields
    assert {"customer_id", "orders", "churn_tier", "acquisition_month"} <= set(fields)
