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

Slider ranges come from the data's support for the lever: its 1st to 99th percentile over a
seeded sample of entities at the scoring anchor (measured once per build, kept with the
engine), widened to include the profile's own value. A slider stays inside the data: beyond
it a model extrapolates.

Each lever also declares its plain meaning for the outputs where it has one: more visits or
orders should not lower the purchase chance or predicted revenue, nor raise the churn risk.
The engine flags a curve whose overall direction runs against it — the model learned an
association that a manager must not read as the lever's effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.explain import PHRASES
from warehouse.catalogue import CATALOGUE

#: Quantiles of the data that start and end a slider (the profile's own value widens them).
RANGE_LOW_QUANTILE = 0.01
RANGE_QUANTILE = 0.99

#: A lever's plain meaning for an output: more of it should not lower the output (RISES)
#: or should not raise it (FALLS).
RISES = 1
FALLS = -1
_EARNS = (("purchase_prob", RISES), ("predicted_revenue", RISES), ("churn_prob", FALLS))


@dataclass(frozen=True)
class LeverSpec:
    """A feature a marketer can influence: its words and the action behind it."""

    feature: str
    label: str
    action: str
    integer: bool = True
    unit: str = "count"  # a catalogue unit: count | money | seconds | rate
    #: "more of it" in words ("more visits"), for a warning on a curve.
    more: str = ""
    #: (output, RISES or FALLS): the direction the lever's plain meaning gives that output;
    #: outputs without one (abandoned carts and churn, say) are not judged.
    plain: tuple[tuple[str, int], ...] = ()

    def expected(self, output: str) -> int:
        """RISES, FALLS, or 0 where the lever has no plain meaning for ``output``."""
        return dict(self.plain).get(output, 0)


def _spec(
    feature: str,
    label: str,
    action: str,
    unit: str = "count",
    *,
    more: str = "",
    plain: tuple[tuple[str, int], ...] = (),
) -> LeverSpec:
    """A lever moved in fractions (money, rates, durations)."""
    return LeverSpec(feature, label, action, integer=False, unit=unit, more=more, plain=plain)


#: ``{h}`` is the scoring horizon in days.
CUSTOMER_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec(
        "sessions_last_period",
        "Visits in the last {h} days",
        "re-engagement e-mails, retargeting",
        more="more visits",
        plain=_EARNS,
    ),
    LeverSpec(
        "orders_last_period",
        "Orders in the last {h} days",
        "vouchers, promotions",
        more="more orders",
        plain=_EARNS,
    ),
    _spec(
        "average_order_value",
        "Average order value",
        "bundles, free-shipping thresholds, upsell",
        "money",
        more="a higher average order value",
        plain=(("predicted_revenue", RISES),),
    ),
    LeverSpec(
        "cart_adds",
        "Cart adds so far",
        "recommendations, add-to-cart prompts",
        more="more cart adds",
        plain=(("purchase_prob", RISES),),
    ),
    # More abandoned carts: more interest and more lost sales; no plain direction.
    LeverSpec("abandoned_carts", "Visits with an abandoned cart", "cart-recovery reminders"),
    LeverSpec(
        "views",
        "Product views so far",
        "merchandising, recommendations",
        more="more product views",
        plain=(("purchase_prob", RISES),),
    ),
    LeverSpec(
        "distinct_categories",
        "Categories browsed",
        "cross-sell campaigns",
        more="more categories browsed",
        plain=(("purchase_prob", RISES),),
    ),
    _spec("events_per_session", "Events per visit", "on-site engagement, content", "rate"),
    _spec("returned_value", "Value returned", "sizing guides, product information", "money"),
)

SESSION_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("views", "Page and product views", "merchandising, search"),
    LeverSpec("distinct_products", "Products looked at", "recommendations"),
    LeverSpec(
        "cart_adds",
        "Cart adds",
        "add-to-cart prompts",
        more="more cart adds",
        plain=(("conversion_prob", RISES),),
    ),
    _spec(
        "cart_value",
        "Cart value",
        "bundles, upsell",
        "money",
        more="a fuller cart",
        plain=(("predicted_order_value", RISES),),
    ),
    _spec("mean_price_viewed", "Mean price viewed", "discounts, price points", "money"),
    LeverSpec("deepest_page", "Deepest page reached", "navigation, landing pages"),
    LeverSpec("seconds_browsing", "Seconds browsing", "content, page speed", unit="seconds"),
)

AGGREGATE_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec(
        "product_related",
        "Product pages",
        "merchandising, recommendations",
        more="more product pages",
        plain=(("conversion_prob", RISES),),
    ),
    _spec("product_related_duration", "Seconds on product pages", "content, page speed", "seconds"),
    LeverSpec("administrative", "Account pages", "sign-up and account flows"),
    LeverSpec("informational", "Information pages", "help and delivery information"),
    _spec(
        "bounce_rates",
        "Bounce rate",
        "landing-page relevance",
        "rate",
        more="a higher bounce rate",
        plain=(("conversion_prob", FALLS),),
    ),
    _spec(
        "exit_rates",
        "Exit rate",
        "page design, navigation",
        "rate",
        more="a higher exit rate",
        plain=(("conversion_prob", FALLS),),
    ),
)


@dataclass(frozen=True)
class Support:
    """Where the data has a lever: its low and high quantiles and its extremes."""

    low: float
    high: float
    minimum: float
    maximum: float


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
    more: str = ""
    plain: tuple[tuple[str, int], ...] = ()

    def expected(self, output: str) -> int:
        """RISES, FALLS, or 0 where the lever has no plain meaning for ``output``."""
        return dict(self.plain).get(output, 0)

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
    spec: LeverSpec, support: Support | None, current: float, horizon_days: int
) -> Lever | None:
    """The slider of ``spec``: the data's support (its 1st to 99th percentile; its whole
    observed range where those are one value, as for a lever most entities have none of),
    widened to the profile's ``current`` value; ``None`` when nothing varies.

    The ends are the data's, not the start's: a profile in the middle of the data can move
    both ways up to where the data ends."""
    if support is None:
        return None
    low, high = support.low, support.high
    if not high > low:
        low, high = support.minimum, support.maximum
    if math.isfinite(current):
        low, high = min(low, current), max(high, current)
    if not (math.isfinite(low) and math.isfinite(high)) or not high > low:
        return None
    span = high - low
    step = 1.0 if spec.integer else nice_step(span / 100)
    if spec.integer and span > 1000:
        step = nice_step(span / 1000)
    return Lever(
        feature=spec.feature,
        label=spec.label.format(h=horizon_days),
        action=spec.action,
        # Whole steps from a round start, widened outwards so both ends stay inside.
        low=float(math.floor(low / step + 1e-9) * step),
        high=float(math.ceil(high / step - 1e-9) * step),
        step=float(step),
        integer=spec.integer,
        unit=spec.unit,
        more=spec.more,
        plain=spec.plain,
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
