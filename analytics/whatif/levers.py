"""The levers: the allow-list of behaviours a marketer can influence, and their sliders.

A lever is a behaviour a marketing action targets: visits and orders in the last period
(re-engagement, vouchers), basket size (bundles, free-shipping thresholds), cart adds and
abandoned carts (recommendations, cart reminders), product views, categories and depth of
browsing (merchandising, cross-sell), returns (sizing guides), prices seen (discounts). What
no one can change is held: who the customer is and when they arrived (tenure; country,
device and acquisition month are not model features at all), how long ago things happened
(recency, days since the last order, days between visits, the period before the last one —
the clock moves them, not a campaign), lifetime totals of visits, orders and revenue and the
ratios made of them (the customer's history; the last-period sliders stand for new
activity), and, for sessions, the hour, weekday, the visitor's earlier visits and, on Online
Shoppers data, month, browser, OS, region, traffic-type codes and Google's ``PageValues``
(which nearly encodes the label).

Slider ranges come from the data: 0 to the 99th percentile of the feature over a seeded
sample of entities at the scoring anchor, widened to include the profile's own value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.explain import PHRASES
from warehouse.catalogue import CATALOGUE

#: Quantile of the data that ends a slider (the profile's own value widens it).
RANGE_QUANTILE = 0.99


@dataclass(frozen=True)
class LeverSpec:
    """A feature a marketer can influence: its words and the action behind it."""

    feature: str
    label: str
    action: str
    integer: bool = True
    unit: str = "count"  # a catalogue unit: count | money | seconds | rate


def _spec(feature: str, label: str, action: str, unit: str = "count") -> LeverSpec:
    """A lever moved in fractions (money, rates, durations)."""
    return LeverSpec(feature, label, action, integer=False, unit=unit)


#: ``{h}`` is the scoring horizon in days.
CUSTOMER_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec(
        "sessions_last_period", "Visits in the last {h} days", "re-engagement e-mails, retargeting"
    ),
    LeverSpec("orders_last_period", "Orders in the last {h} days", "vouchers, promotions"),
    _spec(
        "average_order_value",
        "Average order value",
        "bundles, free-shipping thresholds, upsell",
        "money",
    ),
    LeverSpec("cart_adds", "Cart adds so far", "recommendations, add-to-cart prompts"),
    LeverSpec("abandoned_carts", "Visits with an abandoned cart", "cart-recovery reminders"),
    LeverSpec("views", "Product views so far", "merchandising, recommendations"),
    LeverSpec("distinct_categories", "Categories browsed", "cross-sell campaigns"),
    _spec("events_per_session", "Events per visit", "on-site engagement, content", "rate"),
    _spec("returned_value", "Value returned", "sizing guides, product information", "money"),
)

SESSION_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("views", "Page and product views", "merchandising, search"),
    LeverSpec("distinct_products", "Products looked at", "recommendations"),
    LeverSpec("cart_adds", "Cart adds", "add-to-cart prompts"),
    _spec("cart_value", "Cart value", "bundles, upsell", "money"),
    _spec("mean_price_viewed", "Mean price viewed", "discounts, price points", "money"),
    LeverSpec("deepest_page", "Deepest page reached", "navigation, landing pages"),
    LeverSpec("seconds_browsing", "Seconds browsing", "content, page speed", unit="seconds"),
)

AGGREGATE_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("product_related", "Product pages", "merchandising, recommendations"),
    _spec("product_related_duration", "Seconds on product pages", "content, page speed", "seconds"),
    LeverSpec("administrative", "Account pages", "sign-up and account flows"),
    LeverSpec("informational", "Information pages", "help and delivery information"),
    _spec("bounce_rates", "Bounce rate", "landing-page relevance", "rate"),
    _spec("exit_rates", "Exit rate", "page design, navigation", "rate"),
)


@dataclass(frozen=True)
class Lever:
    """A slider: a lever with its range taken from the data."""

    feature: str
    label: str
    action: str
    low: float
    high: float
    step: float
    integer: bool
    unit: str

    def clamp(self, value: float) -> float:
        """``value`` kept inside the slider's range."""
        return min(max(value, self.low), self.high)

    def show(self, value: float) -> str:
        """A slider value in words: whole numbers for counts, else as its unit shows."""
        if not math.isfinite(value):
            return "unknown"
        if self.integer:
            return CATALOGUE.unit("count").text(value)
        if self.unit == "rate" and self.high <= 1:
            return f"{value:.3f}"  # a share of visits (bounce, exit): three places move
        return CATALOGUE.unit(self.unit).text(value)


def nice_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) near ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(span))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if span <= factor * power:
            return factor * power
    return 10.0 * power


def make_lever(
    spec: LeverSpec, ranges: dict[str, float], current: float, horizon_days: int
) -> Lever | None:
    """The slider of ``spec``: 0 to the data's quantile (its maximum where the quantile is
    0), widened to the profile's ``current`` value; ``None`` when nothing varies."""
    top = ranges[spec.feature]
    if top <= 0:
        top = ranges.get(f"{spec.feature}:max", 0.0)
    if math.isfinite(current):
        top = max(top, current)
    if top <= 0:
        return None
    step = 1.0 if spec.integer else nice_step(top / 100)
    if spec.integer and top > 1000:
        step = nice_step(top / 1000)
    high = math.ceil(top / step - 1e-9) * step
    return Lever(
        feature=spec.feature,
        label=spec.label.format(h=horizon_days),
        action=spec.action,
        low=0.0,
        high=float(high),
        step=float(step),
        integer=spec.integer,
        unit=spec.unit,
    )


def describe_feature(name: str, value: float) -> str:
    """A feature value in words ("last seen 3 days ago"), worded as the reasons are."""
    before, decimals, after = PHRASES.get(name, (f"{name} = ", 2, ""))
    if not math.isfinite(value):
        shown = "unknown"
    elif decimals == 0:
        shown = str(int(round(value)))
    else:
        shown = str(round(value, decimals))
    return f"{before}{shown}{after}"
