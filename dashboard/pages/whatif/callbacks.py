"""The what-if page's callbacks.

Each is a module-level function of plain values (``update_view``, ``reset_values``,
``pick_profile``), callable directly in a test; the Dash callbacks (``update``, ``reset``,
``pick``) only read Dash's callback context into those values, and
:func:`register_callbacks` only wires them. Every callback is a public POST endpoint: what it
receives is validated here, never trusted.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import dash
from dash import ALL, Input, Output, Patch, State, callback_context, html, no_update
from dash.exceptions import PreventUpdate

from analytics.whatif import (
    MAX_ID_LENGTH,
    PROFILE_KINDS,
    Curve,
    Lever,
    Profile,
    ProfileError,
    outputs_of,
)
from dashboard import ids
from dashboard.callback_inputs import CLICKS, Text, wire
from dashboard.components import error_alert
from dashboard.pages.whatif.cards import (
    change_chips,
    curve_warning,
    prediction_cards,
    reason_lists,
)
from dashboard.pages.whatif.figures import curve_figure
from dashboard.pages.whatif.state import (
    PATH,
    POINTS,
    default_target,
    engine,
    start_prediction,
    starting_profile,
)

# The address bar names the profile shown, also when the page started from the default.
_NAME_PROFILE_IN_URL = """
function(profile) {
    if (!profile || !profile.kind) { return window.dash_clientside.no_update; }
    const query = new URLSearchParams({[profile.kind]: profile.key}).toString();
    const url = window.location.pathname + '?' + query;
    if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(null, '', url);
    }
    return window.dash_clientside.no_update;
}
"""


def profile_from_store(data: Any) -> Profile:
    """The starting profile a page's store names, validated like a URL."""
    if not isinstance(data, dict):
        raise PreventUpdate
    kind, key = data.get("kind"), data.get("key")
    if kind not in PROFILE_KINDS or not isinstance(key, str) or len(key) > MAX_ID_LENGTH:
        raise PreventUpdate
    return starting_profile(str(kind), key)


def number(value: Any) -> float | None:
    """A slider value as a finite float; anything else (text, booleans, NaN) as ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    found = float(value)
    return found if math.isfinite(found) else None


def moved_values(moves: list[tuple[Any, Any]], levers: dict[str, Lever]) -> dict[str, float]:
    """The (feature, value) pairs of the sliders that name a lever and hold a number, each
    kept inside its lever's range."""
    moved: dict[str, float] = {}
    for feature, value in moves:
        found = number(value)
        if feature in levers and found is not None:
            moved[feature] = levers[feature].clamp(found)
    return moved


def _figures(
    curves: list[Curve],
    graphs: list[str],
    levers: dict[str, Lever],
    start: Profile,
    target: str,
    now: float | None,
    *,
    full: bool,
) -> list[Any]:
    """One output per curve graph: a whole figure (``full``) or a patch of its numbers."""
    unit = outputs_of(start.entity)[target].unit
    by_feature = {c.feature: c for c in curves}
    figures: list[Any] = []
    for feature in graphs:
        curve = by_feature.get(feature)
        if curve is None:
            figures.append(no_update)
        elif full:
            start_value = start.values.get(feature, math.nan)
            figures.append(curve_figure(curve, levers[feature], target, unit, start_value, now))
        else:
            # Only the numbers change on a slider move: the line's heights and the marker.
            patch = Patch()
            patch["data"][0]["y"] = curve.outputs[target]
            patch["data"][1]["x"] = [curve.current if math.isfinite(curve.current) else None]
            patch["data"][1]["y"] = [now]
            figures.append(patch)
    return figures


def update_view(
    data: Any, target: Any, moves: list[tuple[Any, Any]], graphs: list[str], *, full: bool
) -> tuple[Any, Any, list[Any], Any, list[Any]]:
    """Cards, reasons, curve figures (for ``graphs``, by lever feature), change chips and the
    curves' warnings (also by ``graphs``) for the store's profile with the sliders at
    ``moves``; ``full`` redraws whole figures (the curves' output changed) instead of
    patching their numbers. A warning follows its curve: moving one slider reshapes the
    others' curves, which may then run with or against their lever's plain meaning."""
    eng = engine()
    try:
        start = profile_from_store(data)
    except ProfileError as exc:
        nothing = [no_update] * len(graphs)
        return error_alert(str(exc)), no_update, nothing, no_update, list(nothing)
    levers = {lever.feature: lever for lever in eng.levers(start)}
    moved = moved_values(moves, levers)
    profile = start.with_values(moved)
    before = start_prediction(start)
    outputs = outputs_of(profile.entity)
    if not isinstance(target, str) or target not in outputs or before.value(target) is None:
        target = default_target(profile, before)
    prediction, curves = eng.evaluate(profile, POINTS, curves_of=[target])
    figures = _figures(curves, graphs, levers, start, target, prediction.value(target), full=full)
    by_feature = {c.feature: c for c in curves}
    return (
        prediction_cards(profile, prediction, before),
        reason_lists(eng.reasons(profile)),
        figures,
        change_chips(start, moved, list(levers.values())),
        [curve_warning(by_feature.get(f), target) for f in graphs],
    )


def reset_values(data: Any, features: list[str]) -> list[float | None]:
    """Each slider of ``features`` back to the starting profile's value."""
    try:
        start = profile_from_store(data)
    except ProfileError:
        raise PreventUpdate from None
    out: list[float | None] = []
    for feature in features:
        value = start.values.get(feature, math.nan)
        out.append(value if math.isfinite(value) else None)
    return out


def pick_profile(trigger: Any, customer: Any, segment: Any, session: Any) -> tuple[Any, Any]:
    """Check the start chosen by ``trigger`` (the component that fired) and move the page
    (and the URL) to it, or say why not."""
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
    if len(key) > MAX_ID_LENGTH:
        return no_update, html.Span(f"That is not a {kind} id.", className="text-danger")
    try:
        starting_profile(kind, key)
    except ProfileError as exc:
        return no_update, html.Span(str(exc), className="text-danger")
    return f"{PATH}?{urlencode({kind: key})}", None


# ---------------------------------------------------------------------- the Dash callbacks


def update(values: list[Any], target: Any, data: Any) -> tuple[Any, ...]:
    """A slider moved (or the curve output changed): predictions, reasons and curves."""
    features = [spec.get("id", {}).get("feature") for spec in callback_context.inputs_list[0]]
    graphs = [str(o["id"].get("feature")) for o in callback_context.outputs_list[2]]
    warned = [str(o["id"].get("feature")) for o in callback_context.outputs_list[4]]
    moves = list(zip(features, values or [], strict=False))
    full = callback_context.triggered_id == ids.WI_TARGET
    cards, reasons, figures, chips, warnings = update_view(data, target, moves, graphs, full=full)
    # The warnings' places are the curves' (one per lever card), in the browser's order.
    by_graph = dict(zip(graphs, warnings, strict=True))
    return cards, reasons, figures, chips, [by_graph.get(f, no_update) for f in warned]


def reset(_: Any, data: Any) -> list[float | None]:
    """Every slider back to the starting profile's value."""
    return reset_values(data, [spec["id"]["feature"] for spec in callback_context.outputs_list])


def pick(*args: Any) -> tuple[Any, Any]:
    """Check the chosen start and move the page (and the URL) to it."""
    customer, segment, session = args[-2], args[2], args[-1]
    return pick_profile(callback_context.triggered_id, customer, segment, session)


def _pick_invalid(message: str) -> tuple[Any, Any]:
    return no_update, html.Span(
        f"Not a start the page can use: {message}.", className="text-danger"
    )


# The start a visitor may choose: ids are text of bounded length (the page checks them against
# the warehouse); a segment is one of the picker's ids, which are whole numbers.
_SEGMENT_ID = Text(12, pattern=r"^-?\d{1,9}$", label="segment")
_PICK_ARGS = (
    (Input(ids.WI_CUSTOMER_GO, "n_clicks"), CLICKS),
    (Input(ids.WI_CUSTOMER, "n_submit"), CLICKS),
    (Input(ids.WI_SEGMENT, "value"), _SEGMENT_ID),
    (Input(ids.WI_SESSION_GO, "n_clicks"), CLICKS),
    (Input(ids.WI_SESSION, "n_submit"), CLICKS),
    (State(ids.WI_CUSTOMER, "value"), Text(MAX_ID_LENGTH, label="customer id")),
    (State(ids.WI_SESSION, "value"), Text(MAX_ID_LENGTH, label="session id")),
)


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(ids.WI_CARDS, "children"),
        Output(ids.WI_REASONS, "children"),
        Output({"type": ids.WI_CURVE, "feature": ALL}, "figure"),
        Output(ids.WI_CHANGES, "children"),
        Output({"type": ids.WI_CURVE_WARNING, "feature": ALL}, "children"),
        Input({"type": ids.WI_SLIDER, "feature": ALL}, "value"),
        Input(ids.WI_TARGET, "value"),
        State(ids.WI_PROFILE, "data"),
        prevent_initial_call=True,
    )(update)
    app.callback(
        Output({"type": ids.WI_SLIDER, "feature": ALL}, "value"),
        Input(ids.WI_RESET, "n_clicks"),
        State(ids.WI_PROFILE, "data"),
        prevent_initial_call=True,
    )(reset)
    wire(
        app,
        pick,
        outputs=[Output(ids.WI_NAV, "href"), Output(ids.WI_PICK_MESSAGE, "children")],
        args=_PICK_ARGS,
        invalid=_pick_invalid,
        prevent_initial_call=True,
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        _NAME_PROFILE_IN_URL,
        Output(ids.WI_PROFILE, "id"),
        Input(ids.WI_PROFILE, "data"),
    )
