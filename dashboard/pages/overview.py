"""Overview: the KPI cards with definitions and trends, and which data is loaded."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from analytics.cohort import Cohort
from analytics.overview import Freshness, freshness, kpis
from dashboard import ids
from dashboard.components import chips, kpi_card, page_header
from dashboard.context import context

PATH = "/"
TITLE = "Overview"


def _freshness_card(fresh: Freshness) -> dbc.Card:
    sources = ", ".join(
        f"{s['path'].rsplit('/', 1)[-1]} ({s['format']}, {s['rows_loaded']:,} rows)"
        for s in fresh.sources
        if s["status"] == "loaded"
    )
    scored = (
        dbc.Badge("models scored", color="success")
        if fresh.scored
        else dbc.Badge("no model scores yet", color="warning", text_color="dark")
    )
    built = [
        html.Strong("Data: "),
        f"{fresh.data_start} … {fresh.data_end}",
        html.Span(" · ", className="text-muted"),
        html.Strong("Build: "),
        html.Code(fresh.build_id),
        f" (built {fresh.built_at} UTC) ",
        scored,
    ]
    loaded = html.Div([html.Strong("Loaded: "), sources], className="small mt-1")
    return dbc.Card(dbc.CardBody([html.Div(built), loaded]), id=ids.FRESHNESS, className="mt-2")


def layout(**query: Any) -> html.Div:
    ctx = context()
    reader = ctx.reader
    cohort = Cohort.from_query(query)
    cards = ctx.cached("kpis", (cohort.to_query(),), lambda: kpis(reader, cohort))
    return html.Div(
        [
            page_header(
                "Overview",
                "Every number is computed from the warehouse; hover a card for its definition.",
                html.Div(chips(cohort.describe())),
            ),
            dbc.Row(
                [dbc.Col(kpi_card(k), xs=12, sm=6, lg=4, xl=True, className="mb-3") for k in cards],
                id=ids.KPI_GRID,
                className="g-3",
            ),
            _freshness_card(freshness(reader)),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    """The overview is rendered from the URL; it has no callbacks of its own."""
