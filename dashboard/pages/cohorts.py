"""Cohorts: build a filter, see the live count, cross-filter from charts, page through the
customers on the server, save and compare cohorts, export the list.

The filter lives in the URL: the page is rendered from the query string, and every change
rewrites the address bar (``history.replaceState``, so the page is not re-rendered), so a
link or a reload gives the same view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback_context, dcc, html, no_update
from dash.exceptions import PreventUpdate

from analytics.cohort import CHURN_TIERS, Cohort, CohortError
from analytics.cohort_sql import warehouse_shape
from analytics.explore import (
    FACETS,
    compare,
    count,
    customer_columns,
    customer_page,
    distinct_values,
    facet_counts,
)
from common.errors import ShopSightError
from dashboard import ids
from dashboard.auth import may
from dashboard.components import chips, empty_state, error_alert, page_header
from dashboard.context import context
from dashboard.figures import facet_bars, message_figure

PATH = "/cohorts"
TITLE = "Cohorts"

# Facet charts shown, and the filter control each one's click feeds.
FACET_CONTROLS = {
    "country": ids.F_COUNTRY,
    "device": ids.F_DEVICE,
    "traffic_source": ids.F_SOURCE,
    "acquisition_month": ids.F_ACQ,
    "churn_tier": ids.F_TIER,
    "segment": ids.F_SEGMENT,
}
LIST_CONTROLS = {
    ids.F_ACQ: "acquisition_month",
    ids.F_COUNTRY: "country",
    ids.F_DEVICE: "device",
    ids.F_SOURCE: "traffic_source",
    ids.F_SEGMENT: "segment",
    ids.F_TIER: "churn_tier",
    ids.F_RFM: "rfm_tier",
}
GRID_COLUMNS = (
    "customer_id",
    "country",
    "acquisition_month",
    "sessions",
    "orders",
    "revenue",
    "recency_days",
    "cart_abandonment_rate",
    "purchase_prob",
    "churn_prob",
    "churn_tier",
    "predicted_revenue",
    "value_at_risk",
    "segment_id",
    "rfm_tier",
)


def _options(values: list[Any]) -> list[dict[str, str]]:
    return [{"label": str(v), "value": str(v)} for v in values if v is not None]


def _segment_options(reader: Any) -> list[dict[str, str]]:
    ctx = context()
    segments = ctx.cached(
        "segment-facet", (), lambda: facet_counts(reader, Cohort(), "segment", limit=300)
    )
    return [
        {
            "label": f"{row['label']} ({row['value']})"
            if row["label"] != row["value"]
            else str(row["value"]),
            "value": str(row["value"]),
        }
        for row in segments.sort("value").iter_rows(named=True)
    ]


def _distinct(facet: str) -> list[Any]:
    """Values a filter offers (cached per build)."""
    ctx = context()
    return ctx.cached("distinct", (facet,), lambda: distinct_values(ctx.reader, facet))


def _probability_slider(id_: str, value: list[float], enabled: bool) -> dcc.RangeSlider:
    return dcc.RangeSlider(
        id=id_,
        min=0,
        max=1,
        step=0.05,
        value=value,
        marks={0: "0", 0.5: "50%", 1: "100%"},
        disabled=not enabled,
        tooltip={"placement": "bottom"},
    )


def _field(label: str, control: Any, hint: str | None = None) -> html.Div:
    parts: list[Any] = [dbc.Label(label), control]
    if hint:
        parts.append(dbc.FormText(hint))
    return html.Div(parts, className="mb-2")


def filter_panel(cohort: Cohort, reader: Any) -> dbc.Card:
    shape = warehouse_shape(reader)
    scored = shape.has_scores
    no_scores = None if scored else "No scores yet: run shopsight train and score."
    customers = shape.has_customers
    span = context().cached(
        "span",
        (),
        lambda: reader.rows("SELECT min(session_date), max(session_date) FROM sessions")[0],
    )

    def dropdown(id_: str, facet: str, value: tuple[str, ...], enabled: bool = True) -> Any:
        values = _distinct(facet) if enabled else []
        return dcc.Dropdown(
            id=id_,
            options=_options(values),
            value=list(value),
            multi=True,
            placeholder="any" if values else "not in this data",
            disabled=not values,
        )

    purchase = [cohort.min_purchase_prob or 0.0, cohort.max_purchase_prob or 1.0]
    churn = [cohort.min_churn_prob or 0.0, cohort.max_churn_prob or 1.0]
    segment_options = _segment_options(reader)
    return dbc.Card(
        [
            dbc.CardHeader("Filters"),
            dbc.CardBody(
                [
                    _field(
                        "Active between",
                        dcc.DatePickerRange(
                            id=ids.F_DATE,
                            start_date=cohort.date_from,
                            end_date=cohort.date_to,
                            min_date_allowed=span[0],
                            max_date_allowed=span[1],
                            initial_visible_month=span[1],
                            display_format="YYYY-MM-DD",
                            clearable=True,
                        ),
                    ),
                    _field(
                        "Acquisition month",
                        dropdown(
                            ids.F_ACQ, "acquisition_month", cohort.acquisition_month, customers
                        ),
                    ),
                    _field("Country", dropdown(ids.F_COUNTRY, "country", cohort.country)),
                    _field("Device", dropdown(ids.F_DEVICE, "device", cohort.device)),
                    _field(
                        "Traffic source",
                        dropdown(ids.F_SOURCE, "traffic_source", cohort.traffic_source),
                    ),
                    _field(
                        "Segment",
                        dcc.Dropdown(
                            id=ids.F_SEGMENT,
                            options=segment_options,
                            value=list(cohort.segment),
                            multi=True,
                            disabled=not segment_options,
                            placeholder="any" if segment_options else "no segments yet",
                        ),
                    ),
                    _field(
                        "Churn tier",
                        dcc.Checklist(
                            id=ids.F_TIER,
                            options=[
                                {"label": f" {t}", "value": t, "disabled": not scored}
                                for t in CHURN_TIERS
                            ],
                            value=list(cohort.churn_tier),
                            inline=True,
                            inputClassName="me-1",
                            labelClassName="me-3",
                        ),
                        no_scores,
                    ),
                    _field(
                        "RFM tier",
                        dropdown(ids.F_RFM, "rfm_tier", cohort.rfm_tier, scored),
                    ),
                    _field(
                        "Purchase probability",
                        _probability_slider(ids.F_PURCHASE, purchase, scored),
                    ),
                    _field("Churn probability", _probability_slider(ids.F_CHURN, churn, scored)),
                    _field(
                        "Predicted revenue",
                        dbc.InputGroup(
                            [
                                dbc.Input(
                                    id=ids.F_REV_MIN,
                                    type="number",
                                    min=0,
                                    placeholder="min",
                                    value=cohort.min_predicted_revenue,
                                    debounce=True,
                                    disabled=not scored,
                                ),
                                dbc.Input(
                                    id=ids.F_REV_MAX,
                                    type="number",
                                    min=0,
                                    placeholder="max",
                                    value=cohort.max_predicted_revenue,
                                    debounce=True,
                                    disabled=not scored,
                                ),
                            ],
                            size="sm",
                        ),
                    ),
                    html.Hr(),
                    dbc.Checklist(
                        id=ids.F_CARTED,
                        options=[
                            {
                                "label": "Added to cart but never bought",
                                "value": "1",
                                "disabled": not customers,
                            }
                        ],
                        value=["1"] if cohort.carted_not_bought else [],
                        switch=True,
                        className="mb-2",
                    ),
                    _field(
                        "Bought at least N times",
                        dbc.Input(
                            id=ids.F_MIN_ORDERS,
                            type="number",
                            min=0,
                            step=1,
                            value=cohort.min_orders,
                            debounce=True,
                            disabled=not customers,
                        ),
                    ),
                    _field(
                        "Inactive for at least N days",
                        dbc.Input(
                            id=ids.F_INACTIVE,
                            type="number",
                            min=0,
                            step=1,
                            value=cohort.inactive_days,
                            debounce=True,
                            disabled=not customers,
                        ),
                    ),
                    dbc.Button(
                        "Reset filters",
                        id=ids.F_RESET,
                        href=PATH,
                        color="link",
                        size="sm",
                        external_link=True,
                    ),
                ],
                className="filter-panel",
            ),
        ]
    )


def _grid(query: str, columns: list[str]) -> dag.AgGrid:
    shown = [c for c in GRID_COLUMNS if c in columns]
    money = {"revenue", "predicted_revenue", "value_at_risk"}
    ratio = {"cart_abandonment_rate", "purchase_prob", "churn_prob"}
    defs: list[dict[str, Any]] = []
    for c in shown:
        d: dict[str, Any] = {"field": c, "headerName": c.replace("_", " "), "sortable": True}
        if c in money:
            d["valueFormatter"] = {"function": "d3.format(',.2f')(params.value)"}
        elif c in ratio:
            d["valueFormatter"] = {
                "function": "params.value == null ? '' : d3.format('.0%')(params.value)"
            }
        defs.append(d)
    return dag.AgGrid(
        id=ids.GRID,
        columnDefs=defs,
        rowModelType="infinite",
        dashGridOptions={
            "rowBuffer": 0,
            "cacheBlockSize": 100,
            "maxBlocksInCache": 10,
            "pagination": True,
            "paginationPageSize": 25,
            "paginationPageSizeSelector": False,
        },
        defaultColDef={"resizable": True, "minWidth": 110},
        style={"height": "520px"},
        className="ag-theme-alpine",
    )


def layout(**query: Any) -> html.Div:
    ctx = context()
    reader = ctx.reader
    cohort = Cohort.from_query(query)
    shape = warehouse_shape(reader)
    facets = [f for f in FACET_CONTROLS if FACETS[f][0] != "scores" or shape.has_scores]
    if not shape.has_customers:
        facets = [f for f in facets if FACETS[f][0] == "any"]
    # A chart of a dimension the data does not have is noise: leave it out.
    facets = [f for f in facets if _distinct(f)]
    saved = ctx.state.list_cohorts()
    return html.Div(
        [
            dcc.Store(id=ids.COHORT_STORE, data=cohort.to_query()),
            page_header(
                "Cohorts",
                "Filter customers, click a bar to add it as a filter, save and export the list.",
            ),
            dbc.Row(
                [
                    dbc.Col(filter_panel(cohort, reader), lg=3, className="mb-3"),
                    dbc.Col(
                        [
                            html.Div(id=ids.FILTER_ERROR),
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        dcc.Loading(
                                            html.Div(id=ids.COUNT, className="count-badge"),
                                            type="dot",
                                        ),
                                        html.Div(id=ids.CHIPS, className="mt-2"),
                                    ]
                                ),
                                className="mb-3",
                            ),
                            dbc.Row(
                                [
                                    dbc.Col(
                                        dbc.Card(
                                            dcc.Loading(
                                                dcc.Graph(
                                                    id={"type": ids.FACET_GRAPH, "facet": f},
                                                    config={"displayModeBar": False},
                                                    figure=message_figure("loading…"),
                                                ),
                                                type="circle",
                                            )
                                        ),
                                        md=6,
                                        xl=4,
                                        className="mb-3",
                                    )
                                    for f in facets
                                ]
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader("Customers (sorted and paged on the server)"),
                                    dbc.CardBody(
                                        html.Div(id="grid-holder")
                                        if shape.has_customers
                                        else empty_state(
                                            "No customer list for this data",
                                            shape.reasons.get("has_customer_ids", ""),
                                        )
                                    ),
                                ],
                                className="mb-3",
                            ),
                            dbc.Row(
                                [
                                    dbc.Col(_save_card(saved), lg=4, className="mb-3"),
                                    dbc.Col(_compare_card(saved), lg=4, className="mb-3"),
                                    dbc.Col(_export_card(), lg=4, className="mb-3"),
                                ]
                            ),
                        ],
                        lg=9,
                    ),
                ]
            ),
        ]
    )


def _saved_links(saved: list[Any]) -> list[Any]:
    if not saved:
        return [html.Span("No saved cohorts yet.", className="text-muted small")]
    return [
        html.Div(
            html.A(c.name, href=f"{PATH}?{c.query}" if c.query else PATH),
            className="small",
        )
        for c in saved
    ]


def _save_card(saved: list[Any]) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Save this cohort"),
            dbc.CardBody(
                [
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=ids.SAVE_NAME, placeholder="name, e.g. UK at risk", maxLength=80
                            ),
                            dbc.Button("Save", id=ids.SAVE_BUTTON, color="primary"),
                        ],
                        size="sm",
                    ),
                    html.Div(id=ids.SAVE_STATUS, className="small mt-1"),
                    html.Div(_saved_links(saved), id=ids.SAVED_LIST, className="mt-2"),
                ]
            ),
        ],
        className="h-100",
    )


def _compare_card(saved: list[Any]) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Compare with a saved cohort"),
            dbc.CardBody(
                [
                    dcc.Dropdown(
                        id=ids.COMPARE_WITH,
                        options=[{"label": c.name, "value": c.name} for c in saved],
                        placeholder="choose a saved cohort" if saved else "save a cohort first",
                        disabled=not saved,
                    ),
                    dcc.Loading(html.Div(id=ids.COMPARE_TABLE, className="mt-2"), type="dot"),
                ]
            ),
        ],
        className="h-100",
    )


def _export_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Export this list"),
            dbc.CardBody(
                [
                    _field(
                        "Hold-out share (control group)",
                        dbc.Input(
                            id=ids.HOLDOUT,
                            type="number",
                            min=0,
                            max=0.9,
                            step=0.05,
                            placeholder="none",
                            debounce=True,
                        ),
                        "A seeded share of the list marked as a control group.",
                    ),
                    html.Div(id=ids.EXPORT_LINKS),
                ]
            ),
        ],
        className="h-100",
    )


def cohort_from_controls(values: dict[str, Any]) -> Cohort:
    """The cohort the filter controls describe (full slider ranges mean 'no filter')."""
    query: dict[str, Any] = {}
    date_range = values.get("date") or (None, None)
    if date_range[0]:
        query["date_from"] = str(date_range[0])[:10]
    if date_range[1]:
        query["date_to"] = str(date_range[1])[:10]
    for control, key in LIST_CONTROLS.items():
        chosen = values.get(control) or []
        if chosen:
            query[key] = [str(v) for v in chosen]
    for slider, key in ((ids.F_PURCHASE, "purchase_prob"), (ids.F_CHURN, "churn_prob")):
        low, high = values.get(slider) or (0.0, 1.0)
        if low is not None and low > 0:
            query[f"min_{key}"] = low
        if high is not None and high < 1:
            query[f"max_{key}"] = high
    for control, key in (
        (ids.F_REV_MIN, "min_predicted_revenue"),
        (ids.F_REV_MAX, "max_predicted_revenue"),
        (ids.F_MIN_ORDERS, "min_orders"),
        (ids.F_INACTIVE, "inactive_days"),
    ):
        if values.get(control) not in (None, ""):
            query[key] = values[control]
    if values.get(ids.F_CARTED):
        query["carted_not_bought"] = "1"
    return Cohort.from_query(query)


FILTER_INPUTS = [
    Input(ids.F_DATE, "start_date"),
    Input(ids.F_DATE, "end_date"),
    *[Input(c, "value") for c in LIST_CONTROLS],
    Input(ids.F_PURCHASE, "value"),
    Input(ids.F_CHURN, "value"),
    Input(ids.F_REV_MIN, "value"),
    Input(ids.F_REV_MAX, "value"),
    Input(ids.F_CARTED, "value"),
    Input(ids.F_MIN_ORDERS, "value"),
    Input(ids.F_INACTIVE, "value"),
]


def warm() -> None:
    """Compute the default cohort's count and charts (called by ``warm_cache``)."""
    ctx = context()
    everyone = Cohort()
    ctx.cached("count", ("",), lambda: count(ctx.reader, everyone))
    for facet in FACET_CONTROLS:
        if _distinct(facet):
            ctx.cached("facet", ("", facet), lambda f=facet: facet_counts(ctx.reader, everyone, f))


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.COHORT_STORE, "data"),
        Output(ids.CHIPS, "children"),
        Output(ids.FILTER_ERROR, "children"),
        *FILTER_INPUTS,
    )
    def parse_filters(start: Any, end: Any, *rest: Any) -> tuple[Any, Any, Any]:
        lists = rest[: len(LIST_CONTROLS)]
        purchase, churn, rev_min, rev_max, carted, min_orders, inactive = rest[len(LIST_CONTROLS) :]
        values: dict[str, Any] = {
            "date": (start, end),
            **dict(zip(LIST_CONTROLS, lists, strict=True)),
        }
        values.update(
            {
                ids.F_PURCHASE: purchase,
                ids.F_CHURN: churn,
                ids.F_REV_MIN: rev_min,
                ids.F_REV_MAX: rev_max,
                ids.F_CARTED: carted,
                ids.F_MIN_ORDERS: min_orders,
                ids.F_INACTIVE: inactive,
            }
        )
        try:
            cohort = cohort_from_controls(values)
        except CohortError as exc:
            return no_update, no_update, error_alert(str(exc), "Filter not applied")
        return cohort.to_query(), chips(cohort.describe()), None

    # The address bar follows the filter without re-rendering the page.
    app.clientside_callback(
        """
        function(query) {
            const url = window.location.pathname + (query ? '?' + query : '');
            if (url !== window.location.pathname + window.location.search) {
                window.history.replaceState(null, '', url);
            }
            return window.dash_clientside.no_update;
        }
        """,
        Output(ids.COHORT_STORE, "id"),
        Input(ids.COHORT_STORE, "data"),
    )

    @app.callback(Output(ids.COUNT, "children"), Input(ids.COHORT_STORE, "data"))
    def update_count(query: str | None) -> Any:
        ctx = context()
        try:
            cohort = Cohort.from_query(query or "")
            n = ctx.cached("count", (cohort.to_query(),), lambda: count(ctx.reader, cohort))
        except CohortError as exc:
            return error_alert(str(exc), "Filter not applied")
        parts: list[Any] = []
        if n.customers is not None:
            parts += [
                html.Strong(f"{n.customers:,}", id="count-customers"),
                f" of {n.total_customers:,} customers · ",
            ]
        parts += [
            html.Strong(f"{n.sessions:,}", id="count-sessions"),
            f" of {n.total_sessions:,} sessions",
        ]
        return parts

    @app.callback(
        Output({"type": ids.FACET_GRAPH, "facet": MATCH}, "figure"),
        Input(ids.COHORT_STORE, "data"),
        State({"type": ids.FACET_GRAPH, "facet": MATCH}, "id"),
    )
    def update_facet(query: str | None, graph_id: dict[str, str]) -> Any:
        facet = graph_id["facet"]
        if facet not in FACETS:
            raise PreventUpdate
        ctx = context()
        try:
            cohort = Cohort.from_query(query or "")
            frame = ctx.cached(
                "facet", (cohort.to_query(), facet), lambda: facet_counts(ctx.reader, cohort, facet)
            )
        except CohortError as exc:
            return message_figure(str(exc))
        unit = "customers" if warehouse_shape(context().reader).has_customers else "sessions"
        selected = list(getattr(cohort, facet, ()) or ())
        return facet_bars(frame, FACETS[facet][2], unit, selected)

    controls = list(dict.fromkeys(FACET_CONTROLS.values()))

    @app.callback(
        *[Output(c, "value", allow_duplicate=True) for c in controls],
        Input({"type": ids.FACET_GRAPH, "facet": ALL}, "clickData"),
        *[State(c, "value") for c in controls],
        prevent_initial_call=True,
    )
    def cross_filter(clicks: list[Any], *current: Any) -> tuple[Any, ...]:
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or trigger.get("facet") not in FACET_CONTROLS:
            raise PreventUpdate
        facet = trigger["facet"]
        click = next(
            (
                c
                for c, s in zip(clicks, callback_context.inputs_list[0], strict=True)
                if s["id"]["facet"] == facet
            ),
            None,
        )
        if not click or not click.get("points"):
            raise PreventUpdate
        value = click["points"][0].get("customdata") or click["points"][0].get("y")
        out: list[Any] = [no_update] * len(controls)
        index = controls.index(FACET_CONTROLS[facet])
        chosen = list(current[index] or [])
        if value is not None and str(value) not in chosen:
            out[index] = [*chosen, str(value)]
        return tuple(out)

    @app.callback(Output("grid-holder", "children"), Input(ids.COHORT_STORE, "data"))
    def update_grid(query: str | None) -> Any:
        return _grid(query or "", customer_columns(context().reader))

    @app.callback(
        Output(ids.GRID, "getRowsResponse"),
        Input(ids.GRID, "getRowsRequest"),
        State(ids.COHORT_STORE, "data"),
        prevent_initial_call=True,
    )
    def grid_rows(request: dict[str, Any] | None, query: str | None) -> Any:
        if not request:
            raise PreventUpdate
        start = int(request.get("startRow") or 0)
        end = int(request.get("endRow") or start + 100)
        sort = [(s["colId"], s["sort"] == "desc") for s in request.get("sortModel") or []]
        ctx = context()
        try:
            cohort = Cohort.from_query(query or "")
            page, total = ctx.cached(
                "grid",
                (cohort.to_query(), start, end, tuple(sort)),
                lambda: customer_page(
                    ctx.reader, cohort, offset=start, limit=end - start, sort=sort
                ),
            )
        except CohortError:
            raise PreventUpdate from None
        rows = page.with_columns(
            [page[c].cast(str) for c in page.columns if page[c].dtype.is_temporal()]
        ).to_dicts()
        return {"rowData": rows, "rowCount": total}

    @app.callback(
        Output(ids.EXPORT_LINKS, "children"),
        Input(ids.COHORT_STORE, "data"),
        Input(ids.HOLDOUT, "value"),
    )
    def export_links(query: str | None, holdout: float | None) -> Any:
        extra: dict[str, Any] = {}
        if holdout:
            try:
                share = float(holdout)
            except (TypeError, ValueError):
                share = 0.0
            if 0 < share < 1:
                extra = {"holdout": share, "seed": 7}
        suffix = "&".join(p for p in (query or "", urlencode(extra)) if p)
        if not may(context().current_user(), "export"):
            return html.Span("Your role cannot export lists.", className="text-muted small")
        links = [
            dbc.Button(
                f"Download {fmt.upper()}",
                href=f"/export/customers.{fmt}" + (f"?{suffix}" if suffix else ""),
                external_link=True,
                color="primary" if fmt == "csv" else "secondary",
                outline=fmt != "csv",
                size="sm",
                className="me-2 mb-2",
                id=f"export-{fmt}",
            )
            for fmt in ("csv", "parquet", "xlsx")
        ]
        links.append(
            html.A(
                "provenance (JSON)",
                href="/export/customers.csv?" + "&".join(p for p in (suffix, "sidecar=1") if p),
                className="small d-block",
            )
        )
        return links

    @app.callback(
        Output(ids.SAVE_STATUS, "children"),
        Output(ids.SAVED_LIST, "children"),
        Output(ids.COMPARE_WITH, "options"),
        Output(ids.COMPARE_WITH, "disabled"),
        Input(ids.SAVE_BUTTON, "n_clicks"),
        Input(ids.SAVE_NAME, "n_submit"),
        State(ids.SAVE_NAME, "value"),
        State(ids.COHORT_STORE, "data"),
        prevent_initial_call=True,
    )
    def save_cohort(_: Any, __: Any, name: str | None, query: str | None) -> tuple[Any, ...]:
        ctx = context()
        user = ctx.current_user()
        if user is None or not may(user, "save_cohort"):
            return (
                html.Span("Your role cannot save cohorts.", className="text-danger"),
                no_update,
                no_update,
                no_update,
            )
        name = (name or "").strip()
        if not name:
            return html.Span("Give the cohort a name.", className="text-danger"), *([no_update] * 3)
        try:
            canonical = Cohort.from_query(query or "").to_query()
            ctx.state.save_cohort(name, canonical, user.name)
        except (ShopSightError, ValueError) as exc:
            return html.Span(str(exc), className="text-danger"), *([no_update] * 3)
        saved = ctx.state.list_cohorts()
        return (
            html.Span(f"Saved “{name}”.", className="text-success"),
            _saved_links(saved),
            [{"label": c.name, "value": c.name} for c in saved],
            False,
        )

    @app.callback(
        Output(ids.COMPARE_TABLE, "children"),
        Input(ids.COMPARE_WITH, "value"),
        Input(ids.COHORT_STORE, "data"),
    )
    def compare_cohorts(name: str | None, query: str | None) -> Any:
        if not name:
            return None
        saved = context().state.get_cohort(name)
        if saved is None:
            return error_alert(f"no saved cohort named {name!r}")
        try:
            rows = compare(
                context().reader, Cohort.from_query(query or ""), Cohort.from_query(saved.query)
            )
        except CohortError as exc:
            return error_alert(str(exc))
        return dbc.Table(
            [
                html.Thead(html.Tr([html.Th("metric"), html.Th("this cohort"), html.Th(name)])),
                html.Tbody([html.Tr([html.Td(r.label), html.Td(r.a), html.Td(r.b)]) for r in rows]),
            ],
            size="sm",
            striped=True,
            className="mb-0",
        )
