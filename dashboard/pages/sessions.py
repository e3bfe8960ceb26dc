"""Sessions & funnel: view → cart → checkout → purchase with the drop at each step, the
hit-rate and cart-abandonment distributions, and retention by acquisition cohort."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from analytics.cohort import Cohort
from analytics.cohort_sql import WarehouseShape, warehouse_shape
from analytics.funnel import Funnel, distribution, funnel, retention_matrix
from dashboard import ids
from dashboard.components import card, chart_card, chips, empty_state, graph, page_header
from dashboard.context import context
from dashboard.figures import funnel_figure, histogram_bars, message_figure, retention_heatmap

PATH = "/sessions"
TITLE = "Sessions & funnel"


def _funnel_body(steps: Funnel) -> Any:
    if not steps.available:
        return empty_state("No funnel for this data", steps.reason or "")
    body: list[Any] = [graph(funnel_figure(steps.steps), ids.FUNNEL)]
    if steps.note:
        body.append(html.P(steps.note, className="small text-muted mb-0"))
    drops = [
        html.Li(
            f"{a.step} → {b.step}: {1 - (b.share_of_previous or 0):.1%} drop "
            f"({a.sessions - b.sessions:,} sessions)"
        )
        for a, b in zip(steps.steps, steps.steps[1:], strict=False)
    ]
    body.append(html.Ul(drops, className="small mb-0 mt-2"))
    return body


def _unless(shape: WarehouseShape, *needs: str) -> str | None:
    """The reason of the first capability in ``needs`` this data lacks, or None."""
    for need in needs:
        have = shape.has_customers if need == "has_customer_ids" else shape.capabilities.get(need)
        if not have:
            return shape.reasons.get(need, "")
    return None


def _charts(cohort: Cohort) -> tuple[Any, Any, Any]:
    """The hit-rate and cart-abandonment histograms and the retention heatmap, each a
    message saying why where the data cannot support it."""
    ctx = context()
    reader = ctx.reader
    shape = warehouse_shape(reader)
    key = (cohort.to_query(),)
    lacking = _unless(shape, "has_page_views")
    if lacking is None:
        hits = ctx.cached("hits", key, lambda: distribution(reader, cohort, "hits"))
        title = "pages viewed in the session (capped at the 99th percentile)"
        hits_fig = histogram_bars(hits, title, "sessions")
    else:
        hits_fig = message_figure(lacking)
    lacking = _unless(shape, "has_carts", "has_customer_ids")
    if lacking is None:
        shares = ctx.cached(
            "abandonment", key, lambda: distribution(reader, cohort, "cart_abandonment")
        )
        title = "share of a customer's cart sessions abandoned"
        abandonment_fig = histogram_bars(shares, title, "customers", pct=True)
    else:
        abandonment_fig = message_figure(lacking)
    lacking = _unless(shape, "has_customer_ids", "has_complete_journeys")
    if lacking is None:
        matrix = ctx.cached("retention", key, lambda: retention_matrix(reader, cohort))
        retention = retention_heatmap(matrix)
    else:
        retention = message_figure(lacking)
    return hits_fig, abandonment_fig, retention


def layout(**query: Any) -> html.Div:
    ctx = context()
    cohort = Cohort.from_query(query)
    steps = ctx.cached("funnel", (cohort.to_query(),), lambda: funnel(ctx.reader, cohort))
    hits_fig, abandonment_fig, retention = _charts(cohort)
    browsing = [
        chart_card("Hit rate: pages per session", hits_fig, ids.HITS_HIST, className="mb-3"),
        chart_card("Cart abandonment per customer", abandonment_fig, ids.ABANDON_HIST),
    ]
    return html.Div(
        [
            page_header(
                "Sessions & funnel",
                "Where sessions drop out, how deep they browse, and who comes back.",
                html.Div(chips(cohort.describe())),
            ),
            dbc.Row(
                [
                    dbc.Col(card("Purchase funnel", _funnel_body(steps)), lg=6, className="mb-3"),
                    dbc.Col(browsing, lg=6, className="mb-3"),
                ]
            ),
            chart_card(
                "Retention by acquisition cohort (share active each month)",
                retention,
                ids.RETENTION,
            ),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    """Rendered from the URL; no callbacks of its own."""
