"""The what-if page's layout: the starting profile and the picker, the prediction cards, the
reasons, and one card per lever with its slider and sensitivity curve (and a warning under a
curve that runs against the lever's plain meaning), then what the curves are and are not."""

from __future__ import annotations

import math
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.whatif import (
    ASSOCIATION_NOTE,
    MAX_ID_LENGTH,
    Curve,
    Lever,
    Prediction,
    Profile,
    ProfileError,
    WhatIf,
    outputs_of,
)
from dashboard import ids
from dashboard.components import empty_state, error_alert, page_header
from dashboard.context import context
from dashboard.figures import TEAL
from dashboard.pages.whatif.cards import (
    change_chips,
    curve_warning,
    prediction_cards,
    reason_lists,
)
from dashboard.pages.whatif.figures import curve_figure
from dashboard.pages.whatif.state import (
    POINTS,
    chosen,
    default_target,
    engine,
    start_prediction,
    starting_profile,
)


def _lever_card(lever: Lever, start: float, graph: Any, warning: Any) -> dbc.Col:
    """One lever: its words, its slider, (``graph``) its sensitivity curve and the place of
    the curve's warning (``warning``: its children, ``None`` for none)."""
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(
                        [
                            html.Span(lever.label, className="fw-semibold"),
                            html.Span(
                                f"start {lever.show(start)}",
                                className="ms-auto small text-muted",
                            ),
                        ],
                        className="d-flex",
                    ),
                    html.Div(lever.action, className="small text-muted mb-1"),
                    dcc.Slider(
                        id={"type": ids.WI_SLIDER, "feature": lever.feature},
                        min=lever.low,
                        max=lever.high,
                        step=lever.step,
                        value=start if math.isfinite(start) else None,
                        marks=None,
                        updatemode="drag",
                        tooltip={"placement": "bottom"},
                        # Every slider has its number box (assets/shopsight.css widens
                        # it for money and rates, whose decimals overflowed it).
                        allow_direct_input=True,
                        className="whatif-slider",
                    ),
                    graph,
                    html.Div(warning, id={"type": ids.WI_CURVE_WARNING, "feature": lever.feature}),
                ],
                className="p-2",
            ),
            className="h-100",
        ),
        md=6,
        xl=4,
        className="mb-3",
    )


def lever_cards(
    profile: Profile,
    levers: list[Lever],
    curves: list[Curve],
    prediction: Prediction,
    target: str,
    unit: str,
) -> Any:
    """One card per lever: its words, the slider, and the sensitivity curve under it; then
    the sentence saying what the curves are (an association, not a promise of cause)."""
    by_feature = {c.feature: c for c in curves}
    cards = []
    for lever in levers:
        start = profile.values.get(lever.feature, math.nan)
        graph = dcc.Graph(
            id={"type": ids.WI_CURVE, "feature": lever.feature},
            figure=curve_figure(
                by_feature[lever.feature], lever, target, unit, start, prediction.value(target)
            ),
            config={"displayModeBar": False},
            style={"height": "150px"},
        )
        warning = curve_warning(by_feature.get(lever.feature), target)
        cards.append(_lever_card(lever, start, graph, warning))
    return html.Div(
        [
            # Dash 4's sliders are purple by default: the theme's teal instead.
            dbc.Row(cards, style={"--Dash-Fill-Interactive-Strong": TEAL}),
            html.P(ASSOCIATION_NOTE, className="small text-muted", id="whatif-association-note"),
        ]
    )


def _id_box(kind: str, value: str | None, enabled: bool, placeholder: str) -> dbc.InputGroup:
    """An id input with its Go button (customer or session)."""
    box, go = (
        (ids.WI_CUSTOMER, ids.WI_CUSTOMER_GO)
        if kind == "customer"
        else (ids.WI_SESSION, ids.WI_SESSION_GO)
    )
    return dbc.InputGroup(
        [
            dbc.Input(
                id=box,
                value=value,
                placeholder=placeholder if enabled else "no model",
                disabled=not enabled,
                maxLength=MAX_ID_LENGTH,
            ),
            dbc.Button("Go", id=go, color="primary", disabled=not enabled),
        ],
        size="sm",
        **({"className": "mb-2"} if kind == "customer" else {}),
    )


def picker_card(eng: WhatIf, kind: str | None, key: str | None) -> dbc.Card:
    """Where to start from: a customer id, a segment, or a session id."""
    ctx = context()
    segments = ctx.cached("whatif-segments", (), lambda: eng.segments(ctx.reader))
    segment_picker = dcc.Dropdown(
        id=ids.WI_SEGMENT,
        options=[
            {"label": f"{name} ({members:,})", "value": str(sid)} for sid, name, members in segments
        ],
        value=key if kind == "segment" else None,
        placeholder="choose a segment" if segments else "no segments yet",
        disabled=not segments,
        clearable=False,
        className="mb-2",
    )
    body = [
        dbc.Label("Customer id", html_for=ids.WI_CUSTOMER, className="small"),
        _id_box(
            "customer",
            key if kind == "customer" else None,
            "customer" in eng.entities,
            "e.g. 512000200",
        ),
        dbc.Label("A segment's typical member", html_for=ids.WI_SEGMENT, className="small"),
        segment_picker,
        dbc.Label("Session id", html_for=ids.WI_SESSION, className="small"),
        _id_box(
            "session", key if kind == "session" else None, "session" in eng.entities, "a session id"
        ),
        html.Div(id=ids.WI_PICK_MESSAGE, className="small mt-2"),
    ]
    return dbc.Card([dbc.CardHeader("Start from"), dbc.CardBody(body)], className="mb-3")


def _profile_card(eng: WhatIf, profile: Profile) -> dbc.Card:
    facts: list[Any] = [html.Div(profile.title, className="fw-semibold", id="whatif-title")]
    if profile.as_of is not None:
        facts.append(
            html.Div(f"features as of {profile.as_of:%Y-%m-%d}", className="small text-muted")
        )
    held = eng.held(profile)
    return dbc.Card(
        [
            dbc.CardHeader("Starting profile"),
            dbc.CardBody(
                [
                    *facts,
                    dbc.Button(
                        "Reset to the start",
                        id=ids.WI_RESET,
                        color="primary",
                        outline=True,
                        size="sm",
                        className="mt-2 mb-2 w-100",
                    ),
                    html.Div("Held as they are (not levers):", className="small fw-semibold"),
                    html.Ul([html.Li(h) for h in held], className="small text-muted ps-3 mb-0"),
                ]
            ),
        ],
        className="mb-3",
    )


def _header() -> html.Div:
    return page_header(
        "What-if",
        "Move a behaviour a marketer can influence; the models that scored this warehouse "
        "answer. Each curve shows one lever across its range, everything else held.",
    )


def _curve_target(target: str, options: list[dict[str, str]]) -> html.Div:
    """The choice of output the curves show."""
    return html.Div(
        [
            html.Span("Curves show", className="small fw-semibold me-2"),
            dbc.RadioItems(
                id=ids.WI_TARGET,
                options=options,
                value=target,
                inline=True,
                className="small d-inline-block",
            ),
        ],
        className="mb-2",
    )


def _body(eng: WhatIf, profile: Profile) -> html.Div:
    """Cards, reasons, the curve output choice, the chips and the levers of ``profile``."""
    target = default_target(profile, start_prediction(profile))
    prediction, curves = eng.evaluate(profile, POINTS, curves_of=[target])
    levers = eng.levers(profile)
    outputs = outputs_of(profile.entity)
    options = [
        {"label": column.label, "value": name}
        for name, column in outputs.items()
        if prediction.value(name) is not None
    ]
    reasons_card = dbc.Card(
        [
            dbc.CardHeader(
                [
                    "Top reasons",
                    html.Span(
                        " · TreeSHAP contributions of each model's compact XGBoost "
                        "explainer, strongest first",
                        className="small text-muted",
                    ),
                ]
            ),
            dbc.CardBody(reason_lists(eng.reasons(profile)), id=ids.WI_REASONS),
        ],
        className="mb-3",
    )
    return html.Div(
        [
            html.Div(prediction_cards(profile, prediction, prediction), id=ids.WI_CARDS),
            reasons_card,
            _curve_target(target, options),
            html.Div(change_chips(profile, {}, levers), id=ids.WI_CHANGES, className="mb-2"),
            lever_cards(profile, levers, curves, prediction, target, outputs[target].unit)
            if levers
            else empty_state("No levers", "None of the influenceable behaviours varies here."),
        ]
    )


def layout(**query: Any) -> html.Div:
    header = _header()
    eng = engine()
    if not eng.available:
        return html.Div(
            [
                header,
                empty_state(
                    "No models trained yet",
                    eng.unavailable_reason(),
                    html.Code("shopsight train --db … && shopsight score --db …"),
                ),
            ]
        )
    kind, key = chosen(query)
    try:
        profile = starting_profile(kind, key)
    except ProfileError as exc:
        return html.Div(
            [
                header,
                dbc.Row(
                    [
                        dbc.Col(picker_card(eng, kind, key), lg=3),
                        dbc.Col(error_alert(str(exc), "Cannot start from that profile"), lg=9),
                    ]
                ),
                dcc.Location(id=ids.WI_NAV, refresh="callback-nav"),
            ]
        )
    return html.Div(
        [
            header,
            dcc.Store(id=ids.WI_PROFILE, data={"kind": profile.kind, "key": profile.key}),
            dcc.Location(id=ids.WI_NAV, refresh="callback-nav"),
            dbc.Row(
                [
                    dbc.Col([_profile_card(eng, profile), picker_card(eng, kind, key)], lg=3),
                    dbc.Col(_body(eng, profile), lg=9),
                ]
            ),
        ]
    )


def warm() -> None:
    """Load the models and the default profile (called by ``warm_cache``)."""
    eng = engine()
    if eng.available:
        starting_profile(None, None)
