"""The cohort filters, each declared once.

An entry says everything the rest of the app derives from a filter: its query-string keys and
how their values parse (``kind`` and ``unit``), the mart column its SQL clause reads and
whether it needs customer ids or scores, its label and chip phrase, the kind of control that
sets it on the Cohorts page, and whether it is a facet (a bar chart whose bars add the filter
when clicked). Adding a filter is adding an entry to :data:`FILTERS`.

The query keys are a contract (links, saved cohorts and ``shopsight export --cohort`` use
them): ``dates`` filters read ``<key>_from`` / ``<key>_to``, ``range`` filters
``min_<key>`` / ``max_<key>``, every other kind ``<key>`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.tiers import CHURN_BANDS

Kind = Literal["dates", "choice", "range", "at_least", "flag"]
# Where the column lives. "sessions": only on the sessions mart (a customer matches when any
# of their sessions does); "both": the sessions and the customers marts each carry it;
# "customers": the customers mart (sessions follow their customer); "scores": written by
# `shopsight score` beside the customer.
Mart = Literal["sessions", "both", "customers", "scores"]
# Numbers: what they are bounded by and how a chip shows them.
Unit = Literal["probability", "money", "count"]
Control = Literal[
    "date_range", "dropdown", "checklist", "slider", "number_pair", "number", "switch"
]

CHURN_TIERS: tuple[str, ...] = tuple(name for name, _ in CHURN_BANDS)


@dataclass(frozen=True)
class CohortFilter:
    """One filter of a cohort (see the module docstring)."""

    key: str
    kind: Kind
    mart: Mart
    column: str
    label: str
    # The chip phrase: a prefix for dates, choices and ranges ("country" → "country: UK"),
    # a template for at_least ("bought at least {} time(s)"), the whole phrase for flags.
    chip: str
    control: Control
    facet: bool = False
    # The capability the data must have, from the `capabilities` table.
    capability: str | None = None
    # SQL over the mart row aliased {alias}; fixed text of this table, never user input.
    expression: str = "{alias}.{column}"
    unit: Unit | None = None
    # The only values a choice allows (empty: any text), or a pattern they must match.
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_hint: str = ""
    # A shorter title for the facet chart than the control's label.
    facet_title: str | None = None
    # Values with an order of their own (months: by date), kept in it on charts and lists
    # instead of largest first.
    natural_order: bool = False
    # The scores column that names a value (segment 2 → "Loyal"): charts and chips show the
    # name, the query keeps the value.
    label_column: str | None = None

    @property
    def query_keys(self) -> tuple[str, ...]:
        """The query-string keys of this filter, lower bound first."""
        if self.kind == "dates":
            return (f"{self.key}_from", f"{self.key}_to")
        if self.kind == "range":
            return (f"min_{self.key}", f"max_{self.key}")
        return (self.key,)

    @property
    def bounds(self) -> tuple[float, float | None]:
        """The lowest and highest value a number may take (``None``: no upper bound)."""
        return (0.0, 1.0) if self.unit == "probability" else (0.0, None)

    @property
    def needs_scores(self) -> bool:
        return self.mart == "scores"

    @property
    def title(self) -> str:
        return self.facet_title or self.label


_CUSTOMERS = "has_customer_ids"

FILTERS: tuple[CohortFilter, ...] = (
    CohortFilter(
        key="date",
        kind="dates",
        mart="sessions",
        column="session_date",
        label="Active between",
        chip="active",
        control="date_range",
    ),
    CohortFilter(
        key="acquisition_month",
        kind="choice",
        mart="customers",
        column="acquisition_month",
        label="Acquisition month",
        chip="acquired in",
        control="dropdown",
        facet=True,
        capability=_CUSTOMERS,
        expression="strftime({alias}.{column}, '%Y-%m')",
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        pattern_hint="a month like 2025-03",
        facet_title="Acquired",
        natural_order=True,
    ),
    CohortFilter(
        key="country",
        kind="choice",
        mart="both",
        column="country",
        label="Country",
        chip="country",
        control="dropdown",
        facet=True,
    ),
    CohortFilter(
        key="device",
        kind="choice",
        mart="both",
        column="device",
        label="Device",
        chip="device",
        control="dropdown",
        facet=True,
    ),
    CohortFilter(
        key="traffic_source",
        kind="choice",
        mart="both",
        column="traffic_source",
        label="Traffic source",
        chip="source",
        control="dropdown",
        facet=True,
    ),
    CohortFilter(
        key="segment",
        kind="choice",
        mart="scores",
        column="segment_id",
        label="Segment",
        chip="segment",
        control="dropdown",
        facet=True,
        capability=_CUSTOMERS,
        expression="{alias}.{column}::VARCHAR",
        label_column="segment_name",
    ),
    CohortFilter(
        key="churn_tier",
        kind="choice",
        mart="scores",
        column="churn_tier",
        label="Churn tier",
        chip="churn tier",
        control="checklist",
        facet=True,
        capability=_CUSTOMERS,
        choices=CHURN_TIERS,
    ),
    CohortFilter(
        key="rfm_tier",
        kind="choice",
        mart="scores",
        column="rfm_tier",
        label="RFM tier",
        chip="RFM tier",
        control="dropdown",
        capability=_CUSTOMERS,
    ),
    CohortFilter(
        key="purchase_prob",
        kind="range",
        mart="scores",
        column="purchase_prob",
        label="Purchase probability",
        chip="purchase probability",
        control="slider",
        capability=_CUSTOMERS,
        unit="probability",
    ),
    CohortFilter(
        key="churn_prob",
        kind="range",
        mart="scores",
        column="churn_prob",
        label="Churn probability",
        chip="churn probability",
        control="slider",
        capability=_CUSTOMERS,
        unit="probability",
    ),
    CohortFilter(
        key="predicted_revenue",
        kind="range",
        mart="scores",
        column="predicted_revenue",
        label="Predicted revenue",
        chip="predicted revenue",
        control="number_pair",
        capability=_CUSTOMERS,
        unit="money",
    ),
    CohortFilter(
        key="carted_not_bought",
        kind="flag",
        mart="customers",
        column="cart_adds",
        label="Added to cart but never bought",
        chip="added to cart but never bought",
        control="switch",
        capability=_CUSTOMERS,
        expression="{alias}.cart_adds > 0 AND {alias}.orders = 0",
    ),
    CohortFilter(
        key="min_orders",
        kind="at_least",
        mart="customers",
        column="orders",
        label="Bought at least N times",
        chip="bought at least {} time(s)",
        control="number",
        capability=_CUSTOMERS,
        unit="count",
    ),
    CohortFilter(
        key="inactive_days",
        kind="at_least",
        mart="customers",
        column="recency_days",
        label="Inactive for at least N days",
        chip="inactive for {}+ days",
        control="number",
        capability=_CUSTOMERS,
        unit="count",
    ),
)

BY_KEY: dict[str, CohortFilter] = {f.key: f for f in FILTERS}
# Query key → its filter ("min_churn_prob" → churn_prob).
BY_QUERY_KEY: dict[str, CohortFilter] = {k: f for f in FILTERS for k in f.query_keys}
# Filters a facet count can group by, and those shown as clickable charts.
CHOICE_FILTERS: tuple[CohortFilter, ...] = tuple(f for f in FILTERS if f.kind == "choice")
FACET_FILTERS: tuple[CohortFilter, ...] = tuple(f for f in FILTERS if f.facet)
