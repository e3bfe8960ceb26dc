"""Capabilities judge sampled journeys on real evidence (issue 9, item 8).

A purchasing session that opens with its purchase, nothing logged before it, is what an event
sample leaves behind; a shop that logs purchases without a cart step (REES46) is not sampled,
and its cart abandonment over the sessions that hold a cart add is a true figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures_data import EVENT_LOG_HEADER
from warehouse.capabilities import MAX_PURCHASE_FIRST_SHARE
from warehouse.info import warehouse_info


def row(time: str, kind: str, product: str, user: str, session: str) -> str:
    return f"2024-03-01 {time} UTC,{kind},{product},10,apparel.shoes,acme,20.00,{user},{session}"


def whole_purchase(session: str, *, cart: bool) -> list[str]:
    """A buying journey: views, perhaps a cart add, then the purchase."""
    user = f"u-{session}"
    lines = [row("10:00:00", "view", "p1", user, session)]
    if cart:
        lines.append(row("10:02:00", "cart", "p1", user, session))
    lines.append(row("10:05:00", "purchase", "p1", user, session))
    return lines


def purchase_first(session: str) -> list[str]:
    """What an event sample leaves of a journey: the purchase, then whatever was kept."""
    user = f"u-{session}"
    return [
        row("11:00:00", "purchase", "p2", user, session),
        row("11:03:00", "view", "p3", user, session),
    ]


# Browsing and cart sessions that end without a purchase.
CART_ABANDONED = [
    row("12:00:00", "view", "p4", "u-a1", "a1"),
    row("12:01:00", "cart", "p4", "u-a1", "a1"),
    row("12:30:00", "view", "p5", "u-a2", "a2"),
    row("12:31:00", "cart", "p5", "u-a2", "a2"),
]
BOUNCE = [row("13:00:00", "view", "p6", "u-b1", "b1")]


def build_info(write_file, build, tmp_path: Path, lines: list[str]) -> dict[str, object]:
    path = write_file("events.csv", "\n".join([EVENT_LOG_HEADER, *lines]) + "\n")
    build(path)
    return warehouse_info(tmp_path / "w.duckdb")


def test_purchases_without_a_cart_step_are_whole_journeys_and_keep_cart_abandonment(
    write_file, build, tmp_path
):
    """REES46's shape: every purchase follows views, only one of four has a cart add."""
    lines = [
        *whole_purchase("s1", cart=True),
        *whole_purchase("s2", cart=False),
        *whole_purchase("s3", cart=False),
        # A view and its purchase stamped the same second: not evidence of sampling.
        row("10:00:00", "view", "p1", "u-s4", "s4"),
        row("10:00:00", "purchase", "p1", "u-s4", "s4"),
        *CART_ABANDONED,
        *BOUNCE,
    ]
    info = build_info(write_file, build, tmp_path, lines)
    caps, reasons, metrics = info["capabilities"], info["capability_reasons"], info["metrics"]
    assert caps["has_carts"] is True
    assert caps["has_complete_journeys"] is True
    assert reasons["has_carts"] == (
        "3 add-to-cart events in 3 sessions; cart abandonment counts those sessions only "
        "(purchases without a logged cart step: 3 of 4 purchasing sessions)"
    )
    assert reasons["has_complete_journeys"].startswith(
        "none of the 4 purchasing sessions open with their purchase"
    )
    # Cart sessions: s1 bought, a1 and a2 did not → 2 of 3 abandoned.
    abandonment = metrics["cart_abandonment_rate"]
    assert abandonment["available"] is True
    assert (abandonment["numerator"], abandonment["denominator"]) == (2, 3)
    assert abandonment["value"] == pytest.approx(2 / 3)
    assert "only sessions that log a cart add" in abandonment["definition"]
    assert metrics["conversion_rate"]["value"] == pytest.approx(4 / 7)


def test_sessions_that_open_with_their_purchase_mark_the_events_as_sampled(
    write_file, build, tmp_path
):
    lines = [
        *whole_purchase("s1", cart=True),
        *purchase_first("s2"),
        *purchase_first("s3"),
        row("11:00:00", "purchase", "p2", "u-s4", "s4"),  # a purchase and nothing else
        *CART_ABANDONED,
        *BOUNCE,
    ]
    info = build_info(write_file, build, tmp_path, lines)
    caps, reasons, metrics = info["capabilities"], info["capability_reasons"], info["metrics"]
    assert caps["has_complete_journeys"] is False
    assert caps["has_carts"] is False
    evidence = (
        "3 of 4 purchasing sessions open with their purchase, nothing logged before it "
        "(1 hold nothing but purchases; only 3 hold a page view): the events look sampled"
    )
    assert reasons["has_complete_journeys"].startswith(evidence)
    assert reasons["has_carts"] == (
        f"3 add-to-cart events, but {evidence}, so funnel and cart-abandonment rates would be "
        "artefacts of the sampling"
    )
    for name in ("conversion_rate", "cart_abandonment_rate", "repeat_purchase_rate"):
        assert metrics[name]["available"] is False
        assert "look sampled" in metrics[name]["reason"]
    assert metrics["hit_rate"]["available"] is True


@pytest.mark.parametrize(("opened", "sampled"), [(1, False), (2, True)])
def test_the_share_of_purchase_first_sessions_decides(write_file, build, tmp_path, opened, sampled):
    """Four purchasing sessions: one opening with its purchase is a session cut (25 %),
    two are more than the rule allows."""
    assert 1 / 4 <= MAX_PURCHASE_FIRST_SHARE < 2 / 4  # the premise of the two cases
    lines = [
        line
        for i in range(4)
        for line in (purchase_first(f"s{i}") if i < opened else whole_purchase(f"s{i}", cart=True))
    ]
    info = build_info(write_file, build, tmp_path, lines)
    assert info["capabilities"]["has_complete_journeys"] is (not sampled)
    assert info["metrics"]["conversion_rate"]["available"] is (not sampled)


def test_order_data_is_not_judged_for_sampling(write_file, build, tmp_path):
    """Orders only (no views, no carts): every session is its purchase, and that is whole."""
    lines = [row(f"1{i}:00:00", "purchase", "p1", f"u{i}", f"o{i}") for i in range(3)]
    info = build_info(write_file, build, tmp_path, lines)
    assert info["capabilities"]["has_complete_journeys"] is True
    assert info["capabilities"]["has_carts"] is False
    assert info["capability_reasons"]["has_carts"].startswith("no add-to-cart events")
