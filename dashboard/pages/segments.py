"""Segments: a card per segment (size, revenue share, profile in words), a 2-D map of
members coloured by segment, K-means against HDBSCAN, and a segment × metric heatmap."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from analytics.cohort_sql import warehouse_shape
from analytics.segments import SegmentSummary, segment_heatmap, segment_map_sample, segment_summary
from dashboard import ids
from dashboard.callback_inputs import Choice, wire
from dashboard.components import chart_card, empty_state, page_header
from dashboard.context import context
from dashboard.figures import message_figure, segment_heatmap_figure, segment_map_figure

PATH = "/segments"
TITLE = "Segments"
METHODS = ("kmeans", "hdbscan")


def _segment_card(seg: SegmentSummary) -> dbc.Col:
    revenue = f" · {seg.revenue_share:.1%} of revenue" if seg.revenue_share is not None else ""
    title = html.Div(
        [
            html.H5(seg.name, className="mb-0"),
            dbc.Badge(f"#{seg.segment_id}", color="light", text_color="dark", className="ms-2"),
        ],
        className="d-flex align-items-center",
    )
    body = [
        title,
        html.Div(f"{seg.share:.1%}", className="share"),
        html.Div(f"{seg.members:,} members" + revenue, className="small text-muted"),
        html.Ul([html.Li(p) for p in seg.profile], className="small mt-2 mb-0"),
    ]
    return dbc.Col(
        dbc.Card(dbc.CardBody(body), className="segment-card h-100"), md=6, xl=4, className="mb-3"
    )


def _cards(method: str) -> list[Any]:
    ctx = context()
    summary = ctx.cached("segments", (method,), lambda: segment_summary(ctx.reader, method))
    if not summary:
        return [empty_state("No segments for this method", "Run shopsight train and score.")]
    return [_segment_card(seg) for seg in summary]


def layout(**query: Any) -> html.Div:
    reader = context().reader
    shape = warehouse_shape(reader)
    if not shape.has("segments"):
        return html.Div(
            [
                page_header("Segments"),
                empty_state(
                    "No segments yet",
                    "Segments are fitted by `shopsight train` and assigned by `shopsight score`.",
                    html.Code("shopsight train --db … && shopsight score --db …"),
                ),
            ]
        )
    method = str(query.get("method", "kmeans"))
    if method not in METHODS:
        method = "kmeans"
    choose = dbc.RadioItems(
        id=ids.SEG_METHOD,
        options=[
            {"label": "K-means", "value": "kmeans"},
            {"label": "HDBSCAN (noise shown)", "value": "hdbscan"},
        ],
        value=method,
        inline=True,
    )
    heat_title = "Segment × metric (effect size against everyone else)"
    return html.Div(
        [
            page_header(
                "Segments",
                "Behaviour segments with plain-words profiles: effect sizes against everyone else.",
                choose,
            ),
            dcc.Loading(dbc.Row(_cards(method), id=ids.SEG_CARDS), type="dot"),
            dbc.Row(
                [
                    dbc.Col(
                        chart_card("Map of members (sampled, WebGL)", id_=ids.SEG_MAP),
                        lg=6,
                        className="mb-3",
                    ),
                    dbc.Col(chart_card(heat_title, id_=ids.SEG_HEATMAP), lg=6, className="mb-3"),
                ]
            ),
        ]
    )


def show_method(method: str | None) -> tuple[Any, Any, Any]:
    """The cards, member map and heatmap of the chosen segmentation (K-means by default)."""
    method = method or "kmeans"
    ctx = context()
    reader = ctx.reader
    if not warehouse_shape(reader).has("segments"):
        return [], message_figure("no segments"), message_figure("no segments")
    points = ctx.cached("segment-map", (method,), lambda: segment_map_sample(reader, method))
    heat = ctx.cached("segment-heat", (method,), lambda: segment_heatmap(reader, method))
    return (
        _cards(method),
        segment_map_figure(points) if points.height else message_figure("no members"),
        segment_heatmap_figure(heat) if heat.height else message_figure("no profiles"),
    )


def register_callbacks(app: dash.Dash) -> None:
    wire(
        app,
        show_method,
        outputs=[
            Output(ids.SEG_CARDS, "children"),
            Output(ids.SEG_MAP, "figure"),
            Output(ids.SEG_HEATMAP, "figure"),
        ],
        args=[(Input(ids.SEG_METHOD, "value"), Choice(values=METHODS, label="method"))],
    )
