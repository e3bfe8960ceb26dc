"""The filter controls, generated from the filter table (``analytics.cohort_filters``), and
the query they describe.

Each filter's ``control`` names the component that sets it; every component carries a
pattern id (``ids.FILTER`` / ``ids.FILTER_DATES`` with the filter's key), so one callback
reads them all and the facet charts reach their own control with MATCH.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.cohort import Cohort, CohortError, quoted
from analytics.cohort_filters import FILTERS, CohortFilter
from dashboard import ids


@dataclass(frozen=True)
class ControlData:
    """What a control needs to know about the data beside the cohort."""

    available: bool = True
    # (value, label) pairs a choice offers, most frequent first.
    options: list[tuple[str, str]] = field(default_factory=list)
    span: tuple[date | None, date | None] = (None, None)


def control_keys(filt: CohortFilter) -> tuple[str, ...]:
    """The keys of the pattern ids of ``filt``'s control components."""
    return filt.query_keys if filt.control == "number_pair" else (filt.key,)


def control(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    """The labelled control for ``filt``, set to ``cohort``'s value."""
    made = _BUILDERS[filt.control](filt, cohort, data)
    if filt.control == "switch":  # a switch carries its label itself
        return made
    return html.Div([dbc.Label(filt.label), made], className="mb-2")


def _date_range(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    low, high = filt.query_keys
    return dcc.DatePickerRange(
        id={"type": ids.FILTER_DATES, "key": filt.key},
        start_date=_iso(cohort.get(low)),
        end_date=_iso(cohort.get(high)),
        min_date_allowed=_iso(data.span[0]),
        max_date_allowed=_iso(data.span[1]),
        initial_visible_month=_iso(data.span[1]),
        display_format="YYYY-MM-DD",
        clearable=True,
        disabled=not data.available,
    )


def _iso(value: object) -> str | None:
    """A date as the date picker takes it (``YYYY-MM-DD``), or None."""
    return value.isoformat() if isinstance(value, date) else None


def _chosen(cohort: Cohort, key: str) -> list[str]:
    """The values chosen for choice filter ``key`` (none when it is not set)."""
    value = cohort.get(key)
    return list(value) if isinstance(value, tuple) else []


def _bound(cohort: Cohort, key: str) -> float | None:
    """The number set for range bound ``key``, or None."""
    value = cohort.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dropdown(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    options = data.options if data.available else []
    return dcc.Dropdown(
        id=ids.filter_id(filt.key),
        options=[
            {"label": f"{label} ({value})" if label != value else value, "value": value}
            for value, label in options
        ],
        value=_chosen(cohort, filt.key),
        multi=True,
        placeholder="any" if options else "not in this data",
        disabled=not options,
    )


def _checklist(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    return dcc.Checklist(
        id=ids.filter_id(filt.key),
        options=[
            {"label": f" {c}", "value": c, "disabled": not data.available} for c in filt.choices
        ],
        value=_chosen(cohort, filt.key),
        inline=True,
        inputClassName="me-1",
        labelClassName="me-3",
    )


def _slider(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    (low, high), (lo_key, hi_key) = filt.bounds, filt.query_keys
    if high is None:  # a slider needs both ends: the filter table gives them to probabilities
        raise ValueError(f"filter {filt.key!r} has no upper bound for a slider")
    lo, hi = _bound(cohort, lo_key), _bound(cohort, hi_key)
    return dcc.RangeSlider(
        id=ids.filter_id(filt.key),
        min=low,
        max=high,
        step=0.05,
        value=[low if lo is None else lo, high if hi is None else hi],
        marks={0: "0", 0.5: "50%", 1: "100%"},
        disabled=not data.available,
        tooltip={"placement": "bottom"},
    )


def _number_input(key: str, value: Any, available: bool, **props: Any) -> dbc.Input:
    return dbc.Input(
        id=ids.filter_id(key),
        type="number",
        min=0,
        value=value,
        debounce=True,
        disabled=not available,
        **props,
    )


def _number_pair(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    return dbc.InputGroup(
        [
            _number_input(key, cohort.get(key), data.available, placeholder=side)
            for key, side in zip(filt.query_keys, ("min", "max"), strict=True)
        ],
        size="sm",
    )


def _number(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    return _number_input(filt.key, cohort.get(filt.key), data.available, step=1)


def _switch(filt: CohortFilter, cohort: Cohort, data: ControlData) -> Any:
    return dbc.Checklist(
        id=ids.filter_id(filt.key),
        options=[{"label": filt.label, "value": "1", "disabled": not data.available}],
        value=["1"] if cohort.get(filt.key) else [],
        switch=True,
        className="mb-2",
    )


_BUILDERS: dict[str, Callable[[CohortFilter, Cohort, ControlData], Any]] = {
    "date_range": _date_range,
    "dropdown": _dropdown,
    "checklist": _checklist,
    "slider": _slider,
    "number_pair": _number_pair,
    "number": _number,
    "switch": _switch,
}


# ---- reading the controls back -------------------------------------------------------------
def query_from_controls(
    values: Mapping[str, Any], dates: Mapping[str, tuple[Any, Any]]
) -> dict[str, Any]:
    """The cohort query the controls describe, by query key.

    ``values`` maps each ``ids.FILTER`` id's key to its value, ``dates`` each date range's key
    to (start, end). A full slider range means "no filter". Values of the wrong shape (a
    crafted request) raise :class:`CohortError` naming the control.
    """
    known = {key: filt for filt in FILTERS for key in control_keys(filt)}
    for key in [*values, *dates]:
        if key not in known:
            raise CohortError(str(key), "no such filter control")
    query: dict[str, Any] = {}
    for filt in FILTERS:
        if filt.control == "date_range":
            query.update(_read_dates(filt, dates.get(filt.key, (None, None))))
        else:
            query.update(_READERS[filt.control](filt, values))
    return query


def _read_dates(filt: CohortFilter, span: tuple[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in zip(filt.query_keys, span, strict=True):
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise CohortError(key, f"{quoted(value)} is not a date")
        out[key] = value[:10]  # the picker may send a time after the date
    return out


def _read_choices(filt: CohortFilter, values: Mapping[str, Any]) -> dict[str, Any]:
    chosen = values.get(filt.key) or []
    if not isinstance(chosen, list) or not all(isinstance(v, str | int | float) for v in chosen):
        raise CohortError(filt.key, "expects a list of values")
    return {filt.key: [str(v) for v in chosen]} if chosen else {}


def _read_slider(filt: CohortFilter, values: Mapping[str, Any]) -> dict[str, Any]:
    (low, high), (lo_key, hi_key) = filt.bounds, filt.query_keys
    chosen = values.get(filt.key) or [low, high]
    if (
        not isinstance(chosen, list)
        or len(chosen) != 2
        or not all(v is None or _is_number(v) for v in chosen)
    ):
        raise CohortError(filt.key, "expects a range of two numbers")
    lo, hi = chosen
    out: dict[str, Any] = {}
    if lo is not None and lo > low:
        out[lo_key] = lo
    if hi is not None and (high is None or hi < high):
        out[hi_key] = hi
    return out


def _read_numbers(filt: CohortFilter, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in control_keys(filt):
        value = values.get(key)
        if value in (None, ""):
            continue
        if not (_is_number(value) or isinstance(value, str)):
            raise CohortError(key, f"{quoted(value)} is not a number")
        out[key] = value
    return out


def _read_switch(filt: CohortFilter, values: Mapping[str, Any]) -> dict[str, Any]:
    chosen = values.get(filt.key) or []
    if not isinstance(chosen, list):
        raise CohortError(filt.key, "expects a list of values")
    return {filt.key: "1"} if chosen else {}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_READERS: dict[str, Callable[[CohortFilter, Mapping[str, Any]], dict[str, Any]]] = {
    "dropdown": _read_choices,
    "checklist": _read_choices,
    "slider": _read_slider,
    "number_pair": _read_numbers,
    "number": _read_numbers,
    "switch": _read_switch,
}
