"""Sessions & funnel: view → cart → checkout → purchase with the drop at each step, the
hit-rate and cart-abandonment distributions, and retention by acquisition cohort."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.cohort import Cohort
from analytics.cohort_sql import warehouse_shape
from analytics.funnel import distribution, funnel, retention_matrix
from dashboard import ids
from dashboard.components import chips, empty_state, page_header
from dashboard.context import context
from dashboard.figures import funnel_figure, histogram_bars, message_figure, retention_heatmap

PATH = "/sessions"
TITLE = "Sessions & funnel"


def _graph(id_: str, figure: Any) -> dcc.Graph:
    return dcc.Graph(id=id_, figure=figure, config={"displayModeBar": False})


def layout(**query: Any) -> html.Div:
    ctx = context()
    reader = ctx.reader
    cohort = Cohort.from_query(query)
    shape = warehouse_shape(reader)
    key = (cohort.to_query(),)
    steps = ctx.cached("funnel", key, lambda: funnel(reader, cohort))
    if steps.available:
        funnel_body: Any = [_graph(ids.FUNNEL, funnel_figure(steps.steps))]
        if steps.note:
            funnel_body.append(html.P(steps.note, className="small text-muted mb-0"))
        drops = [
            html.Li(
                f"{a.step} → {b.step}: {1 - (b.share_of_previous or 0):.1%} drop "
                f"({a.sessions - b.sessions:,} sessions)"
            )
            for a, b in zip(steps.steps, steps.steps[1:], strict=False)
        ]
        funnel_body.append(html.Ul(drops, className="small mb-0 mt-2"))
    else:
        funnel_body = empty_state("No funnel for this data", steps.reason or "")
    hits = ctx.cached("hits", key, lambda: distribution(reader, cohort, "hits"))
    abandonment = ctx.cached(
        "abandonment", key, lambda: distribution(reader, cohort, "cart_abandonment")
    )
    abandonment_fig = (
        histogram_bars(
            abandonment, "share of a customer's cart sessions abandoned", "customers", pct=True
        )
        if shape.capabilities.get("has_carts") and shape.has_customers
        else message_figure(
            shape.reasons.get("has_carts", "")
            if not shape.capabilities.get("has_carts")
            else shape.reasons.get("has_customer_ids", "")
        )
    )
    hits_fig = (
        histogram_bars(
            hits, "pages viewed in the session (capped at the 99th percentile)", "sessions"
        )
        if shape.capabilities.get("has_page_views")
        else message_figure(shape.reasons.get("has_page_views", ""))
    )
    retention = (
        retention_heatmap(ctx.cached("retention", key, lambda: retention_matrix(reader, cohort)))
        if shape.has_customers and shape.capabilities.get("has_complete_journeys")
        else message_figure(
            shape.reasons.get("has_customer_ids", "")
            if not shape.has_customers
            else shape.reasons.get("has_complete_journeys", "")
        )
    )
    return html.Div(
        [
            page_header(
                "Sessions & funnel",
                "Where sessions drop out, how deep they browse, and who comes back.",
                html.Div(chips(cohort.describe())),
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card([dbc.CardHeader("Purchase funnel"), dbc.CardBody(funnel_body)]),
                        lg=6,
                        className="mb-3",
                    ),
                    dbc.Col(
                        [
                            dbc.Card(
                                [
                                    dbc.CardHeader("Hit rate: pages per session"),
                                    dbc.CardBody(_graph(ids.HITS_HIST, hits_fig)),
                                ],
                                className="mb-3",
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader("Cart abandonment per customer"),
                                    dbc.CardBody(_graph(ids.ABANDON_HIST, abandonment_fig)),
                                ],
                            ),
                        ],
                        lg=6,
                        className="mb-3",
                    ),
                ]
            ),
            dbc.Card(
                [
                    dbc.CardHeader("Retention by acquisition cohort (share active each month)"),
                    dbc.CardBody(_graph(ids.RETENTION, retention)),
                ]
            ),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    """Rendered from the URL; no callbacks of its own."""
