"""The Cohorts page as rendered from a query string: the filter panel (one control per
declared filter), the count, one chart per facet, the customer grid and the save, compare
and export cards."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.cohort import Cohort
from analytics.cohort_filters import FACET_FILTERS, FILTERS, CohortFilter
from analytics.cohort_sql import WarehouseShape, unavailable_reason, warehouse_shape
from analytics.explore import (
    customer_columns,
    date_span,
    describe,
    facet_counts,
    filled_columns,
)
from appstate.store import SavedCohort
from dashboard import ids
from dashboard.components import empty_state, page_header
from dashboard.context import context
from dashboard.figures import message_figure
from dashboard.pages.cohorts.controls import ControlData, control

PATH = "/cohorts"
TITLE = "Cohorts"
GRID_HOLDER = "grid-holder"
PANEL_BODY = "filter-panel-body"
NO_VALUES = "no row of this data has a value for them"


def data_options(key: str) -> list[tuple[str, str]]:
    """(value, label) pairs the data holds for choice filter ``key``, most frequent first
    (cached per build)."""
    ctx = context()

    def compute() -> list[tuple[str, str]]:
        frame = facet_counts(ctx.reader, Cohort(), key, limit=300)
        return [(str(r["value"]), str(r["label"])) for r in frame.iter_rows(named=True)]

    return ctx.cached("filter-options", (key,), compute)


def chip_phrases(cohort: Cohort) -> list[str]:
    """The cohort's chips, segments by name (cached per build and query)."""
    ctx = context()
    return ctx.cached("describe", (cohort.to_query(),), lambda: describe(ctx.reader, cohort))


def grid_columns() -> list[str]:
    """Customer-table columns the grid may show: those at least one customer fills."""
    ctx = context()
    filled = ctx.cached("filled-columns", (), lambda: filled_columns(ctx.reader))
    return [c for c in customer_columns(ctx.reader) if c in filled]


def shown_facets(shape: WarehouseShape) -> list[CohortFilter]:
    """Facets to chart: those this data can filter on and holds values of (a chart of a
    dimension the data does not have is noise)."""
    return [
        f for f in FACET_FILTERS if unavailable_reason(f, shape) is None and data_options(f.key)
    ]


def filter_panel(cohort: Cohort, shape: WarehouseShape) -> dbc.Card:
    """One control per declared filter. A filter this data cannot fill (a capability it
    lacks, or a column no row has a value in: country, device and source on the demo) is
    hidden, and one line per cause says which and why; a hidden control stays in the page,
    so a link that sets it keeps its value."""
    span = context().cached("span", (), lambda: date_span(context().reader))
    controls: list[Any] = []
    hidden: dict[str, list[str]] = {}
    disabled: dict[str, list[str]] = {}
    for filt in FILTERS:
        reason = unavailable_reason(filt, shape)
        options = data_options(filt.key) if filt.kind == "choice" and not reason else []
        if reason is None and filt.kind == "choice" and not filt.choices and not options:
            reason = NO_VALUES
        made = control(filt, cohort, ControlData(reason is None, options, span))
        if reason is not None and not _is_set(cohort, filt):
            hidden.setdefault(reason, []).append(filt.label)
            made = html.Div(made, hidden=True)
        elif reason is not None:  # set by a link: shown, disabled, with the reason
            disabled.setdefault(reason, []).append(filt.label)
        controls.append(made)
    reset = dbc.Button(
        "Reset filters", id=ids.F_RESET, href=PATH, color="link", size="sm", external_link=True
    )
    notes = [
        dbc.FormText(f"Not offered: {', '.join(labels)}: {why}.", className="d-block mb-2")
        for why, labels in hidden.items()
    ] + [
        dbc.FormText(f"{', '.join(labels)}: {why}.", className="d-block mb-2")
        for why, labels in disabled.items()
    ]
    return dbc.Card(
        [
            dbc.CardHeader("Filters"),
            dbc.CardBody([*notes, *controls, reset], className="filter-panel", id=PANEL_BODY),
        ]
    )


def _is_set(cohort: Cohort, filt: CohortFilter) -> bool:
    return any(cohort.get(key) not in (None, (), False) for key in filt.query_keys)


def _facet_chart(filt: CohortFilter) -> dbc.Col:
    graph = dcc.Graph(
        id={"type": ids.FACET_GRAPH, "key": filt.key},
        config={"displayModeBar": False},
        figure=message_figure("loading…"),
    )
    return dbc.Col(dbc.Card(dcc.Loading(graph, type="circle")), md=6, xl=4, className="mb-3")


def _count_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Loading(html.Div(id=ids.COUNT, className="count-badge"), type="dot"),
                html.Div(id=ids.CHIPS, className="mt-2"),
            ]
        ),
        className="mb-3",
    )


def _grid_card(shape: WarehouseShape) -> dbc.Card:
    body = (
        html.Div(id=GRID_HOLDER)
        if shape.has_customers
        else empty_state(
            "No customer list for this data", shape.reasons.get("has_customer_ids", "")
        )
    )
    return dbc.Card(
        [dbc.CardHeader("Customers (sorted and paged on the server)"), dbc.CardBody(body)],
        className="mb-3",
    )


def layout(**query: Any) -> html.Div:
    ctx = context()
    cohort = Cohort.from_query(query)
    shape = warehouse_shape(ctx.reader)
    saved = ctx.state.list_cohorts()
    results = [
        html.Div(id=ids.FILTER_ERROR),
        _count_card(),
        dbc.Row([_facet_chart(f) for f in shown_facets(shape)]),
        _grid_card(shape),
        dbc.Row(
            [
                dbc.Col(_save_card(saved), lg=4, className="mb-3"),
                dbc.Col(_compare_card(saved), lg=4, className="mb-3"),
                dbc.Col(_export_card(), lg=4, className="mb-3"),
            ]
        ),
    ]
    return html.Div(
        [
            dcc.Store(id=ids.COHORT_STORE, data=cohort.to_query()),
            page_header(
                "Cohorts",
                "Filter customers, click a bar to add it as a filter, save and export the list.",
            ),
            dbc.Row(
                [
                    dbc.Col(filter_panel(cohort, shape), lg=3, className="mb-3"),
                    dbc.Col(results, lg=9),
                ]
            ),
        ]
    )


def saved_links(saved: list[SavedCohort]) -> list[Any]:
    if not saved:
        return [html.Span("No saved cohorts yet.", className="text-muted small")]
    return [
        html.Div(
            html.A(c.name, href=f"{PATH}?{c.query}" if c.query else PATH),
            className="small",
        )
        for c in saved
    ]


def saved_options(saved: list[SavedCohort]) -> list[dict[str, str]]:
    return [{"label": c.name, "value": c.name} for c in saved]


def _save_card(saved: list[SavedCohort]) -> dbc.Card:
    name = dbc.Input(id=ids.SAVE_NAME, placeholder="name, e.g. UK at risk", maxLength=80)
    return dbc.Card(
        [
            dbc.CardHeader("Save this cohort"),
            dbc.CardBody(
                [
                    dbc.InputGroup(
                        [name, dbc.Button("Save", id=ids.SAVE_BUTTON, color="primary")],
                        size="sm",
                    ),
                    html.Div(id=ids.SAVE_STATUS, className="small mt-1"),
                    html.Div(saved_links(saved), id=ids.SAVED_LIST, className="mt-2"),
                ]
            ),
        ],
        className="h-100",
    )


def _compare_card(saved: list[SavedCohort]) -> dbc.Card:
    choose = dcc.Dropdown(
        id=ids.COMPARE_WITH,
        options=saved_options(saved),
        placeholder="choose a saved cohort" if saved else "save a cohort first",
        disabled=not saved,
    )
    return dbc.Card(
        [
            dbc.CardHeader("Compare with a saved cohort"),
            dbc.CardBody(
                [
                    choose,
                    dcc.Loading(html.Div(id=ids.COMPARE_TABLE, className="mt-2"), type="dot"),
                ]
            ),
        ],
        className="h-100",
    )


def _export_card() -> dbc.Card:
    holdout = dbc.Input(
        id=ids.HOLDOUT,
        type="number",
        min=0,
        max=0.9,
        step=0.05,
        placeholder="none",
        debounce=True,
    )
    return dbc.Card(
        [
            dbc.CardHeader("Export this list"),
            dbc.CardBody(
                [
                    html.Div(
                        [
                            dbc.Label("Hold-out share (control group)"),
                            holdout,
                            dbc.FormText("A seeded share of the list marked as a control group."),
                        ],
                        className="mb-2",
                    ),
                    html.Div(id=ids.EXPORT_LINKS),
                ]
            ),
        ],
        className="h-100",
    )
