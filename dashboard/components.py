"""Shared building blocks of the pages: cards, empty states, friendly errors."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.overview import Kpi, format_value


def page_header(title: str, subtitle: str | None = None, right: Any = None) -> html.Div:
    return html.Div(
        [
            html.Div(
                [html.H2(title, className="page-title"), html.P(subtitle, className="text-muted")]
                if subtitle
                else [html.H2(title, className="page-title")]
            ),
            html.Div(right, className="ms-auto") if right is not None else None,
        ],
        className="d-flex align-items-start mb-3 gap-3",
    )


def empty_state(title: str, body: str, action: Any = None) -> dbc.Card:
    """A card that says what is missing and what to do about it."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(title, className="card-title"),
                html.P(body, className="text-muted mb-2"),
                action,
            ]
        ),
        className="empty-state text-center my-4",
    )


def error_alert(message: str, title: str = "That did not work") -> dbc.Alert:
    return dbc.Alert([html.Strong(f"{title}: "), message], color="danger", className="mb-3")


def status(message: str, ok: bool = False) -> html.Span:
    """A one-line answer to an action: green when it worked, red when it did not."""
    return html.Span(message, className="text-success" if ok else "text-danger")


def card(
    header: Any, body: Any, *, body_id: str | None = None, className: str | None = None
) -> dbc.Card:
    """A card with a header line; ``body_id`` names the body a callback rewrites."""
    body_kwargs: dict[str, Any] = {"id": body_id} if body_id else {}
    card_kwargs: dict[str, Any] = {"className": className} if className else {}
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body, **body_kwargs)], **card_kwargs)


def graph(figure: Any = None, id_: str | None = None) -> dcc.Graph:
    """A chart without the plotly mode bar; ``id_`` for charts a callback or test addresses."""
    kwargs: dict[str, Any] = {"figure": figure} if figure is not None else {}
    if id_:
        kwargs["id"] = id_
    return dcc.Graph(config={"displayModeBar": False}, **kwargs)


def chart_card(
    header: str | None, figure: Any = None, id_: str | None = None, className: str | None = None
) -> dbc.Card:
    """A card holding one chart, with a header line when ``header`` is given."""
    if header is None:
        card_kwargs: dict[str, Any] = {"className": className} if className else {}
        return dbc.Card(dbc.CardBody(graph(figure, id_)), **card_kwargs)
    return card(header, graph(figure, id_), className=className)


def model_caveat(caveat: str, id_: str | None = None) -> html.Div:
    """A number's caveat: a "weak model" badge with its reason ("weak model: <reason>")."""
    word, _, reason = caveat.partition(": ")
    parts = [
        dbc.Badge(word, color="warning", text_color="dark", className="me-1"),
        html.Span(reason, className="text-muted"),
    ]
    if id_ is None:
        return html.Div(parts, className="model-caveat small", title=caveat)
    return html.Div(parts, className="model-caveat small", title=caveat, id=id_)


def kpi_card(kpi: Kpi) -> html.Div:
    """A KPI card: value, definition on hover, and a sparkline of its monthly trend."""
    card_id = f"kpi-{kpi.name}"
    body: list[Any] = [
        html.Div(kpi.label, className="kpi-label"),
        html.Div(kpi.display, className="kpi-value", id=f"{card_id}-value"),
    ]
    if kpi.available and kpi.caveat:
        body.append(model_caveat(kpi.caveat, f"{card_id}-caveat"))
    if not kpi.available:
        body.append(html.Div(kpi.reason, className="kpi-reason small text-muted"))
    elif len(kpi.trend) > 1:
        body.append(sparkline(kpi))
    body.append(dbc.Tooltip(kpi.definition, target=card_id, placement="bottom"))
    # Focusable, so keyboard users reach the definition tooltip too.
    return html.Div(
        dbc.Card(
            dbc.CardBody(body),
            className="kpi-card h-100" + ("" if kpi.available else " kpi-unavailable"),
        ),
        id=card_id,
        tabIndex="0",
        className="h-100",
    )


def sparkline(kpi: Kpi) -> dcc.Graph:
    xs = [str(x) for x, _ in kpi.trend]
    ys = [y for _, y in kpi.trend]
    hover = [
        f"{str(x)[:7]}: {format_value(y, kpi.unit) if y is not None else '—'}" for x, y in kpi.trend
    ]
    return dcc.Graph(
        figure={
            "data": [
                {
                    "x": xs,
                    "y": ys,
                    "type": "scatter",
                    "mode": "lines",
                    "line": {"width": 2},
                    "hovertext": hover,
                    "hoverinfo": "text",
                }
            ],
            "layout": {
                "margin": {"l": 0, "r": 0, "t": 4, "b": 0},
                "height": 42,
                "xaxis": {"visible": False},
                "yaxis": {"visible": False},
                "showlegend": False,
                "paper_bgcolor": "rgba(0,0,0,0)",
                "plot_bgcolor": "rgba(0,0,0,0)",
            },
        },
        config={"displayModeBar": False, "staticPlot": False},
        className="sparkline",
    )


def chips(phrases: list[str]) -> list[Any]:
    if not phrases:
        return [dbc.Badge("everyone", color="light", text_color="dark", className="me-1")]
    return [dbc.Badge(p, color="primary", className="me-1 mb-1 filter-chip") for p in phrases]
