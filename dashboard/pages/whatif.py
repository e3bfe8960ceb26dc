"""What-if: start from a customer, a segment's typical member or a session, move the
behaviours a marketer can influence, and watch purchase chance, revenue, churn tier and value
at risk respond, with a sensitivity curve under every slider and the top reasons.

The starting profile is in the URL (``?customer=ID``, ``?segment=ID``, ``?session=ID``);
without one the page starts from the customer with the highest value at risk. Slider moves
run one callback that recomputes the predictions and every curve from the models already in
memory (the engine is built once per build) and patches only the curves' numbers.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, callback_context, dcc, html, no_update
from dash.exceptions import PreventUpdate

from analytics.whatif import (
    CUSTOMER_OUTPUTS,
    PROFILE_KINDS,
    SESSION_OUTPUTS,
    Curve,
    Lever,
    Prediction,
    Profile,
    ProfileError,
    Reasons,
    WhatIf,
)
from dashboard import ids
from dashboard.components import empty_state, error_alert, page_header
from dashboard.context import context
from dashboard.figures import AMBER, NAVY, RED, TEAL, TIER_COLOURS, figure
from models.tiers import HIGH_RISK, MEDIUM_RISK
from warehouse.reader import WarehouseReader

PATH = "/what-if"
TITLE = "What-if"
#: Points on each sensitivity curve.
POINTS = 21
#: Outputs where a rise is bad news (coloured red when they go up).
WORSE_WHEN_HIGHER = frozenset({"churn_prob", "value_at_risk"})

# The engine of the build each reader serves, kept beyond the result cache's time limit:
# loading refits any scikit-learn model from its stored rows (11 s for a random forest on
# the 100k-customer benchmark), which must not recur every few minutes on a slider move.
_ENGINES: weakref.WeakKeyDictionary[WarehouseReader, tuple[str, WhatIf]] = (
    weakref.WeakKeyDictionary()
)
_ENGINES_LOCK = threading.Lock()


def engine() -> WhatIf:
    """The what-if engine of the build being served (built once per build)."""
    ctx = context()

    def load() -> WhatIf:
        build = os.path.realpath(ctx.reader.db_path)
        with _ENGINES_LOCK:
            kept = _ENGINES.get(ctx.reader)
        if kept is not None and kept[0] == build:
            return kept[1]
        fresh = WhatIf.load(ctx.reader)
        with _ENGINES_LOCK:
            _ENGINES[ctx.reader] = (build, fresh)
        return fresh

    return ctx.cached("whatif-engine", (), load)


def starting_profile(kind: str | None, key: str | None) -> Profile:
    """The profile a URL names, or the default one (cached per build)."""
    ctx = context()
    eng = engine()
    if kind is None:
        return ctx.cached("whatif-default", (), lambda: eng.default_profile(ctx.reader))
    if kind not in PROFILE_KINDS:
        raise ProfileError(f"{str(kind)[:40]!r} is not a customer, segment or session")
    return ctx.cached("whatif-profile", (kind, key), lambda: eng.profile(ctx.reader, kind, key))


def start_prediction(profile: Profile) -> Prediction:
    """The starting profile's prediction (cached: every slider move compares against it)."""
    return context().cached(
        "whatif-start", (profile.kind, profile.key), lambda: engine().predict(profile)
    )


def _chosen(query: dict[str, Any]) -> tuple[str | None, str | None]:
    for kind in PROFILE_KINDS:
        value = query.get(kind)
        if isinstance(value, list):
            value = value[0] if value else None
        if value not in (None, ""):
            return kind, str(value)
    return None, None


def _outputs(entity: str) -> dict[str, tuple[str, str, str | None]]:
    return CUSTOMER_OUTPUTS if entity == "customer" else SESSION_OUTPUTS


def default_target(profile: Profile, prediction: Prediction) -> str:
    """The output the curves show first: churn for customers, conversion for sessions."""
    preferred: tuple[str, ...] = (
        ("churn_prob", "purchase_prob") if profile.entity == "customer" else ()
    )
    for name in (*preferred, *_outputs(profile.entity)):
        if prediction.value(name) is not None:
            return name
    return next(iter(_outputs(profile.entity)))


# ---------------------------------------------------------------------- formatting


def _fmt(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "probability":
        return f"{value:.1%}"
    return f"{value:,.2f}"


def _fmt_lever(value: float, lever: Lever) -> str:
    if not math.isfinite(value):
        return "unknown"
    if lever.integer:
        return f"{value:,.0f}"
    if lever.unit == "rate" and lever.high <= 1:
        return f"{value:.3f}"
    return f"{value:,.2f}" if lever.unit == "money" else f"{value:,.1f}"


def _delta(name: str, now: float | None, start: float | None, unit: str) -> Any:
    if now is None or start is None:
        return None
    change = now - start
    if abs(change) < 1e-9:
        return html.Span("unchanged", className="text-muted")
    worse = (change > 0) == (name in WORSE_WHEN_HIGHER)
    text = f"{change * 100:+.1f} pts" if unit == "probability" else f"{change:+,.2f}"
    return html.Span(text, className="text-danger" if worse else "text-success")


def prediction_cards(profile: Profile, now: Prediction, start: Prediction) -> list[Any]:
    """One card per output: the value now, the change from the start, the model version."""
    cols = []
    for name, (label, unit, _) in _outputs(profile.entity).items():
        estimate = now.estimates[name]
        body: list[Any] = [html.Div(label, className="kpi-label")]
        if not estimate.available:
            body += [
                html.Div("—", className="kpi-value", id=f"whatif-value-{name}"),
                html.Div(estimate.describe(), className="small text-muted"),
            ]
        else:
            value = html.Div(_fmt(estimate.value, unit), id=f"whatif-value-{name}")
            if name == "churn_prob" and now.churn_tier:
                value = html.Div(
                    [
                        dbc.Badge(
                            now.churn_tier,
                            color=TIER_COLOURS.get(now.churn_tier, NAVY),
                            className="me-2 align-middle",
                            id="whatif-churn-tier",
                        ),
                        html.Span(_fmt(estimate.value, unit), id=f"whatif-value-{name}"),
                    ]
                )
            body += [
                html.Div(value, className="kpi-value"),
                html.Div(
                    [
                        f"start {_fmt(start.value(name), unit)} · ",
                        _delta(name, estimate.value, start.value(name), unit),
                    ],
                    className="small",
                ),
                html.Div(
                    estimate.model_version,
                    className="small text-muted text-truncate",
                    title=estimate.model_version,
                ),
            ]
        cols.append(
            dbc.Col(
                dbc.Card(dbc.CardBody(body), className="kpi-card h-100"),
                md=6,
                xl=3,
                className="mb-3",
            )
        )
    return [dbc.Row(cols)]


def reason_lists(reasons: list[Reasons]) -> Any:
    """The three strongest reasons per model, in words."""
    if not reasons:
        return html.Span("No model explains this profile.", className="text-muted small")
    return dbc.Row(
        [
            dbc.Col(
                [
                    html.Div(r.outcome.capitalize(), className="fw-semibold small mb-1"),
                    html.Ol([html.Li(t) for t in r.texts], className="small ps-3 mb-2"),
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
                f"{lever.label}: {_fmt_lever(start, lever)} → {_fmt_lever(now, lever)}",
                color="primary",
                className="me-1 mb-1",
            )
        )
    if not chips:
        return html.Span("As the starting profile.", className="text-muted small")
    return chips


def curve_figure(
    curve: Curve, lever: Lever, target: str, unit: str, start: float, now: float | None
) -> Any:
    """A small line chart of ``target`` across the lever, with a marker at the current value
    and prediction ``now`` (trace 1) and a dotted line at the starting value."""
    ys = curve.outputs.get(target) or []
    probability = unit == "probability"
    shapes: list[dict[str, Any]] = []
    if target == "churn_prob":
        # The churn tiers as background bands.
        for low, high, colour in ((HIGH_RISK, 1.0, RED), (MEDIUM_RISK, HIGH_RISK, AMBER)):
            shapes.append(
                {
                    "type": "rect",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "yref": "y",
                    "y0": low,
                    "y1": high,
                    "fillcolor": colour,
                    "opacity": 0.08,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    if math.isfinite(start):
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": start,
                "x1": start,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#95a5a6", "width": 1, "dash": "dot"},
            }
        )
    ticks = [0, MEDIUM_RISK, HIGH_RISK, 1] if target == "churn_prob" else [0, 0.5, 1]
    hover = "%{x}: %{y:.1%}<extra></extra>" if probability else "%{x}: %{y:,.2f}<extra></extra>"
    return figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "x": curve.xs,
                "y": ys,
                "line": {"color": TEAL, "width": 2},
                "hovertemplate": hover,
            },
            {
                "type": "scatter",
                "mode": "markers",
                "x": [curve.current if math.isfinite(curve.current) else None],
                "y": [now],
                "marker": {"color": NAVY, "size": 10, "line": {"color": "#fff", "width": 2}},
                "hovertemplate": "now " + hover,
            },
        ],
        150,
        margin={"l": 44, "r": 8, "t": 6, "b": 24},
        showlegend=False,
        shapes=shapes,
        xaxis={"range": [lever.low, lever.high], "fixedrange": True, "zeroline": False},
        yaxis={
            "fixedrange": True,
            "zeroline": False,
            **(
                {"range": [0, 1], "tickformat": ".0%", "tickvals": ticks}
                if probability
                else {"rangemode": "tozero"}
            ),
        },
    )


def lever_cards(
    profile: Profile,
    levers: list[Lever],
    curves: list[Curve],
    prediction: Prediction,
    target: str,
    unit: str,
) -> Any:
    """One card per lever: its words, the slider, and the sensitivity curve under it."""
    by_feature = {c.feature: c for c in curves}
    cards = []
    for lever in levers:
        start = profile.values.get(lever.feature, math.nan)
        curve = by_feature[lever.feature]
        cards.append(
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(
                                [
                                    html.Span(lever.label, className="fw-semibold"),
                                    html.Span(
                                        f"start {_fmt_lever(start, lever)}",
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
                                # The number box is sized for whole numbers: money and
                                # rates overflow it, and show in the tooltip and chips.
                                allow_direct_input=lever.integer,
                            ),
                            dcc.Graph(
                                id={"type": ids.WI_CURVE, "feature": lever.feature},
                                figure=curve_figure(
                                    curve, lever, target, unit, start, prediction.value(target)
                                ),
                                config={"displayModeBar": False},
                                style={"height": "150px"},
                            ),
                        ],
                        className="p-2",
                    ),
                    className="h-100",
                ),
                md=6,
                xl=4,
                className="mb-3",
            )
        )
    # Dash 4's sliders are purple by default: the theme's teal instead.
    return dbc.Row(cards, style={"--Dash-Fill-Interactive-Strong": TEAL})


def picker_card(eng: WhatIf, kind: str | None, key: str | None) -> dbc.Card:
    """Where to start from: a customer id, a segment, or a session id."""
    ctx = context()
    segments = ctx.cached("whatif-segments", (), lambda: eng.segments(ctx.reader))
    has_customers = "customer" in eng.entities
    has_sessions = "session" in eng.entities
    return dbc.Card(
        [
            dbc.CardHeader("Start from"),
            dbc.CardBody(
                [
                    dbc.Label("Customer id", html_for=ids.WI_CUSTOMER, className="small"),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=ids.WI_CUSTOMER,
                                value=key if kind == "customer" else None,
                                placeholder="e.g. 512000200" if has_customers else "no model",
                                disabled=not has_customers,
                                maxLength=200,
                            ),
                            dbc.Button(
                                "Go",
                                id=ids.WI_CUSTOMER_GO,
                                color="primary",
                                disabled=not has_customers,
                            ),
                        ],
                        size="sm",
                        className="mb-2",
                    ),
                    dbc.Label(
                        "A segment's typical member", html_for=ids.WI_SEGMENT, className="small"
                    ),
                    dcc.Dropdown(
                        id=ids.WI_SEGMENT,
                        options=[
                            {"label": f"{name} ({members:,})", "value": str(sid)}
                            for sid, name, members in segments
                        ],
                        value=key if kind == "segment" else None,
                        placeholder="choose a segment" if segments else "no segments yet",
                        disabled=not segments,
                        clearable=False,
                        className="mb-2",
                    ),
                    dbc.Label("Session id", html_for=ids.WI_SESSION, className="small"),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=ids.WI_SESSION,
                                value=key if kind == "session" else None,
                                placeholder="a session id" if has_sessions else "no model",
                                disabled=not has_sessions,
                                maxLength=200,
                            ),
                            dbc.Button(
                                "Go",
                                id=ids.WI_SESSION_GO,
                                color="primary",
                                disabled=not has_sessions,
                            ),
                        ],
                        size="sm",
                    ),
                    html.Div(id=ids.WI_PICK_MESSAGE, className="small mt-2"),
                ]
            ),
        ],
        className="mb-3",
    )


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


def layout(**query: Any) -> html.Div:
    header = page_header(
        "What-if",
        "Move a behaviour a marketer can influence; the models that scored this warehouse "
        "answer. Each curve shows one lever across its range, everything else held.",
    )
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
    kind, key = _chosen(query)
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
    target = default_target(profile, start_prediction(profile))
    prediction, curves = eng.evaluate(profile, POINTS, curves_of=[target])
    levers = eng.levers(profile)
    unit = _outputs(profile.entity)[target][1]
    options = [
        {"label": label, "value": name}
        for name, (label, _, _) in _outputs(profile.entity).items()
        if prediction.value(name) is not None
    ]
    body = html.Div(
        [
            html.Div(prediction_cards(profile, prediction, prediction), id=ids.WI_CARDS),
            dbc.Card(
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
            ),
            html.Div(
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
            ),
            html.Div(change_chips(profile, {}, levers), id=ids.WI_CHANGES, className="mb-2"),
            lever_cards(profile, levers, curves, prediction, target, unit)
            if levers
            else empty_state("No levers", "None of the influenceable behaviours varies here."),
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
                    dbc.Col(body, lg=9),
                ]
            ),
        ]
    )


def warm() -> None:
    """Load the models and the default profile (called by ``warm_cache``)."""
    eng = engine()
    if eng.available:
        starting_profile(None, None)


def _profile_from_store(data: Any) -> Profile:
    """The starting profile a page's store names, validated like a URL."""
    if not isinstance(data, dict):
        raise PreventUpdate
    kind, key = data.get("kind"), data.get("key")
    if kind not in PROFILE_KINDS or not isinstance(key, str) or len(key) > 200:
        raise PreventUpdate
    return starting_profile(str(kind), key)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.WI_CARDS, "children"),
        Output(ids.WI_REASONS, "children"),
        Output({"type": ids.WI_CURVE, "feature": ALL}, "figure"),
        Output(ids.WI_CHANGES, "children"),
        Input({"type": ids.WI_SLIDER, "feature": ALL}, "value"),
        Input(ids.WI_TARGET, "value"),
        State(ids.WI_PROFILE, "data"),
        prevent_initial_call=True,
    )
    def update(values: list[Any], target: Any, data: Any) -> tuple[Any, ...]:
        """A slider moved (or the curve output changed): predictions, reasons and curves."""
        eng = engine()
        try:
            start = _profile_from_store(data)
        except ProfileError as exc:
            return error_alert(str(exc)), no_update, [no_update] * len(_curve_ids()), no_update
        levers = {lever.feature: lever for lever in eng.levers(start)}
        moved: dict[str, float] = {}
        for spec, value in zip(callback_context.inputs_list[0], values or [], strict=False):
            feature = spec.get("id", {}).get("feature")
            number = _number(value)
            if feature in levers and number is not None:
                moved[feature] = levers[feature].clamp(number)
        profile = start.with_values(moved)
        before = start_prediction(start)
        outputs = _outputs(profile.entity)
        if not isinstance(target, str) or target not in outputs or before.value(target) is None:
            target = default_target(profile, before)
        prediction, curves = eng.evaluate(profile, POINTS, curves_of=[target])
        unit = outputs[target][1]
        by_feature = {c.feature: c for c in curves}
        now = prediction.value(target)
        full = callback_context.triggered_id == ids.WI_TARGET
        figures: list[Any] = []
        for graph in _curve_ids():
            feature = str(graph.get("feature"))
            curve = by_feature.get(feature)
            if curve is None:
                figures.append(no_update)
            elif full:
                figures.append(
                    curve_figure(
                        curve,
                        levers[feature],
                        target,
                        unit,
                        start.values.get(feature, math.nan),
                        now,
                    )
                )
            else:
                # Only the numbers change on a slider move: the line's heights and the marker.
                patch = Patch()
                patch["data"][0]["y"] = curve.outputs[target]
                patch["data"][1]["x"] = [curve.current if math.isfinite(curve.current) else None]
                patch["data"][1]["y"] = [now]
                figures.append(patch)
        return (
            prediction_cards(profile, prediction, before),
            reason_lists(eng.reasons(profile)),
            figures,
            change_chips(start, moved, list(levers.values())),
        )

    @app.callback(
        Output({"type": ids.WI_SLIDER, "feature": ALL}, "value"),
        Input(ids.WI_RESET, "n_clicks"),
        State(ids.WI_PROFILE, "data"),
        prevent_initial_call=True,
    )
    def reset(_: Any, data: Any) -> list[Any]:
        """Every slider back to the starting profile's value."""
        try:
            start = _profile_from_store(data)
        except ProfileError:
            raise PreventUpdate from None
        out = []
        for spec in callback_context.outputs_list:
            value = start.values.get(spec["id"]["feature"], math.nan)
            out.append(value if math.isfinite(value) else None)
        return out

    @app.callback(
        Output(ids.WI_NAV, "href"),
        Output(ids.WI_PICK_MESSAGE, "children"),
        Input(ids.WI_CUSTOMER_GO, "n_clicks"),
        Input(ids.WI_CUSTOMER, "n_submit"),
        Input(ids.WI_SEGMENT, "value"),
        Input(ids.WI_SESSION_GO, "n_clicks"),
        Input(ids.WI_SESSION, "n_submit"),
        State(ids.WI_CUSTOMER, "value"),
        State(ids.WI_SESSION, "value"),
        prevent_initial_call=True,
    )
    def pick(*args: Any) -> tuple[Any, Any]:
        """Check the chosen start and move the page (and the URL) to it."""
        customer, session = args[-2], args[-1]
        segment = args[2]
        trigger = callback_context.triggered_id
        if trigger in (ids.WI_CUSTOMER_GO, ids.WI_CUSTOMER):
            kind, key = "customer", customer
        elif trigger == ids.WI_SEGMENT:
            kind, key = "segment", segment
        elif trigger in (ids.WI_SESSION_GO, ids.WI_SESSION):
            kind, key = "session", session
        else:
            raise PreventUpdate
        if key is None or not str(key).strip():
            return no_update, html.Span(f"Enter a {kind} id.", className="text-danger")
        key = str(key).strip()
        if len(key) > 200:
            return no_update, html.Span(f"That is not a {kind} id.", className="text-danger")
        try:
            starting_profile(kind, key)
        except ProfileError as exc:
            return no_update, html.Span(str(exc), className="text-danger")
        return f"{PATH}?{urlencode({kind: key})}", None

    # The address bar names the profile shown, also when the page started from the default.
    app.clientside_callback(
        """
        function(profile) {
            if (!profile || !profile.kind) { return window.dash_clientside.no_update; }
            const query = new URLSearchParams({[profile.kind]: profile.key}).toString();
            const url = window.location.pathname + '?' + query;
            if (url !== window.location.pathname + window.location.search) {
                window.history.replaceState(null, '', url);
            }
            return window.dash_clientside.no_update;
        }
        """,
        Output(ids.WI_PROFILE, "id"),
        Input(ids.WI_PROFILE, "data"),
    )


def _curve_ids() -> list[dict[str, Any]]:
    """Ids of the curve graphs this request writes, in the order Dash expects them."""
    outputs = callback_context.outputs_list
    found: list[dict[str, Any]] = [o["id"] for o in outputs[2]]
    return found
