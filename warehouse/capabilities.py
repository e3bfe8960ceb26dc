"""What a build's data can support, computed from the data itself, each with its reason.

A metric or model that needs a capability the data lacks is reported as unavailable with
that reason on every surface, instead of showing a zero that looks like a measurement.
"""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.engine import load_sql
from warehouse.ledger import SourceResult

# Above this share of purchasing sessions that open with their purchase (nothing logged before
# it), the events look sampled: a complete log always holds something before a purchase (a
# view, a cart add, a session start), so only session cuts make a few open with it. The GA4
# public sample: 354 of 604; REES46 and OTTO: none. Cart coverage is no such evidence: REES46
# logs 39 of its 50 purchases without a cart step, in whole journeys of views.
MAX_PURCHASE_FIRST_SHARE = 0.25


# What each capability switches on; when it is missing, these say what the product turns off.
CAPABILITY_EFFECTS: dict[str, str] = {
    "has_customer_ids": "customer list, repeat purchase, retention, churn, customer "
    "propensity and revenue models, customer segments",
    "has_purchases": "conversion rate, revenue, funnel, conversion and revenue models",
    "has_carts": "cart abandonment and the cart step of the funnel",
    "has_clock_time": "session duration and hour-of-day views",
    "has_revenue": "revenue figures, revenue models and value at risk",
    "has_page_views": "hit rate, bounce rate and the first funnel step",
    "has_complete_journeys": "conversion, repeat-purchase and retention rates (a sample of "
    "events breaks journeys)",
    "is_session_aggregate": "event-level funnels and early scoring of sessions",
}
# Capabilities whose effects come with their *absence* (event-level views need events, not a
# table of sessions).
EFFECTS_WHEN_MISSING: frozenset[str] = frozenset({"is_session_aggregate"})

# Each capability in a manager's words: (when the data has it, when it does not).
CAPABILITY_WORDS: dict[str, tuple[str, str]] = {
    "has_customer_ids": ("Customers are identified", "Customers are not identified"),
    "has_purchases": ("Purchases are logged", "Purchases are not logged"),
    "has_carts": ("Carts are logged", "Carts are not logged"),
    "has_clock_time": ("Events carry a time of day", "Events carry only a date"),
    "has_revenue": ("Order values are known", "Order values are not known"),
    "has_page_views": ("Page views are logged", "Page views are not logged"),
    "has_complete_journeys": ("Visits are complete", "Visits are sampled or cut short"),
    "is_session_aggregate": ("Only one row per visit (no events)", "Events are logged one by one"),
}


Capability = tuple[bool, str]


def compute_capabilities(
    con: duckdb.DuckDBPyConnection, sources: list[SourceResult]
) -> dict[str, dict[str, Any]]:
    """Every capability of the current build, each with the reason it is on or off."""
    loaded = [s for s in sources if s.status == "loaded" and s.rows_loaded > 0]
    formats = ", ".join(sorted({s.format for s in loaded})) or "none"
    evidence = con.sql(load_sql("capability_evidence"))  # one row of counts
    counts: dict[str, Any] = dict(zip(evidence.columns, evidence.fetchall()[0], strict=True))
    no_clock = sorted({s.format for s in loaded if not s.has_clock_time})
    sampled = sampling_evidence(counts)
    caps: dict[str, Capability] = {
        **_identity_and_orders(counts, formats),
        "has_carts": _carts(counts, formats, sampled),
        "has_clock_time": _clock_time(counts, no_clock),
        **_values_and_views(counts, formats),
        "has_complete_journeys": _complete_journeys(counts, sampled),
        "is_session_aggregate": _session_aggregate(counts),
    }
    return {name: {"available": bool(ok), "reason": why} for name, (ok, why) in caps.items()}


def sampling_evidence(counts: dict[str, Any]) -> str | None:
    """Why the events look sampled, or ``None`` when the journeys show no sign of it.

    Judged only where the data logs browsing or carts: in order data (Online Retail) every
    session is an order, and opening with the purchase is all it can do.
    """
    buying, opened = counts["buying_sessions"], counts["buying_opened_by_purchase"]
    browsing = counts["views"] > 0 or counts["cart_adds"] > 0
    if not browsing or not buying or opened / buying <= MAX_PURCHASE_FIRST_SHARE:
        return None
    return (
        f"{opened:,} of {buying:,} purchasing sessions open with their purchase, nothing logged "
        f"before it ({counts['buying_purchase_only']:,} hold nothing but purchases; only "
        f"{counts['buying_with_view']:,} hold a page view): the events look sampled"
    )


def _identity_and_orders(counts: dict[str, Any], formats: str) -> dict[str, Capability]:
    events, with_customer = counts["events"], counts["with_customer"]
    purchases, aggregate_buyers = counts["purchases"], counts["aggregate_buyers"]
    return {
        "has_customer_ids": (
            with_customer > 0,
            f"{with_customer:,} of {events:,} events carry a customer id"
            if with_customer
            else f"no loaded source has customer or user ids ({formats}); customer metrics, "
            "churn and retention are unavailable",
        ),
        "has_purchases": (
            purchases > 0 or aggregate_buyers > 0,
            (
                f"{purchases:,} purchase events"
                if purchases
                else f"{aggregate_buyers:,} sessions labelled as buying"
            )
            if purchases or aggregate_buyers
            else f"no purchase in the data ({formats} is browse-only); conversion and revenue "
            "cannot be measured",
        ),
    }


def _carts(counts: dict[str, Any], formats: str, sampled: str | None) -> Capability:
    """Carts are on wherever they are logged and the journeys are whole.

    Cart abandonment then counts the sessions that hold a cart add, a true figure even when
    the shop logs many purchases without a cart step.
    """
    cart_adds, cart_sessions = counts["cart_adds"], counts["cart_sessions"]
    if cart_adds == 0:
        return (
            False,
            f"no add-to-cart events ({formats}); funnels and cart abandonment are unavailable",
        )
    if sampled:
        return False, (
            f"{cart_adds:,} add-to-cart events, but {sampled}, so funnel and cart-abandonment "
            "rates would be artefacts of the sampling"
        )
    reason = (
        f"{cart_adds:,} add-to-cart events in {cart_sessions:,} sessions; cart abandonment "
        "counts those sessions only"
    )
    buying, buying_with_cart = counts["buying_sessions"], counts["buying_with_cart"]
    if buying_with_cart < buying:
        reason += (
            f" (purchases without a logged cart step: {buying - buying_with_cart:,} of "
            f"{buying:,} purchasing sessions)"
        )
    return True, reason


def _clock_time(counts: dict[str, Any], no_clock: list[str]) -> Capability:
    available = counts["events"] > 0 and not no_clock
    return available, (
        "event times carry a clock time"
        if available
        else f"{', '.join(no_clock) or 'session tables'}: dates or sessions but no clock "
        "time; durations and hour-of-day views are unavailable"
    )


def _values_and_views(counts: dict[str, Any], formats: str) -> dict[str, Capability]:
    revenue, views, aggregate_sessions = (
        counts["revenue"],
        counts["views"],
        counts["aggregate_sessions"],
    )
    return {
        "has_revenue": (
            revenue > 0,
            f"revenue {revenue:,.2f} on purchase rows"
            if revenue > 0
            else "no revenue amounts in the data; revenue metrics and models are unavailable",
        ),
        "has_page_views": (
            views > 0 or aggregate_sessions > 0,
            f"{views:,} page or product views"
            if views or aggregate_sessions
            else f"no page views ({formats} holds orders only); hit rate and bounce are "
            "unavailable",
        ),
    }


def _complete_journeys(counts: dict[str, Any], sampled: str | None) -> Capability:
    if sampled:
        return False, (
            f"{sampled}, so conversion, repeat-purchase and retention rates would be "
            "artefacts of the sampling"
        )
    buying, opened = counts["buying_sessions"], counts["buying_opened_by_purchase"]
    if buying and (counts["views"] or counts["cart_adds"]):
        share = f"{opened:,} of {buying:,}" if opened else f"none of the {buying:,}"
        return True, (
            f"{share} purchasing sessions open with their purchase: sessions hold their "
            "whole journey"
        )
    return True, "sessions hold their whole journey"


def _session_aggregate(counts: dict[str, Any]) -> Capability:
    aggregate = counts["aggregate_sessions"] > 0 and counts["events"] == 0
    return aggregate, (
        "sessions arrive pre-aggregated (no event rows): event-level funnels are unavailable"
        if aggregate
        else "sessions are built from event rows"
    )


def write_capabilities(
    con: duckdb.DuckDBPyConnection, sources: list[SourceResult]
) -> dict[str, dict[str, Any]]:
    """Compute capabilities and store them in the ``capabilities`` table."""
    caps = compute_capabilities(con, sources)
    con.execute("CREATE TABLE capabilities (name VARCHAR, available BOOLEAN, reason VARCHAR)")
    con.executemany(
        "INSERT INTO capabilities VALUES (?, ?, ?)",
        [[name, c["available"], c["reason"]] for name, c in caps.items()],
    )
    return caps
