"""What each Cohorts-page callback accepts, declared for ``dashboard.callback_inputs.wire``.

The specs bound the type and size of what a client may send; what a value means (a month
that is not a month, a negative count) is the cohort's to judge, with a message naming the
filter. The filter controls' specs derive from the filter table, like the controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.cohort import MAX_LIST, MAX_TEXT
from analytics.cohort_filters import FACET_FILTERS, FILTERS, CohortFilter
from dashboard import ids
from dashboard.callback_inputs import (
    Choice,
    InvalidInput,
    Json,
    ListOf,
    Number,
    Spec,
    Struct,
    Text,
)
from dashboard.pages.cohorts.controls import control_keys
from dashboard.pages.cohorts.figures import GRID_COLUMNS

# A query string far longer than the filter panel can make (every dropdown option chosen is a
# few kilobytes); the address bar and saved cohorts carry the same string.
MAX_QUERY = 50_000
MAX_NAME = 80
# A bar chart's clickData is a point or two; a megabyte of it is not a click.
MAX_CLICK = 10_000
# An ISO date, with the time the date picker may append.
DATE_CHARS = 40


@dataclass(frozen=True)
class AnyOf(Spec):
    """A value fitting one of ``options`` (the first that fits normalises it).

    The filter controls reach one callback through one pattern-matching (ALL) input, so a
    value's spec cannot depend on which control sent it: each must be a value some control
    sends, and the filter it belongs to then checks what it means.
    """

    options: tuple[Spec, ...] = ()

    def fit(self, value: Any) -> Any:
        for option in self.options:
            try:
                return option.fit(value)
            except InvalidInput:
                continue
        raise self.refuse("is not a value a filter control sends")


def control_value(filt: CohortFilter) -> Spec:
    """The shape of the value ``filt``'s control sends."""
    if filt.control == "checklist" and filt.choices:
        return ListOf(item=Choice(values=filt.choices), max_items=len(filt.choices))
    if filt.control in ("dropdown", "checklist"):
        return ListOf(item=Text(MAX_TEXT), max_items=MAX_LIST)
    if filt.control == "switch":
        return ListOf(item=Choice(values=("1",)), max_items=1)
    if filt.control == "slider":
        low, high = filt.bounds
        return ListOf(item=Number(low, 1e15 if high is None else high), max_items=2)
    # A number input: any finite number, so a negative count gets the filter's own message.
    return Number()


def _controls(type_: str, keys: tuple[str, ...], label: str) -> ListOf:
    """The ids of the ALL-matched controls: each names its own pattern type and a known key."""
    one = Struct(
        fields={
            "type": Choice(values=(type_,), optional=False),
            "key": Choice(values=keys, optional=False),
        }
    )
    return ListOf(item=one, max_items=len(keys), label=label)


_VALUE_KEYS = tuple(k for f in FILTERS if f.control != "date_range" for k in control_keys(f))
_DATE_KEYS = tuple(f.key for f in FILTERS if f.control == "date_range")
_SHAPES = tuple(dict.fromkeys(control_value(f) for f in FILTERS if f.control != "date_range"))

FILTER_VALUES = ListOf(
    item=AnyOf(options=_SHAPES), max_items=len(_VALUE_KEYS), label="filter values"
)
FILTER_IDS = _controls(ids.FILTER, _VALUE_KEYS, "filter controls")
DATES = ListOf(item=Text(DATE_CHARS), max_items=len(_DATE_KEYS), label="filter dates")
DATE_IDS = _controls(ids.FILTER_DATES, _DATE_KEYS, "date ranges")

# What a facet bar click may add to: a choice filter's value list.
CHOSEN = ListOf(item=Text(MAX_TEXT), max_items=MAX_LIST, label="filter value")
CLICK = Json(max_chars=MAX_CLICK, label="chart click")
FACET_ID = Struct(
    fields={
        "type": Choice(values=(ids.FACET_GRAPH,), optional=False),
        "key": Choice(values=tuple(f.key for f in FACET_FILTERS), optional=False),
    },
    label="facet chart",
)

QUERY = Text(MAX_QUERY, label="cohort query")
_SORT = Struct(
    fields={
        "colId": Choice(values=GRID_COLUMNS, optional=False),
        "sort": Choice(values=("asc", "desc"), optional=False),
    }
)
# AG Grid's infinite-model request; its other keys (filter model, context) are not used.
ROWS_REQUEST = Struct(
    fields={
        "startRow": Number(0, 1e9, integer=True),
        "endRow": Number(0, 1e9, integer=True),
        "sortModel": ListOf(item=_SORT, max_items=len(GRID_COLUMNS)),
    },
    label="rows request",
)
HOLDOUT = Number(0, 0.9, label="hold-out share")
NAME = Text(MAX_NAME, label="cohort name")
SAVED_NAME = Text(MAX_NAME, label="saved cohort")
