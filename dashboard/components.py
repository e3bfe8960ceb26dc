"""Shared building blocks of the pages: cards, empty states, friendly errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.overview import Kpi
from analytics.periods import Change
from dashboard.figures import sparkline_figure
from warehouse.catalogue import CATALOGUE, Unit


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


def kpi_card(
    kpi: Kpi, change: Change | None = None, label: Callable[[date], str] | None = None
) -> html.Div:
    """A KPI card: the value on one line, its change against the previous period, its
    definition on hover or tap, and a sparkline on the calendar (``label`` names a period
    in the tooltip) or the reason there is none."""
    card_id = f"kpi-{kpi.name}"
    body: list[Any] = [
        html.Div(
            [html.Span(kpi.label), *definition_tip(card_id, kpi.label, kpi.definition)],
            className="kpi-label d-flex align-items-start gap-1",
        ),
        html.Div(kpi.display, className="kpi-value", id=f"{card_id}-value"),
    ]
    if change is not None and change.text:
        body.append(_change_line(kpi, change))
    if kpi.available and kpi.caveat:
        body.append(model_caveat(kpi.caveat, f"{card_id}-caveat"))
    if not kpi.available:
        body.append(html.Div(kpi.reason, className="kpi-reason small text-muted"))
    elif len(kpi.trend) > 1:
        body.append(sparkline(kpi, label))
    elif kpi.trend_note or kpi.trend:
        note = kpi.trend_note or "one period only: nothing to plot"
        body.append(html.Div(note, className="kpi-note small text-muted"))
    tip = [html.Div(kpi.definition)]
    if change is not None and change.detail:
        tip.append(html.Div(change.detail, className="mt-1"))
    # On hover anywhere on the card (where there is a mouse); the info button is for taps.
    body.append(
        dbc.Tooltip(
            tip, target=card_id, placement="bottom", trigger="hover focus", class_name="hover-only"
        )
    )
    # Focusable, so keyboard users reach the definition tooltip too.
    return html.Div(
        dbc.Card(
            dbc.CardBody(body),
            className="kpi-card h-100" + ("" if kpi.available else " kpi-unavailable"),
        ),
        id=card_id,
        tabIndex="0",
        className="kpi-cell",
    )


def definition_tip(owner_id: str, label: str, definition: str) -> list[Any]:
    """An info button that shows ``definition`` on a tap or a click (and keyboard focus):
    on a phone there is no hover, so a definition must be reachable this way. The button's
    id is ``{owner_id}-info``; a tap elsewhere closes it."""
    button_id = f"{owner_id}-info"
    aria: dict[str, Any] = {"aria-label": f"What {label} means"}
    return [
        html.Button(
            "i",
            id=button_id,
            type="button",
            title=f"What {label} means",
            className="definition-button ms-auto",
            **aria,
        ),
        dbc.Popover(
            dbc.PopoverBody(definition),
            target=button_id,
            trigger="legacy",
            placement="bottom",
            id=f"{owner_id}-definition",
        ),
    ]


#: The ``context`` key :func:`phone_columns` marks a grid column with.
PHONE_KEY = "shopsightPhone"


def phone_columns(column_defs: list[dict[str, Any]], keep: tuple[str, ...]) -> list[dict[str, Any]]:
    """Grid column definitions marked for narrow screens: on a phone (below 576 px) the
    grid shows only the ``keep`` fields (the identifying column and the two most useful),
    and all of them again when the screen is wide (``assets/phone_grids.js`` reads the
    mark). The identifying column, ``keep[0]``, is pinned left so it stays in view when a
    tablet scrolls sideways."""
    marked = []
    for column in column_defs:
        field = column.get("field")
        spec = {**column, "context": {**column.get("context", {}), PHONE_KEY: field in keep}}
        if keep and field == keep[0]:
            spec["pinned"] = "left"
        marked.append(spec)
    return marked


def _change_line(kpi: Kpi, change: Change) -> html.Div:
    tone = "kpi-flat" if change.good is None else ("kpi-good" if change.good else "kpi-bad")
    return html.Div(
        [html.Span(change.text), html.Span(" vs previous", className="text-muted vs-previous")]
        if change.direction is not None
        else change.text,
        className=f"kpi-change small {tone}",
        id=f"kpi-{kpi.name}-change",
        title=change.detail or None,
    )


def sparkline(kpi: Kpi, label: Callable[[date], str] | None = None) -> dcc.Graph:
    """The KPI's trend on the calendar, with a date axis, a value axis and a tooltip."""
    unit = CATALOGUE.unit(kpi.unit) if kpi.unit in CATALOGUE.units else Unit(kpi.unit, ",.2f")
    name = label or (lambda d: d.isoformat()[:7])
    return dcc.Graph(
        figure=sparkline_figure(kpi.trend, unit, name),
        config={"displayModeBar": False},
        className="sparkline",
        id=f"kpi-{kpi.name}-sparkline",
    )


def chips(phrases: list[str]) -> list[Any]:
    if not phrases:
        return [dbc.Badge("everyone", color="light", text_color="dark", className="me-1")]
    return [dbc.Badge(p, color="primary", className="me-1 mb-1 filter-chip") for p in phrases]


def grid_column(field: str, header: str | None = None, *, numeric: bool = False) -> dict[str, Any]:
    """An AG Grid column: shares and money formatted as the catalogue shows them (an empty
    cell stays empty), counts with thousands separators, and every number right-aligned."""
    spec: dict[str, Any] = {"field": field, "headerName": header or field.replace("_", " ")}
    formatter = CATALOGUE.grid_formatter(field)
    if formatter is None and numeric:
        formatter = {"function": "params.value == null ? '' : d3.format(',')(params.value)"}
    if formatter is not None:
        spec["valueFormatter"] = formatter
        spec["type"] = "rightAligned"
    return spec
