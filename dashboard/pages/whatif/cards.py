"""The parts of the what-if page a slider move redraws: the prediction cards, the reasons, the
chips of what changed and the warnings on curves that run against their lever's plain
meaning. Values are shown as the catalogue shows their unit."""

from __future__ import annotations

import math
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analytics.model_verdicts import column_caveats
from analytics.whatif import (
    Curve,
    Estimate,
    Lever,
    Prediction,
    Profile,
    Reasons,
    model_name,
    outputs_of,
    plain_sentence,
)
from dashboard.components import model_caveat
from dashboard.context import context
from dashboard.figures import NAVY, TIER_COLOURS
from models.outputs import CATALOGUE, CHURN_PROB, VALUE_AT_RISK

#: Outputs where a rise is bad news (coloured red when they go up).
WORSE_WHEN_HIGHER = frozenset({CHURN_PROB.name, VALUE_AT_RISK.name})


def delta(name: str, now: float | None, start: float | None, unit: str) -> Any:
    """The change of output ``name`` from the start, coloured by whether it is good news."""
    if now is None or start is None:
        return None
    change = now - start
    if abs(change) < 1e-9:
        return html.Span("unchanged", className="text-muted")
    worse = (change > 0) == (name in WORSE_WHEN_HIGHER)
    text = CATALOGUE.unit(unit).change(change)
    return html.Span(text, className="text-danger" if worse else "text-success")


def _value(name: str, estimate: Estimate, tier: str | None) -> html.Div:
    """An estimate's value; churn with its tier as a badge before it."""
    text = CATALOGUE.unit(estimate.unit).text(estimate.value)
    if name != CHURN_PROB.name or not tier:
        return html.Div(text, id=f"whatif-value-{name}")
    badge = dbc.Badge(
        tier,
        color=TIER_COLOURS.get(tier, NAVY),
        className="me-2 align-middle",
        id="whatif-churn-tier",
    )
    return html.Div([badge, html.Span(text, id=f"whatif-value-{name}")])


def _card_body(
    name: str, estimate: Estimate, now: Prediction, start: Prediction, caveat: str | None = None
) -> list[Any]:
    body: list[Any] = [html.Div(estimate.label, className="kpi-label")]
    if not estimate.available:
        return body + [
            html.Div("—", className="kpi-value", id=f"whatif-value-{name}"),
            html.Div(estimate.describe(), className="small text-muted"),
        ]
    unit = CATALOGUE.unit(estimate.unit)
    return body + [
        html.Div(_value(name, estimate, now.churn_tier), className="kpi-value"),
        html.Div(
            [
                f"start {unit.text(start.value(name))} · ",
                delta(name, estimate.value, start.value(name), estimate.unit),
            ],
            className="small",
        ),
        _model_line(name, estimate.model_version),
        *([model_caveat(caveat, f"whatif-caveat-{name}")] if caveat else []),
    ]


def _model_line(name: str, version: str | None) -> html.Div | None:
    """The model's name (the full version string on hover)."""
    shown = model_name(version)
    if shown is None:
        return None
    word = "models" if " × " in shown else "model"
    return html.Div(
        f"{word}: {shown}",
        className="small text-muted",
        title=version,
        id=f"whatif-model-{name}",
    )


def prediction_cards(profile: Profile, now: Prediction, start: Prediction) -> list[Any]:
    """One card per output: the value now, the change from the start, the model's name,
    and "weak model: <reason>" under a prediction from a model that is not useful."""
    outputs = outputs_of(profile.entity)
    caveats = column_caveats(context().reader, list(outputs))
    cols = [
        dbc.Col(
            dbc.Card(
                dbc.CardBody(_card_body(name, now.estimates[name], now, start, caveats.get(name))),
                className="kpi-card h-100",
            ),
            md=6,
            xl=3,
            className="mb-3",
        )
        for name in outputs
    ]
    return [dbc.Row(cols)]


def reason_lists(reasons: list[Reasons]) -> Any:
    """The three strongest reasons per model, as plain sentences."""
    if not reasons:
        return html.Span("No model explains this profile.", className="text-muted small")
    return dbc.Row(
        [
            dbc.Col(
                [
                    html.Div(r.outcome.capitalize(), className="fw-semibold small mb-1"),
                    html.Ol(
                        [html.Li(plain_sentence(t)) for t in r.texts], className="small ps-3 mb-2"
                    ),
                ],
                md=4,
            )
            for r in reasons
        ],
        id="whatif-reason-lists",
    )


def change_chips(profile: Profile, moved: dict[str, float], levers: list[Lever]) -> Any:
    """What differs from the starting profile, one chip per moved lever."""
    chips = []
    for lever in levers:
        if lever.feature not in moved:
            continue
        start = profile.values.get(lever.feature, math.nan)
        now = moved[lever.feature]
        if math.isfinite(start) and abs(now - start) < 1e-9:
            continue
        chips.append(
            dbc.Badge(
                f"{lever.label}: {lever.show(start)} → {lever.show(now)}",
                color="primary",
                className="me-1 mb-1",
            )
        )
    if not chips:
        return html.Span("As the starting profile.", className="text-muted small")
    return chips


def curve_warning(curve: Curve | None, target: str) -> Any:
    """The warning under a curve of ``target`` that runs against its lever's plain meaning
    (nothing when it does not)."""
    text = curve.warnings.get(target) if curve is not None else None
    if text is None:
        return None
    return html.Div(
        f"⚠ {text[0].upper()}{text[1:]}.",
        className="small text-warning-emphasis bg-warning-subtle rounded px-2 py-1 mt-1",
        role="alert",
    )
