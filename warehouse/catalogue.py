"""The catalogue: every number ShopSight shows, defined once with its words, unit and format.

Three kinds of entry, looked up by name in :data:`CATALOGUE`:

- **units** (:class:`Unit`): how a value is shown: in text (cards, chips, messages), in a grid
  cell, on a chart axis and in a hover label. A page asks the catalogue how to show a value
  instead of typing a format string; money goes through :class:`Currency`, the one place a
  currency can plug in.
- **metrics** (:class:`warehouse.metrics.Metric`): aggregates over a mart, with their SQL.
- **columns** (:class:`Column`): per-entity columns, stored or derived, with label, unit and
  the capabilities they need. A derived column carries its formula once; the same formula is
  applied to Polars columns (``shopsight score``) and to numpy arrays (what-if), so the two
  can never disagree.

Entries that depend on the models (their outputs, value at risk, churn tiers, the score
KPIs) register from ``models.outputs``, so imports still point down the layers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from warehouse.metrics import COUNT_METRICS, METRICS, Metric


@dataclass(frozen=True)
class Currency:
    """How money is labelled: its symbol and ISO 4217 ``code`` (``""``: none stated).

    With no currency the plain number is shown; a code without a known symbol is shown in
    front of the number ("CHF 12.50").
    """

    symbol: str = ""
    code: str = ""

    @property
    def prefix(self) -> str:
        """What goes between the sign and the digits."""
        if self.symbol:
            return self.symbol
        return f"{self.code} " if self.code else ""

    def amount(self, value: float, spec: str, *, signed: bool = False) -> str:
        """``value`` formatted by ``spec`` with the currency's symbol after its sign."""
        sign = "-" if value < 0 else ("+" if signed else "")
        return f"{sign}{self.prefix}{format(abs(value), spec)}"

    def wrap_js(self, expression: str) -> str:
        """The same for a JavaScript expression (grid cells)."""
        return f"{_js_string(self.prefix)} + {expression}" if self.prefix else expression

    def describe(self) -> str:
        """The currency in words, for a page's footnote."""
        if not self.code:
            return "no currency stated" if not self.symbol else self.symbol
        return f"{self.code} ({self.symbol})" if self.symbol else self.code


# Symbols of the currencies shops most often report in; any other ISO code is shown as is.
_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "AUD": "A$",
    "CAD": "C$",
    "RUB": "₽",
    "TRY": "₺",
    "PLN": "zł",
}
_CODE = re.compile(r"^[A-Z]{3}$")


def currency_for(code: str | None) -> Currency:
    """The :class:`Currency` of an ISO 4217 code (case-insensitive); ``None``: no currency.

    Raises ``ValueError`` for text that is not a three-letter code.
    """
    if code is None or not code.strip():
        return Currency()
    upper = code.strip().upper()
    if not _CODE.match(upper):
        raise ValueError(f"{code!r} is not a three-letter currency code like EUR or USD")
    return Currency(_SYMBOLS.get(upper, ""), upper)


#: The process-wide default every money format reads when no currency is in use for the
#: current request or command (see :func:`use_currency`).
CURRENCY = Currency()

# The currency of the request (or command) being served: each dashboard app serves its own
# warehouse and settings, so two apps in one process may show different currencies.
_IN_USE: ContextVar[Currency | None] = ContextVar("shopsight_currency", default=None)


def current_currency() -> Currency:
    """The currency money is shown in right now."""
    found = _IN_USE.get()
    return found if found is not None else CURRENCY


def use_currency(currency: Currency | None) -> None:
    """Show money in ``currency`` for the rest of this context (a request, a command);
    ``None`` goes back to the process default."""
    _IN_USE.set(currency)


def _js_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Unit:
    """How values of one unit are shown.

    The specs are format specifications that Python's ``format`` and d3's ``d3.format``
    read alike (``.1%``, ``,.2f``), so text made here and a grid cell or axis formatted in
    the browser agree.
    """

    name: str
    #: Text: cards, chips, messages, hover labels.
    spec: str
    #: Grid cells, where they differ from the text (shares to whole percent).
    grid_spec: str | None = None
    #: Chart axis ticks (``None``: the chart's own ticks).
    axis_spec: str | None = None
    #: KPI cards show values of 1,000 and more with this spec (money without cents).
    compact_spec: str | None = None
    money: bool = False
    #: A share's change reads in percentage points ("+1.2 pts"); others as a signed number.
    points: bool = False

    def text(self, value: float | str | None, *, compact: bool = False) -> str:
        """``value`` in words; ``compact`` is the KPI-card style. Missing: an em dash."""
        if value is None:
            return "—"
        if isinstance(value, str):
            return value
        if not math.isfinite(value):
            return "—"
        spec = self.spec
        if compact and self.compact_spec is not None and abs(value) >= 1000:
            spec = self.compact_spec
        return current_currency().amount(value, spec) if self.money else format(value, spec)

    def change(self, delta: float) -> str:
        """A signed difference between two values of this unit."""
        if self.points:
            return f"{delta * 100:+.1f} pts"
        if self.money:
            return current_currency().amount(delta, self.spec, signed=True)
        return format(delta, "+" + self.spec)

    def grid_formatter(self) -> dict[str, str] | None:
        """An AG Grid ``valueFormatter`` for cells of this unit (``None``: shown as is)."""
        spec = self.grid_spec or self.spec
        if not spec:
            return None
        shown = f"d3.format({_js_string(spec)})(params.value)"
        shown = current_currency().wrap_js(shown) if self.money else shown
        # An empty cell stays empty: d3 would show a missing value as a made-up zero.
        return {"function": f"params.value == null ? '' : {shown}"}

    def hover(self, axis: str = "y") -> str:
        """A Plotly hover template piece for a value on ``axis``."""
        return f"%{{{axis}:{self.spec}}}"


UNITS: dict[str, Unit] = {
    u.name: u
    for u in (
        Unit("ratio", ".1%", axis_spec=".0%", points=True),
        Unit("probability", ".1%", grid_spec=".0%", axis_spec=".0%", points=True),
        Unit("count", ",.0f"),
        Unit("money", ",.2f", compact_spec=",.0f", money=True),
        Unit("pages per session", ",.2f"),
        Unit("seconds", ",.1f"),
        Unit("rate", ",.1f"),
        # A category (a churn tier): shown as its name.
        Unit("tier", ""),
    )
}


@dataclass(frozen=True)
class Column:
    """A per-entity column (a customer's, a session's), stored or derived.

    A derived column names its ``inputs`` and its ``formula``: a function of one operand
    per input, written with arithmetic only, so it applies alike to ``pl.Expr`` and to
    numpy arrays. ``task`` names the model that predicts a model-output column.
    """

    name: str
    entities: tuple[str, ...]
    label: str
    unit: str
    definition: str
    requires: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    formula: Callable[..., Any] | None = field(default=None, compare=False)
    task: str | None = None

    @property
    def derived(self) -> bool:
        return self.formula is not None

    def expression(self) -> pl.Expr:
        """The column as a Polars expression over its input columns (batch scoring)."""
        if self.formula is None:
            return pl.col(self.name)
        result: pl.Expr = self.formula(*(pl.col(c) for c in self.inputs))
        return result.alias(self.name)

    def compute(self, values: Mapping[str, Any]) -> Any:
        """The column from its inputs' values (arrays or numbers); ``None`` when an input
        is missing (its model was not trained)."""
        if self.formula is None:
            return values.get(self.name)
        operands = [values.get(c) for c in self.inputs]
        if any(o is None for o in operands):
            return None
        return self.formula(*operands)


def product(first: Any, second: Any) -> Any:
    """``first × second``: one formula for Polars expressions and numpy arrays alike."""
    return first * second


# Stored columns of the marts that surfaces format (grids, exports).
WAREHOUSE_COLUMNS: tuple[Column, ...] = (
    Column(
        "revenue",
        ("customer", "session"),
        "Revenue",
        "money",
        "Purchase revenue (net of returns for a customer).",
        requires=("has_revenue",),
    ),
    Column(
        "cart_abandonment_rate",
        ("customer",),
        "Cart abandonment",
        "probability",
        "Share of the customer's sessions with a cart add that ended without a purchase.",
        requires=("has_carts",),
    ),
)


class CatalogueError(KeyError):
    """A name the catalogue does not hold."""


class Catalogue:
    """Units, metrics and columns by name; model entries are added by :meth:`register`."""

    def __init__(
        self,
        units: Mapping[str, Unit],
        metrics: Mapping[str, Metric],
        columns: tuple[Column, ...],
    ) -> None:
        self.units = dict(units)
        self.metrics = dict(metrics)
        self.columns: dict[str, Column] = {}
        self.register(*columns)

    def register(self, *entries: Column | Metric) -> None:
        """Add entries; registering the same entry again is a no-op, another entry under a
        taken name an error (one definition per name)."""
        for entry in entries:
            table: dict[str, Any] = self.columns if isinstance(entry, Column) else self.metrics
            found = table.get(entry.name)
            if found is not None and found != entry:
                raise ValueError(f"{entry.name!r} is already in the catalogue")
            if entry.unit not in self.units:
                raise ValueError(f"{entry.name!r}: unknown unit {entry.unit!r}")
            table[entry.name] = entry

    def unit(self, name: str) -> Unit:
        """The unit called ``name``."""
        try:
            return self.units[name]
        except KeyError:
            raise CatalogueError(f"no unit {name!r} in the catalogue") from None

    def column(self, name: str) -> Column:
        """The column called ``name`` (model columns: import ``models.outputs`` first)."""
        try:
            return self.columns[name]
        except KeyError:
            raise CatalogueError(f"no column {name!r} in the catalogue") from None

    def unit_of(self, column: str) -> Unit | None:
        """The unit of a known column, ``None`` for a column the catalogue does not hold."""
        found = self.columns.get(column)
        return self.units[found.unit] if found is not None else None

    def grid_formatter(self, column: str) -> dict[str, str] | None:
        """The grid cell format of ``column`` (``None``: unknown or shown as is)."""
        unit = self.unit_of(column)
        return unit.grid_formatter() if unit is not None else None


CATALOGUE = Catalogue(UNITS, {**COUNT_METRICS, **METRICS}, WAREHOUSE_COLUMNS)


def format_value(value: float | None, unit: str, *, compact: bool = False) -> str:
    """``value`` shown as its unit says (an unknown unit: two decimals)."""
    found = CATALOGUE.units.get(unit) or Unit(unit, ",.2f")
    return found.text(value, compact=compact)


def format_month(value: date | datetime | str | None) -> str:
    """A month as ``2025-03`` (a date, a timestamp or ISO text); missing: an em dash."""
    if value is None:
        return "—"
    return str(value)[:7]


def format_timestamp(value: datetime | str | None) -> str:
    """A moment to the second, ``2025-03-31 14:05:09``: no microseconds, no ``T``."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).replace("T", " ")[:19]


def format_count(value: float | None) -> str:
    """A count as an integer with thousands separators (``48,697``), never ``48.697k``."""
    return CATALOGUE.unit("count").text(value)
