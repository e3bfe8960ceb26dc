"""What a build's data can support, computed from the data itself, each with its reason.

A metric or model that needs a capability the data lacks is reported as unavailable with
that reason on every surface, instead of showing a zero that looks like a measurement.
"""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.engine import load_sql
from warehouse.ledger import SourceResult

# Below this share of purchasing sessions that also hold a cart add, journeys look sampled
# (the GA4 public sample: 11 of 526 purchases), and funnel rates would be artefacts.
MIN_CART_COVERAGE = 0.5


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
    "is_session_aggregate": "(when present) event-level funnels and prefix scoring",
}


def compute_capabilities(
    con: duckdb.DuckDBPyConnection, sources: list[SourceResult]
) -> dict[str, dict[str, Any]]:
    loaded = [s for s in sources if s.status == "loaded" and s.rows_loaded > 0]
    formats = ", ".join(sorted({s.format for s in loaded})) or "none"
    evidence = con.sql(load_sql("capability_evidence"))  # one row of counts
    counts: dict[str, Any] = dict(zip(evidence.columns, evidence.fetchall()[0], strict=True))
    events, with_customer = counts["events"], counts["with_customer"]
    purchases, cart_adds, views = counts["purchases"], counts["cart_adds"], counts["views"]
    revenue = counts["revenue"]
    aggregate_sessions, aggregate_buyers = counts["aggregate_sessions"], counts["aggregate_buyers"]
    buying_sessions = counts["buying_sessions"]
    buying_with_cart, buying_with_view = counts["buying_with_cart"], counts["buying_with_view"]
    caps: dict[str, dict[str, Any]] = {}

    def put(name: str, available: bool, reason: str) -> None:
        caps[name] = {"available": bool(available), "reason": reason}

    put(
        "has_customer_ids",
        with_customer > 0,
        f"{with_customer:,} of {events:,} events carry a customer id"
        if with_customer
        else f"no loaded source has customer or user ids ({formats}); customer metrics, "
        "churn and retention are unavailable",
    )
    put(
        "has_purchases",
        purchases > 0 or aggregate_buyers > 0,
        (
            f"{purchases:,} purchase events"
            if purchases
            else f"{aggregate_buyers:,} sessions labelled as buying"
        )
        if purchases or aggregate_buyers
        else f"no purchase in the data ({formats} is browse-only); conversion and revenue "
        "cannot be measured",
    )
    if cart_adds == 0:
        put(
            "has_carts",
            False,
            f"no add-to-cart events ({formats}); funnels and cart abandonment are unavailable",
        )
    elif buying_sessions and buying_with_cart / buying_sessions < MIN_CART_COVERAGE:
        put(
            "has_carts",
            False,
            f"only {buying_with_cart:,} of {buying_sessions:,} purchasing sessions contain a "
            "cart add: journeys look sampled, so funnel and cart-abandonment rates would be "
            "artefacts of the sampling",
        )
    else:
        put("has_carts", True, f"{cart_adds:,} add-to-cart events")
    no_clock = sorted({s.format for s in loaded if not s.has_clock_time})
    put(
        "has_clock_time",
        events > 0 and not no_clock,
        "event times carry a clock time"
        if events > 0 and not no_clock
        else f"{', '.join(no_clock) or 'session tables'}: dates or sessions but no clock "
        "time; durations and hour-of-day views are unavailable",
    )
    put(
        "has_revenue",
        revenue > 0,
        f"revenue {revenue:,.2f} on purchase rows"
        if revenue > 0
        else "no revenue amounts in the data; revenue metrics and models are unavailable",
    )
    put(
        "has_page_views",
        views > 0 or aggregate_sessions > 0,
        f"{views:,} page or product views"
        if views or aggregate_sessions
        else f"no page views ({formats} holds orders only); hit rate and bounce are unavailable",
    )
    if views and buying_sessions and buying_with_view / buying_sessions < MIN_CART_COVERAGE:
        put(
            "has_complete_journeys",
            False,
            f"only {buying_with_view:,} of {buying_sessions:,} purchasing sessions hold a page "
            "view: the events look sampled, so conversion, repeat-purchase and retention rates "
            "would be artefacts of the sampling",
        )
    else:
        put("has_complete_journeys", True, "sessions hold their whole journey")
    put(
        "is_session_aggregate",
        aggregate_sessions > 0 and events == 0,
        "sessions arrive pre-aggregated (no event rows): event-level funnels are unavailable"
        if aggregate_sessions > 0 and events == 0
        else "sessions are built from event rows",
    )
    return caps


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
