"""A cohort: a set of customers (and their sessions) described by a URL query string.

The same string drives the dashboard page, the live count, the customer table and the
export (``?country=UK&churn_tier=High&min_churn_prob=0.6``), so a view can be shared,
reloaded and reproduced from the command line.

Every key is on an allow-list with a type; a bad value raises :class:`CohortError` naming
the key, and values only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode

from common.errors import ShopSightError

CHURN_TIERS = ("High", "Medium", "Low")


class CohortError(ShopSightError):
    """A cohort query string holds a key or value that cannot be used."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"cohort filter {key!r}: {message}")


@dataclass(frozen=True)
class Cohort:
    """Filters over customers and sessions; every field is optional (empty = everyone)."""

    date_from: date | None = None
    date_to: date | None = None
    acquisition_month: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    device: tuple[str, ...] = ()
    traffic_source: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    churn_tier: tuple[str, ...] = ()
    rfm_tier: tuple[str, ...] = ()
    min_purchase_prob: float | None = None
    max_purchase_prob: float | None = None
    min_churn_prob: float | None = None
    max_churn_prob: float | None = None
    min_predicted_revenue: float | None = None
    max_predicted_revenue: float | None = None
    carted_not_bought: bool = False
    min_orders: int | None = None
    inactive_days: int | None = None

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
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, items in raw.items():
            if key not in known:
                raise CohortError(key, f"unknown filter; known filters: {', '.join(known)}")
            values[key] = _parse(key, items)
        cohort = cls(**values)
        cohort.validate()
        return cohort

    def validate(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise CohortError("date_from", "is after date_to")
        for low, high in (
            ("min_purchase_prob", "max_purchase_prob"),
            ("min_churn_prob", "max_churn_prob"),
            ("min_predicted_revenue", "max_predicted_revenue"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise CohortError(low, f"{lo} is above {high} {hi}")

    # ---- writing back ------------------------------------------------------------------
    def to_query(self) -> str:
        """The canonical query string (sorted keys, repeated keys for lists)."""
        pairs: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == () or value is False:
                continue
            if isinstance(value, tuple):
                pairs.extend((f.name, str(v)) for v in value)
            elif isinstance(value, bool):
                pairs.append((f.name, "1"))
            elif isinstance(value, date):
                pairs.append((f.name, value.isoformat()))
            else:
                pairs.append((f.name, _fmt_number(value)))
        return urlencode(sorted(pairs))

    def is_empty(self) -> bool:
        return self.to_query() == ""

    def describe(self) -> list[str]:
        """Short human phrases for each active filter, for chips and export sidecars."""
        out: list[str] = []
        if self.date_from or self.date_to:
            out.append(f"active {self.date_from or '…'} – {self.date_to or '…'}")
        labels = {
            "acquisition_month": "acquired in",
            "country": "country",
            "device": "device",
            "traffic_source": "source",
            "segment": "segment",
            "churn_tier": "churn tier",
            "rfm_tier": "RFM tier",
        }
        for key, label in labels.items():
            items = getattr(self, key)
            if items:
                out.append(f"{label}: {', '.join(items)}")
        ranges = {
            "purchase_prob": ("purchase probability", "{:.0%}"),
            "churn_prob": ("churn probability", "{:.0%}"),
            "predicted_revenue": ("predicted revenue", "{:,.2f}"),
        }
        for key, (label, fmt) in ranges.items():
            lo, hi = getattr(self, f"min_{key}"), getattr(self, f"max_{key}")
            if lo is not None and hi is not None:
                out.append(f"{label} {fmt.format(lo)}–{fmt.format(hi)}")
            elif lo is not None:
                out.append(f"{label} ≥ {fmt.format(lo)}")
            elif hi is not None:
                out.append(f"{label} ≤ {fmt.format(hi)}")
        if self.carted_not_bought:
            out.append("added to cart but never bought")
        if self.min_orders is not None:
            out.append(f"bought at least {self.min_orders} time(s)")
        if self.inactive_days is not None:
            out.append(f"inactive for {self.inactive_days}+ days")
        return out


_LIST_KEYS = {
    "acquisition_month",
    "country",
    "device",
    "traffic_source",
    "segment",
    "churn_tier",
    "rfm_tier",
}
_PROB_KEYS = {"min_purchase_prob", "max_purchase_prob", "min_churn_prob", "max_churn_prob"}
_MONEY_KEYS = {"min_predicted_revenue", "max_predicted_revenue"}
_INT_KEYS = {"min_orders", "inactive_days"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_LIST = 200
MAX_TEXT = 200


def _parse(key: str, items: Sequence[str]) -> Any:
    if key in _LIST_KEYS:
        # A filter is a set: sorted, so equal filters compare and serialise equal.
        values = tuple(sorted({i.strip() for i in items if i.strip()}))
        if len(values) > MAX_LIST:
            raise CohortError(key, f"at most {MAX_LIST} values")
        for v in values:
            if len(v) > MAX_TEXT:
                raise CohortError(key, f"a value longer than {MAX_TEXT} characters")
        if key == "acquisition_month":
            bad = [v for v in values if not _MONTH.match(v)]
            if bad:
                raise CohortError(key, f"{bad[0]!r} is not a month like 2025-03")
        if key == "churn_tier":
            bad = [v for v in values if v not in CHURN_TIERS]
            if bad:
                raise CohortError(key, f"{bad[0]!r} is not one of {', '.join(CHURN_TIERS)}")
        return values
    if len(items) != 1:
        raise CohortError(key, "takes one value")
    text = items[0].strip()
    if key in ("date_from", "date_to"):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CohortError(key, f"{text!r} is not a date like 2025-03-31") from None
    if key == "carted_not_bought":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise CohortError(key, f"{text!r} is not true or false")
    if key in _INT_KEYS:
        try:
            number = int(text)
        except ValueError:
            raise CohortError(key, f"{text!r} is not a whole number") from None
        if number < 0:
            raise CohortError(key, "must not be negative")
        return number
    try:
        value = float(text)
    except ValueError:
        raise CohortError(key, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise CohortError(key, f"{text!r} is not a finite number")
    if key in _PROB_KEYS and not 0.0 <= value <= 1.0:
        raise CohortError(key, f"{value} is not a probability between 0 and 1")
    if key in _MONEY_KEYS and value < 0:
        raise CohortError(key, "must not be negative")
    return value


def _fmt_number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:g}"
