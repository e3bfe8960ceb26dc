"""Segments: a card per segment (size, revenue share, profile in words), a 2-D map of
members coloured by segment, K-means against HDBSCAN, and a segment × metric heatmap."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from analytics.cohort_sql import warehouse_shape
from analytics.segments import segment_heatmap, segment_map_sample, segment_summary
from dashboard import ids
from dashboard.components import empty_state, page_header
from dashboard.context import context
from dashboard.figures import message_figure, segment_heatmap_figure, segment_map_figure

PATH = "/segments"
TITLE = "Segments"


def _cards(method: str) -> list[Any]:
    ctx = context()
    summary = ctx.cached("segments", (method,), lambda: segment_summary(ctx.reader, method))
    if not summary:
        return [empty_state("No segments for this method", "Run shopsight train and score.")]
    cards = []
    for seg in summary:
        cards.append(
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(
                                [
                                    html.H5(seg.name, className="mb-0"),
                                    dbc.Badge(
                                        f"#{seg.segment_id}",
                                        color="light",
                                        text_color="dark",
                                        className="ms-2",
                                    ),
                                ],
                                className="d-flex align-items-center",
                            ),
                            html.Div(f"{seg.share:.1%}", className="share"),
                            html.Div(
                                f"{seg.members:,} members"
                                + (
                                    f" · {seg.revenue_share:.1%} of revenue"
                                    if seg.revenue_share is not None
                                    else ""
                                ),
                                className="small text-muted",
                            ),
                            html.Ul([html.Li(p) for p in seg.profile], className="small mt-2 mb-0"),
                        ]
                    ),
                    className="segment-card h-100",
                ),
                md=6,
                xl=4,
                className="mb-3",
            )
        )
    return cards


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
    if method not in ("kmeans", "hdbscan"):
        method = "kmeans"
    return html.Div(
        [
            page_header(
                "Segments",
                "Behaviour segments with plain-words profiles: effect sizes against everyone else.",
                dbc.RadioItems(
                    id=ids.SEG_METHOD,
                    options=[
                        {"label": "K-means", "value": "kmeans"},
                        {"label": "HDBSCAN (noise shown)", "value": "hdbscan"},
                    ],
                    value=method,
                    inline=True,
                ),
            ),
            dcc.Loading(dbc.Row(_cards(method), id=ids.SEG_CARDS), type="dot"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader("Map of members (sampled, WebGL)"),
                                dbc.CardBody(
                                    dcc.Graph(id=ids.SEG_MAP, config={"displayModeBar": False})
                                ),
                            ],
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    "Segment × metric (effect size against everyone else)"
                                ),
                                dbc.CardBody(
                                    dcc.Graph(id=ids.SEG_HEATMAP, config={"displayModeBar": False})
                                ),
                            ],
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                ]
            ),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.SEG_CARDS, "children"),
        Output(ids.SEG_MAP, "figure"),
        Output(ids.SEG_HEATMAP, "figure"),
        Input(ids.SEG_METHOD, "value"),
    )
    def show_method(method: str | None) -> tuple[Any, Any, Any]:
        method = method if method in ("kmeans", "hdbscan") else "kmeans"
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
