"""A cohort: a set of customers (and their sessions) described by a URL query string.

The same string drives the dashboard page, the live count, the customer table and the
export (``?country=UK&churn_tier=High&min_churn_prob=0.6``), so a view can be shared,
reloaded and reproduced from the command line.

Every key is declared, with its type, in :mod:`analytics.cohort_filters`; a bad value raises
:class:`CohortError` naming the key, and values only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode

from analytics.cohort_filters import BY_QUERY_KEY, CHURN_TIERS, FILTERS, CohortFilter
from common.errors import ShopSightError

__all__ = ["CHURN_TIERS", "MAX_LIST", "MAX_TEXT", "Cohort", "CohortError", "Value", "quoted"]

# A filter's value: a date bound, a set of choices, a number or a flag.
Value = date | tuple[str, ...] | float | int | bool
MAX_LIST = 200
MAX_TEXT = 200
# How much of a bad key or value a message quotes: enough to recognise it, never a crafted
# megabyte sent back to the client (or written to the log).
QUOTE_CHARS = 40


def quoted(value: object) -> str:
    """``value`` as a message quotes it: its repr, cut to QUOTE_CHARS characters and '…'."""
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


class CohortError(ShopSightError):
    """A cohort query string holds a key or value that cannot be used."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"cohort filter {quoted(key)}: {message}")


@dataclass(frozen=True, init=False, repr=False)
class Cohort:
    """Filters over customers and sessions; every filter is optional (none = everyone).

    Built from keyword arguments named by the query keys (``Cohort(churn_tier=("High",),
    min_orders=1)``); each value is checked and put in canonical form, so equal filters
    compare and serialise equal. A filter reads back as an attribute (``cohort.country``),
    with its empty value (``()``, ``False`` or ``None``) when it is not set.
    """

    _values: tuple[tuple[str, Value], ...]

    def __init__(self, **values: object) -> None:
        kept: dict[str, Value] = {}
        for key, value in values.items():
            filt = _filter_of(key)
            if _is_unset(value):
                continue
            parsed = _coerce(filt, key, value)
            if not _is_unset(parsed):
                kept[key] = parsed
        object.__setattr__(self, "_values", tuple(sorted(kept.items())))
        self.validate()

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not real attributes: the filters' query keys.
        if name.startswith("_") or name not in BY_QUERY_KEY:
            raise AttributeError(name)
        return self.get(name)

    def __repr__(self) -> str:
        return "Cohort(" + ", ".join(f"{k}={v!r}" for k, v in self._values) + ")"

    def get(self, key: str) -> Value | None:
        """The value of query key ``key``, or its empty value when it is not set."""
        filt = _filter_of(key)
        for name, value in self._values:
            if name == key:
                return value
        return _empty(filt)

    def items(self) -> Iterator[tuple[str, Value]]:
        """The set filters as (query key, value), sorted by key."""
        return iter(self._values)

    # ---- parsing ---------------------------------------------------------------------
    @classmethod
    def from_query(cls, query: str | Mapping[str, Any] | None) -> Cohort:
        """Parse a query string (``a=1&b=2``, with or without ``?``) or a mapping.

        Unknown keys are an error: a typo must not silently widen an export.
        """
        if query is None:
            return cls()
        if isinstance(query, str):
            raw: dict[str, list[str]] = parse_qs(query.lstrip("?"), keep_blank_values=False)
        else:
            raw = {
                k: [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]
                for k, v in query.items()
                if v is not None and v != "" and v != []
            }
        values: dict[str, object] = {}
        for key, items in raw.items():
            filt = _filter_of(key)
            if filt.kind == "choice":
                values[key] = items
            elif len(items) != 1:
                raise CohortError(key, "takes one value")
            else:
                values[key] = items[0].strip()
        return cls(**values)

    def validate(self) -> None:
        """Check that every lower bound is at most its upper bound."""
        for filt in FILTERS:
            if filt.kind not in ("dates", "range"):
                continue
            low, high = filt.query_keys
            lo, hi = self.get(low), self.get(high)
            if isinstance(lo, date) and isinstance(hi, date) and lo > hi:
                raise CohortError(low, f"is after {high}")
            if isinstance(lo, float) and isinstance(hi, float) and lo > hi:
                raise CohortError(low, f"{lo} is above {high} {hi}")

    # ---- writing back ------------------------------------------------------------------
    def to_query(self) -> str:
        """The canonical query string (sorted keys, repeated keys for lists)."""
        pairs: list[tuple[str, str]] = []
        for key, value in self._values:
            if isinstance(value, tuple):
                pairs.extend((key, v) for v in value)
            elif isinstance(value, bool):
                pairs.append((key, "1"))
            elif isinstance(value, date):
                pairs.append((key, value.isoformat()))
            else:
                pairs.append((key, _fmt_number(value)))
        return urlencode(sorted(pairs))

    def is_empty(self) -> bool:
        return not self._values

    def describe(self, labels: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
        """Short human phrases for each active filter, for chips and export sidecars.

        ``labels`` names the values of a choice filter (filter key → value → name, e.g.
        segment ids → segment names); a value without a name is shown as is.
        """
        phrases = (_phrase(filt, self, (labels or {}).get(filt.key, {})) for filt in FILTERS)
        return [p for p in phrases if p]


def _filter_of(key: str) -> CohortFilter:
    filt = BY_QUERY_KEY.get(key)
    if filt is None:
        raise CohortError(key, f"unknown filter; known filters: {', '.join(BY_QUERY_KEY)}")
    return filt


def _is_unset(value: object) -> bool:
    return value is None or value is False or value == "" or value == () or value == []


def _empty(filt: CohortFilter) -> Value | None:
    if filt.kind == "choice":
        return ()
    if filt.kind == "flag":
        return False
    return None


def _coerce(filt: CohortFilter, key: str, value: object) -> Value:
    """``value`` (query text or a typed value) as the filter's type, checked."""
    if filt.kind == "choice":
        return _choices(filt, key, value)
    if isinstance(value, str):
        value = value.strip()
    if filt.kind == "dates":
        return _date(key, value)
    if filt.kind == "flag":
        return _flag(key, value)
    if filt.unit == "count":
        return _count(key, value)
    return _number(filt, key, value)


def _choices(filt: CohortFilter, key: str, value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(i, str) for i in items):
        raise CohortError(key, "takes text values")
    # A filter is a set: sorted, so equal filters compare and serialise equal.
    values = tuple(sorted({i.strip() for i in items if i.strip()}))
    if len(values) > MAX_LIST:
        raise CohortError(key, f"at most {MAX_LIST} values")
    for v in values:
        if len(v) > MAX_TEXT:
            raise CohortError(key, f"a value longer than {MAX_TEXT} characters")
        if filt.pattern and not re.match(filt.pattern, v):
            raise CohortError(key, f"{quoted(v)} is not {filt.pattern_hint}")
        if filt.choices and v not in filt.choices:
            raise CohortError(key, f"{quoted(v)} is not one of {', '.join(filt.choices)}")
    return values


def _date(key: str, value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CohortError(key, f"{quoted(value)} is not a date like 2025-03-31") from None


def _flag(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise CohortError(key, f"{quoted(value)} is not true or false")


def _count(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CohortError(key, f"{quoted(value)} is not a whole number")
    try:
        number = int(value)
    except ValueError:
        raise CohortError(key, f"{quoted(value)} is not a whole number") from None
    if number < 0:
        raise CohortError(key, "must not be negative")
    return number


def _number(filt: CohortFilter, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CohortError(key, f"{quoted(value)} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise CohortError(key, f"{quoted(value)} is not a number") from None
    if not math.isfinite(number):
        raise CohortError(key, f"{quoted(value)} is not a finite number")
    low, high = filt.bounds
    if filt.unit == "probability" and not low <= number <= (high or low):
        raise CohortError(key, f"{number} is not a probability between 0 and 1")
    if number < low:
        raise CohortError(key, "must not be negative")
    return number


def _phrase(filt: CohortFilter, cohort: Cohort, names: Mapping[str, str]) -> str | None:
    """The chip phrase of ``filt`` in ``cohort``, or None when it is not set."""
    first = cohort.get(filt.query_keys[0])
    if filt.kind == "choice":
        if not isinstance(first, tuple) or not first:
            return None
        return f"{filt.chip}: {', '.join(names.get(v, v) for v in first)}"
    if filt.kind == "flag":
        return filt.chip if first else None
    if filt.kind == "at_least":
        return filt.chip.format(first) if first is not None else None
    lo, hi = first, cohort.get(filt.query_keys[1])
    if lo is None and hi is None:
        return None
    if filt.kind == "dates":
        return f"{filt.chip} {lo or '…'} – {hi or '…'}"
    fmt = "{:.0%}" if filt.unit == "probability" else "{:,.2f}"
    if lo is not None and hi is not None:
        return f"{filt.chip} {fmt.format(lo)}–{fmt.format(hi)}"
    if lo is not None:
        return f"{filt.chip} ≥ {fmt.format(lo)}"
    return f"{filt.chip} ≤ {fmt.format(hi)}"


def _fmt_number(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:g}"
