"""Every callback input checked against its declared type and bounds, in one place.

Each Dash callback is a public POST endpoint: its inputs arrive as whatever JSON a client
sends, not as what the component would produce. A scalar where a list belongs, ``NaN`` in a
slider, a dict as a grid request or a 1 MB campaign name must get a clear message or no
update, never a 500 with a traceback in the log.

A page declares each callback argument next to its dependency and wires the callback with
:func:`wire`; the callback body then sees only values of the declared shape::

    wire(
        app,
        act,  # a module-level function, unit-tested by direct call
        outputs=[Output(ids.RISK_STATUS, "children"), Output(ids.RISK_LOG, "children")],
        args=[
            (Input(ids.RISK_CONTACTED, "n_clicks"), CLICKS),
            (State(ids.RISK_GRID, "selectedRows"), Records({"customer_id": ID}, 5000)),
            (State(ids.RISK_CAMPAIGN, "value"), Text(80, label="campaign name")),
        ],
        invalid=lambda message: (status(message), no_update),
        prevent_initial_call=True,
    )

``invalid`` turns a violation's message into the callback's outputs; without it a bad input
is answered with no update (``PreventUpdate``). Messages name the input and the bound, never
the value, so an oversized value is not echoed back. A :class:`ShopSightError` raised by the
callback (its message is fit for a user) takes the same path.

Pattern-matching inputs (``ALL``) arrive as lists: declare them with :class:`ListOf`.

Before any of this, :func:`check_requests` refuses (400) a request whose envelope does not
fit a server-side callback of the app (an unknown or client-side output, the wrong number of
inputs, an input that is not an ``{id, property, value}`` object), which Dash would answer
with a 500 and a traceback.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import dash
import flask
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from common.errors import ShopSightError

log = logging.getLogger("shopsight.dashboard.inputs")
# Marks a function wrapped by `checked`, so tests can prove every callback goes through it.
CHECKED = "__shopsight_checked__"
DEFAULT_TEXT = 1000
DEFAULT_ITEMS = 1000
MAX_JSON_CHARS = 100_000


class InvalidInput(ValueError):
    """A callback input outside its declared type or bounds; the message names the input
    and the bound, never the value."""


@dataclass(frozen=True)
class Spec:
    """What one callback argument may be. ``optional``: ``None`` is allowed (Dash sends
    ``None`` for a property never set)."""

    optional: bool = field(default=True, kw_only=True)
    label: str = field(default="", kw_only=True)

    def check(self, value: Any) -> Any:
        """``value`` if it fits (possibly normalised), else :class:`InvalidInput`."""
        if value is None:
            if self.optional:
                return None
            raise self.refuse("is required")
        return self.fit(value)

    def fit(self, value: Any) -> Any:
        raise NotImplementedError

    def refuse(self, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.label or 'input'} {problem}")

    def named(self, label: str) -> Spec:
        """This spec, labelled ``label`` unless it already has a label."""
        return self if self.label else replace(self, label=label)


def _is_number(value: Any) -> bool:
    # bool is an int in Python, never a number a control sends.
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Number(Spec):
    """A finite number within [low, high]; ``integer`` also refuses fractions."""

    low: float = -1e15
    high: float = 1e15
    integer: bool = False

    def fit(self, value: Any) -> Any:
        if not _is_number(value) or not math.isfinite(value):
            raise self.refuse("must be a number")
        if self.integer and value != int(value):
            raise self.refuse("must be a whole number")
        if not self.low <= value <= self.high:
            raise self.refuse(f"must be between {self.low:g} and {self.high:g}")
        return int(value) if self.integer else value


@dataclass(frozen=True)
class Text(Spec):
    """A string of at most ``max_length`` characters, matching ``pattern`` if given."""

    max_length: int = DEFAULT_TEXT
    pattern: str | None = None

    def fit(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise self.refuse("must be text")
        if len(value) > self.max_length:
            raise self.refuse(f"is too long (at most {self.max_length:,} characters)")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise self.refuse("is not in the expected form")
        return value


@dataclass(frozen=True)
class Choice(Spec):
    """One of ``values``."""

    values: tuple[Any, ...] = ()

    def fit(self, value: Any) -> Any:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.refuse("is not one of the choices")
        if value not in self.values:
            raise self.refuse("is not one of the choices")
        return value


@dataclass(frozen=True)
class Flag(Spec):
    """A true/false value."""

    def fit(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise self.refuse("must be true or false")
        return value


@dataclass(frozen=True)
class ListOf(Spec):
    """A list of at most ``max_items`` items, each fitting ``item``."""

    item: Spec = field(default_factory=lambda: Text())
    max_items: int = DEFAULT_ITEMS

    def fit(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise self.refuse("must be a list")
        if len(value) > self.max_items:
            raise self.refuse(f"has too many items (at most {self.max_items:,})")
        item = self.item.named(f"an item of {self.label or 'input'}")
        return [item.check(v) for v in value]


@dataclass(frozen=True)
class Struct(Spec):
    """A JSON object; the keys in ``fields`` are checked (missing ones are ``None``), others
    are dropped, so the callback never sees an undeclared key."""

    fields: Mapping[str, Spec] = field(default_factory=dict)

    def fit(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise self.refuse("must be an object")
        out: dict[str, Any] = {}
        for key, spec in self.fields.items():
            out[key] = spec.named(f"{self.label or 'input'}.{key}").check(value.get(key))
        return out


@dataclass(frozen=True)
class Records(Spec):
    """A list of at most ``max_items`` JSON objects (grid rows), each checked by ``fields``."""

    fields: Mapping[str, Spec] = field(default_factory=dict)
    max_items: int = DEFAULT_ITEMS

    def fit(self, value: Any) -> Any:
        row = Struct(fields=self.fields, label=f"a row of {self.label or 'input'}")
        return ListOf(item=row, max_items=self.max_items, label=self.label).fit(value)


@dataclass(frozen=True)
class Json(Spec):
    """Any JSON value of bounded size (e.g. a chart's ``clickData``): the callback still
    inspects it, but never has to walk a megabyte of it."""

    max_chars: int = MAX_JSON_CHARS

    def fit(self, value: Any) -> Any:
        if _json_size(value, self.max_chars) > self.max_chars:
            raise self.refuse(f"is too large (at most {self.max_chars:,} characters)")
        return value


def _json_size(value: Any, limit: int, depth: int = 0) -> int:
    """An upper estimate of the JSON length of ``value``, stopping early past ``limit``."""
    if depth > 32:
        return limit + 1  # deeper than any control nests
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, bool | int | float) or value is None:
        if isinstance(value, float) and not math.isfinite(value):
            return limit + 1  # NaN / Infinity are not JSON
        return 24
    if isinstance(value, list | dict):
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        total = 2
        for key, item in items:
            total += (len(str(key)) + 3 if key is not None else 0) + 1
            total += _json_size(item, limit - total, depth + 1)
            if total > limit:
                return total
        return total
    return limit + 1


CLICKS = Number(0, 1e9, integer=True, label="clicks")
TIMER = Number(0, 1e12, integer=True, label="timer")
ID = Text(200)

Dependency = Input | State
Invalid = Callable[[str], Any]


def checked(specs: Sequence[Spec], invalid: Invalid | None = None) -> Callable[..., Any]:
    """Decorate a callback so each positional argument is checked by the spec at its
    position before the body runs (see the module docstring)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any) -> Any:
            try:
                if len(args) != len(specs):
                    raise InvalidInput("the request does not match this callback")
                values = [spec.check(arg) for spec, arg in zip(specs, args, strict=True)]
                return func(*values)
            except InvalidInput as exc:
                # The message only: the value itself may be a megabyte of anything.
                log.info("%s: input refused: %s", func.__name__, exc)
                return _answer(invalid, str(exc))
            except ShopSightError as exc:
                return _answer(invalid, str(exc))

        setattr(wrapper, CHECKED, True)
        return wrapper

    return decorate


def _answer(invalid: Invalid | None, message: str) -> Any:
    if invalid is None:
        raise PreventUpdate
    return invalid(message)


def wire(
    app: dash.Dash,
    func: Callable[..., Any],
    *,
    outputs: Sequence[Output],
    args: Sequence[tuple[Dependency, Spec]],
    invalid: Invalid | None = None,
    **options: Any,
) -> None:
    """Register ``func`` on ``app`` with its arguments checked (see the module docstring).

    ``args`` pairs each Input/State with its spec, in the order ``func`` takes them; a spec
    without a label is labelled with its component id and property.
    """
    specs = [spec.named(f"{dep.component_id}.{dep.component_property}") for dep, spec in args]
    app.callback(*outputs, *[dep for dep, _ in args], **options)(checked(specs, invalid)(func))


UPDATE_PATH = "_dash-update-component"


def check_requests(app: dash.Dash, foreign: Mapping[str, Sequence[Spec]] | None = None) -> None:
    """Refuse malformed callback requests to ``app`` with 400 before Dash parses them.

    ``foreign`` declares the arguments of callbacks the app does not wire itself (Dash's
    pages router, a library's callbacks), by output: a value outside its spec is answered
    with no update (204), as :func:`wire` does. Register it after the sign-in gate, so a
    signed-out request still gets 401.
    """
    path = app.config.requests_pathname_prefix + UPDATE_PATH
    declared = dict(foreign or {})

    def check() -> tuple[str, int] | None:
        if flask.request.method != "POST" or flask.request.path != path:
            return None
        body = flask.request.get_json(silent=True)
        problem = envelope_problem(app.callback_map, body)
        if problem is not None or not isinstance(body, dict):
            log.info("callback request refused: %s", problem)
            return f"bad callback request: {problem}", 400
        specs = declared.get(body["output"])
        if specs is not None and not _values_fit(specs, body):
            return "", 204
        return None

    app.server.before_request(check)


def envelope_problem(callbacks: Mapping[str, Any], body: Any) -> str | None:
    """What is wrong with a callback request's envelope (not its values), or None."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "not a callback request"
    callback = callbacks.get(body["output"])
    if callback is None or "callback" not in callback:
        return "no server-side callback has these outputs"
    for part in ("inputs", "state"):
        declared = callback.get(part, [])
        sent = body.get(part, [])
        if not isinstance(sent, list) or len(sent) != len(declared):
            return f"{part} do not match the callback"
        for dep, item in zip(declared, sent, strict=True):
            many = '["ALL"]' in str(dep.get("id")) or '["ALLSMALLER"]' in str(dep.get("id"))
            items = item if many and isinstance(item, list) else [item] if not many else None
            if items is None or not all(_is_prop(i) for i in items):
                return f"{part} do not match the callback"
    outputs = body.get("outputs")
    if not isinstance(outputs, dict | list):
        return "outputs do not match the callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    return None


def _values_fit(specs: Sequence[Spec], body: dict[str, Any]) -> bool:
    items = [*body.get("inputs", []), *body.get("state", [])]
    values = [
        [i.get("value") for i in item] if isinstance(item, list) else item.get("value")
        for item in items
    ]
    if len(values) != len(specs):
        return False
    try:
        for spec, value in zip(specs, values, strict=True):
            spec.check(value)
    except InvalidInput as exc:
        log.info("callback input refused: %s", exc)
        return False
    return True


def _is_prop(item: Any) -> bool:
    """An ``{id, property, value}`` object as the renderer sends it."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("property"), str)
        and isinstance(item.get("id"), str | dict)
    )
