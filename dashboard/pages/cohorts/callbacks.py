"""The Cohorts page's callbacks: plain module-level functions, unit-tested by direct call,
and :func:`register_callbacks`, which wires them to component ids through
``dashboard.callback_inputs.wire`` with the specs of ``inputs``: a value outside its spec gets
the callback's message or no update, never a 500 and never the value echoed back.

Every callback is a public POST endpoint: rights are checked inside the callback
(``dashboard.auth.requires``). The functions still check what their specs cannot (a key the
filter table does not know, a lower bound above its upper one), so a direct call is as safe.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
from dash import ALL, MATCH, Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from analytics.cohort import Cohort, CohortError, quoted
from analytics.cohort_filters import BY_KEY
from analytics.cohort_sql import warehouse_shape
from analytics.explore import FACETS, MAX_PAGE, compare, count, customer_page
from analytics.explore import facet_counts as compute_facet_counts
from appstate.store import User
from common.errors import ShopSightError
from dashboard import ids
from dashboard.auth import requires
from dashboard.callback_inputs import CLICKS, wire
from dashboard.components import chips, error_alert
from dashboard.context import context
from dashboard.figures import message_figure
from dashboard.pages.cohorts import inputs
from dashboard.pages.cohorts.controls import query_from_controls
from dashboard.pages.cohorts.figures import (
    compare_table,
    count_line,
    customer_grid,
    export_buttons,
    facet_figure,
)
from dashboard.pages.cohorts.layout import (
    GRID_HOLDER,
    chip_phrases,
    grid_columns,
    saved_links,
    saved_options,
)

NOT_APPLIED = "Filter not applied"
MAX_NAME = inputs.MAX_NAME
# Seed of the hold-out draw, so the same export marks the same rows.
HOLDOUT_SEED = 7


def cohort_of(query: object) -> Cohort:
    """The cohort of the query string held in the store (raises CohortError)."""
    if query is not None and not isinstance(query, str):
        raise CohortError("query", "is not a query string")
    return Cohort.from_query(query or "")


# ---- the filter ------------------------------------------------------------------------------
def parse_filters(
    values: list[Any],
    starts: list[Any],
    ends: list[Any],
    value_ids: list[dict[str, Any]],
    date_ids: list[dict[str, Any]],
) -> tuple[Any, Any, Any]:
    """Controls → (canonical query for the store, chips, error message).

    ``values`` are the ``ids.FILTER`` controls' values in the order of ``value_ids``;
    ``starts`` / ``ends`` the date ranges' in the order of ``date_ids``.
    """
    try:
        by_key = _by_id_key(value_ids, values)
        if not isinstance(ends, list):
            raise TypeError("the date ranges sent no list of end dates")
        date_keys = list(_by_id_key(date_ids, starts))
        dates = {k: (s, e) for k, s, e in zip(date_keys, starts, ends, strict=True)}
        cohort = Cohort.from_query(query_from_controls(by_key, dates))
    except (CohortError, ValueError, TypeError) as exc:
        return no_update, no_update, error_alert(str(exc), NOT_APPLIED)
    return cohort.to_query(), chips(chip_phrases(cohort)), None


def _by_id_key(id_list: list[Any], values: list[Any]) -> dict[str, Any]:
    if not isinstance(id_list, list) or not isinstance(values, list):
        raise TypeError("the filter controls sent no list of values")
    keys: list[str] = []
    for control_id in id_list:
        key = control_id.get("key") if isinstance(control_id, dict) else None
        if not isinstance(key, str):
            raise TypeError("a filter control has no key")
        keys.append(key)
    return dict(zip(keys, values, strict=True))


def cross_filter(click: Any, current: list[str] | None) -> list[str]:
    """A click on a facet bar adds that bar's value to the facet's own filter control."""
    points = click.get("points") if isinstance(click, dict) else None
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        raise PreventUpdate
    value = points[0].get("customdata") or points[0].get("y")
    chosen = [str(v) for v in current] if isinstance(current, list) else []
    if not isinstance(value, str | int | float) or str(value) in chosen:
        raise PreventUpdate
    return [*chosen, str(value)]


# ---- what the filter selects ---------------------------------------------------------------
def update_count(query: str | None) -> Any:
    ctx = context()
    try:
        cohort = cohort_of(query)
        n = ctx.cached("count", (cohort.to_query(),), lambda: count(ctx.reader, cohort))
    except CohortError as exc:
        return error_alert(str(exc), NOT_APPLIED)
    return count_line(n)


def update_facet(query: str | None, graph_id: dict[str, Any] | None) -> Any:
    facet = graph_id.get("key") if isinstance(graph_id, dict) else None
    if facet not in FACETS:
        raise PreventUpdate
    filt = BY_KEY[facet]
    ctx = context()
    try:
        cohort = cohort_of(query)
        frame = ctx.cached(
            "facet",
            (cohort.to_query(), facet),
            lambda: compute_facet_counts(ctx.reader, cohort, facet),
        )
    except CohortError as exc:
        return message_figure(str(exc))
    unit = "customers" if warehouse_shape(ctx.reader).has_customers else "sessions"
    chosen = cohort.get(facet)
    selected = [str(v) for v in chosen] if isinstance(chosen, tuple) else []
    return facet_figure(frame, filt, unit, selected)


def update_grid(_query: str | None) -> Any:
    # The query is the trigger: a new grid drops the rows cached for the old cohort.
    return customer_grid(grid_columns())


def grid_rows(request: dict[str, Any] | None, query: str | None) -> Any:
    """One block of customer rows for the infinite grid, sorted and paged on the server."""
    start, end, sort = _grid_request(request)
    ctx = context()
    try:
        cohort = cohort_of(query)
        page, total = ctx.cached(
            "grid",
            (cohort.to_query(), start, end, tuple(sort)),
            lambda: customer_page(ctx.reader, cohort, offset=start, limit=end - start, sort=sort),
        )
    except CohortError:
        raise PreventUpdate from None
    rows = page.with_columns(
        [page[c].cast(str) for c in page.columns if page[c].dtype.is_temporal()]
    ).to_dicts()
    return {"rowData": rows, "rowCount": total}


def _grid_request(request: object) -> tuple[int, int, list[tuple[str, bool]]]:
    """(start, end, sort) of an AG Grid rows request; PreventUpdate when it is malformed."""
    if not isinstance(request, dict):
        raise PreventUpdate
    start, end = request.get("startRow") or 0, request.get("endRow")
    end = start + 100 if end is None else end
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise PreventUpdate
    if not 0 <= start < end or end - start > MAX_PAGE:
        raise PreventUpdate
    model = request.get("sortModel") or []
    if not isinstance(model, list) or not all(
        isinstance(s, dict) and isinstance(s.get("colId"), str) and s.get("sort") in ("asc", "desc")
        for s in model
    ):
        raise PreventUpdate
    return start, end, [(s["colId"], s["sort"] == "desc") for s in model]


# ---- acting on it ----------------------------------------------------------------------------
def _export_refused() -> Any:
    return html.Span("Your role cannot export lists.", className="text-muted small")


@requires("export", refused=_export_refused)
def export_links(_user: User, query: str | None, holdout: float | None) -> Any:
    try:
        canonical = cohort_of(query).to_query()
    except CohortError as exc:
        return error_alert(str(exc), NOT_APPLIED)
    extra: dict[str, Any] = {}
    share = holdout if isinstance(holdout, int | float) and not isinstance(holdout, bool) else 0
    if 0 < share < 1:
        extra = {"holdout": share, "seed": HOLDOUT_SEED}
    return export_buttons("&".join(p for p in (canonical, urlencode(extra)) if p))


def _save_refused() -> tuple[Any, ...]:
    return (_problem("Your role cannot save cohorts."), no_update, no_update, no_update)


@requires("save_cohort", refused=_save_refused)
def save_cohort(
    user: User, clicks: int | None, submits: int | None, name: str | None, query: str | None
) -> tuple[Any, ...]:
    """Save the current cohort under ``name``: (status, saved list, compare options, disabled)."""
    if not clicks and not submits:
        raise PreventUpdate  # neither the button nor Enter: nothing asked for a save
    ctx = context()
    unchanged = (no_update, no_update, no_update)
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        return (_problem("Give the cohort a name."), *unchanged)
    if len(name) > MAX_NAME:
        return (_problem(f"A name has at most {MAX_NAME} characters."), *unchanged)
    try:
        ctx.state.save_cohort(name, cohort_of(query).to_query(), user.name)
    except (ShopSightError, ValueError) as exc:
        return (_problem(str(exc)), *unchanged)
    saved = ctx.state.list_cohorts()
    done = html.Span(f"Saved “{name}”.", className="text-success")
    return done, saved_links(saved), saved_options(saved), False


def _problem(message: str) -> html.Span:
    return html.Span(message, className="text-danger")


def compare_cohorts(name: str | None, query: str | None) -> Any:
    if not name:
        return None
    if not isinstance(name, str):
        return error_alert("choose a saved cohort by name")
    saved = context().state.get_cohort(name)
    if saved is None:
        return error_alert(f"no saved cohort named {quoted(name)}")
    try:
        rows = compare(context().reader, cohort_of(query), Cohort.from_query(saved.query))
    except CohortError as exc:
        return error_alert(str(exc))
    return compare_table(rows, name)


# The address bar follows the filter without re-rendering the page.
FOLLOW_URL = """
function(query) {
    const url = window.location.pathname + (query ? '?' + query : '');
    if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(null, '', url);
    }
    return window.dash_clientside.no_update;
}
"""


def _filter_invalid(message: str) -> tuple[Any, Any, Any]:
    return no_update, no_update, error_alert(message, NOT_APPLIED)


def _alert(message: str) -> Any:
    return error_alert(message, NOT_APPLIED)


def register_callbacks(app: dash.Dash) -> None:
    """Wire the callbacks above to the page's components, each input checked by its spec
    (``inputs``)."""
    _wire_filter(app)
    _wire_results(app)
    _wire_actions(app)


def _wire_filter(app: dash.Dash) -> None:
    every_filter = {"type": ids.FILTER, "key": ALL}
    every_date_range = {"type": ids.FILTER_DATES, "key": ALL}
    wire(
        app,
        parse_filters,
        outputs=[
            Output(ids.COHORT_STORE, "data"),
            Output(ids.CHIPS, "children"),
            Output(ids.FILTER_ERROR, "children"),
        ],
        args=[
            (Input(every_filter, "value"), inputs.FILTER_VALUES),
            (Input(every_date_range, "start_date"), inputs.DATES),
            (Input(every_date_range, "end_date"), inputs.DATES),
            (State(every_filter, "id"), inputs.FILTER_IDS),
            (State(every_date_range, "id"), inputs.DATE_IDS),
        ],
        invalid=_filter_invalid,
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]  # untyped in Dash
        FOLLOW_URL, Output(ids.COHORT_STORE, "id"), Input(ids.COHORT_STORE, "data")
    )
    wire(
        app,
        cross_filter,
        outputs=[Output({"type": ids.FILTER, "key": MATCH}, "value")],
        args=[
            (Input({"type": ids.FACET_GRAPH, "key": MATCH}, "clickData"), inputs.CLICK),
            (State({"type": ids.FILTER, "key": MATCH}, "value"), inputs.CHOSEN),
        ],
        prevent_initial_call=True,
    )


def _wire_results(app: dash.Dash) -> None:
    store = (Input(ids.COHORT_STORE, "data"), inputs.QUERY)
    wire(app, update_count, outputs=[Output(ids.COUNT, "children")], args=[store], invalid=_alert)
    wire(
        app,
        update_facet,
        outputs=[Output({"type": ids.FACET_GRAPH, "key": MATCH}, "figure")],
        args=[store, (State({"type": ids.FACET_GRAPH, "key": MATCH}, "id"), inputs.FACET_ID)],
        invalid=message_figure,
    )
    wire(app, update_grid, outputs=[Output(GRID_HOLDER, "children")], args=[store])
    wire(
        app,
        grid_rows,
        outputs=[Output(ids.GRID, "getRowsResponse")],
        args=[
            (Input(ids.GRID, "getRowsRequest"), inputs.ROWS_REQUEST),
            (State(ids.COHORT_STORE, "data"), inputs.QUERY),
        ],
        prevent_initial_call=True,
    )


def _wire_actions(app: dash.Dash) -> None:
    store = (Input(ids.COHORT_STORE, "data"), inputs.QUERY)
    wire(
        app,
        export_links,
        outputs=[Output(ids.EXPORT_LINKS, "children")],
        args=[store, (Input(ids.HOLDOUT, "value"), inputs.HOLDOUT)],
        invalid=error_alert,
    )
    wire(
        app,
        save_cohort,
        outputs=[
            Output(ids.SAVE_STATUS, "children"),
            Output(ids.SAVED_LIST, "children"),
            Output(ids.COMPARE_WITH, "options"),
            Output(ids.COMPARE_WITH, "disabled"),
        ],
        args=[
            (Input(ids.SAVE_BUTTON, "n_clicks"), CLICKS),
            (Input(ids.SAVE_NAME, "n_submit"), CLICKS),
            (State(ids.SAVE_NAME, "value"), inputs.NAME),
            (State(ids.COHORT_STORE, "data"), inputs.QUERY),
        ],
        invalid=lambda message: (_problem(message), no_update, no_update, no_update),
        prevent_initial_call=True,
    )
    wire(
        app,
        compare_cohorts,
        outputs=[Output(ids.COMPARE_TABLE, "children")],
        args=[(Input(ids.COMPARE_WITH, "value"), inputs.SAVED_NAME), store],
        invalid=error_alert,
    )
