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
from dashboard.components import card, chart_card, empty_state, graph, page_header
from dashboard.context import context
from dashboard.figures import message_figure, segment_heatmap_figure, segment_map_figure

PATH = "/segments"
TITLE = "Segments"
METHODS = ("kmeans", "hdbscan")


def _segment_card(number: int, seg: SegmentSummary) -> dbc.Col:
    revenue = f" · {seg.revenue_share:.1%} of revenue" if seg.revenue_share is not None else ""
    # Numbered in display order (the heatmap's rows carry the same numbers); the stored id,
    # which a Cohorts link filters on, only on hover.
    title = html.H5(
        [html.Span(f"{number}. ", className="text-muted"), seg.name],
        className="mb-0",
        title=f"segment id {seg.segment_id}",
    )
    details = seg.profile_detail or [""] * len(seg.profile)
    body = [
        title,
        html.Div(f"{seg.share:.1%}", className="share"),
        html.Div(f"{seg.members:,} members" + revenue, className="small text-muted"),
        html.Ul(
            [
                html.Li(text, title=detail or None)
                for text, detail in zip(seg.profile, details, strict=True)
            ],
            className="small mt-2 mb-0",
        ),
    ]
    return dbc.Col(
        dbc.Card(dbc.CardBody(body), className="segment-card h-100", id=f"segment-card-{number}"),
        className="mb-3",
    )


def per_row(n: int, options: tuple[int, ...]) -> int:
    """How many cards a row holds so that ``n`` cards leave no card alone on the last row:
    the first of ``options`` that fills every row, else the first whose last row holds at
    least two."""
    if n <= 1:
        return 1
    for k in options:
        if n % k == 0:
            return k
    for k in options:
        if n % k >= 2:
            return k
    return options[0]


def card_row_class(n: int) -> str:
    """Bootstrap row-cols classes laying ``n`` cards out without orphans at each width."""
    return f"row-cols-1 row-cols-md-{per_row(n, (2, 3, 4))} row-cols-xl-{per_row(n, (4, 3, 5, 2))}"


def _cards(method: str) -> list[Any]:
    """The segment cards in one row, laid out for their number."""
    ctx = context()
    summary = ctx.cached("segments", (method,), lambda: segment_summary(ctx.reader, method))
    if not summary:
        return [empty_state("No segments for this method", "Run shopsight train and score.")]
    cards = [_segment_card(i, seg) for i, seg in enumerate(summary, start=1)]
    return [dbc.Row(cards, className=card_row_class(len(cards)))]


MAP_NOTE = (
    "Each dot is a member (a sample of them): members close together behave alike. The two "
    "axes are the two directions in which behaviour (visits, orders, spend, recency and the "
    "like) varies most across members, so they have no unit of their own."
)


def _map_card() -> dbc.Card:
    return card(
        "Map of members",
        [
            graph(id_=ids.SEG_MAP),
            html.P(MAP_NOTE, className="small text-muted mb-0", id="segment-map-note"),
        ],
    )


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
                "Behaviour segments, each described by what sets it apart from the average "
                "customer (hover a line for its effect size).",
                choose,
            ),
            dcc.Loading(html.Div(_cards(method), id=ids.SEG_CARDS), type="dot"),
            dbc.Row(
                [
                    dbc.Col(_map_card(), lg=6, className="mb-3"),
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
