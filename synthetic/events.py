"""One chunk of customers simulated into REES46-shaped event rows.

The steps run in a fixed order on one random stream: the output is pinned by seed, so each
step makes the same draws in the same order as before it was a step of its own.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic.arrays import DAY, IntArray, segment_cumsum, segment_starts, uuid_strings
from synthetic.carts import Carts, Outcome, draw_carts, draw_outcome
from synthetic.catalog import Catalog
from synthetic.customers import draw_customers
from synthetic.sessions import SESSION_GAP_SECONDS, Sessions, Views, draw_views, plan_sessions
from warehouse.schema import REES46_COLUMNS

COLUMNS: tuple[str, ...] = REES46_COLUMNS
EVENT_TYPES: tuple[str, ...] = ("view", "cart", "remove_from_cart", "purchase")
_VIEW, _CART, _REMOVE, _PURCHASE = 0, 1, 2, 3

#: REES46 user ids are 9-digit numbers; ours count up from here in customer order.
FIRST_USER_ID = 512_000_000


def generate_chunk(
    cat: Catalog,
    rng: np.random.Generator,
    first_customer: int,
    n: int,
    days: int,
    start_epoch: int,
    start_weekday: int,
) -> tuple[pl.DataFrame, int]:
    """Simulate ``n`` customers and return their events (sorted by user, time) and #sessions."""
    customers = draw_customers(cat, rng, n, days)
    sessions = plan_sessions(cat, customers, rng, days, start_weekday)
    views = draw_views(cat, sessions, rng)
    carts = draw_carts(cat, customers, sessions, views, rng)
    outcome = draw_outcome(customers, sessions, carts, rng)
    start_s, purchase_time = _session_times(sessions, views, carts, outcome, rng, n)
    return _events_frame(
        cat,
        sessions,
        views,
        carts,
        outcome,
        start_s,
        purchase_time,
        rng,
        first_customer=first_customer,
        days=days,
        start_epoch=start_epoch,
    )


def _session_times(
    s: Sessions, v: Views, carts: Carts, o: Outcome, rng: np.random.Generator, n: int
) -> tuple[IntArray, IntArray]:
    """Final session starts and the purchase rows' offsets.

    Checkout follows the last browsing event, and a customer's sessions never overlap.
    """
    browse_end = v.offset[segment_starts(s.n_views) + s.n_views - 1].copy()
    np.maximum.at(browse_end, carts.sess, carts.time)
    np.maximum.at(browse_end, carts.sess[o.removed], o.remove_time)
    checkout = browse_end + rng.integers(40, 400, s.size)
    p_sess = carts.sess[o.bought]
    p_first = np.searchsorted(p_sess, p_sess, side="left")
    p_time = checkout[p_sess] + (np.arange(p_sess.size) - p_first)
    duration = np.where(o.buys, checkout + carts.basket, browse_end)

    # s'_k = max(s_k, s'_{k-1} + d_{k-1} + gap) unrolls to D_k + cummax_{j<=k}(s_j - D_j), with D
    # the exclusive running sum of (d + gap) within the customer; a per-customer offset keeps
    # the running max from leaking across customers.
    n_per_cust = np.bincount(s.cust, minlength=n).astype(np.int64)
    step = duration + SESSION_GAP_SECONDS
    d_excl = segment_cumsum(step, n_per_cust).astype(np.int64) - step
    offset = s.cust * (1 << 40)
    start = d_excl + np.maximum.accumulate(s.planned_start - d_excl + offset) - offset
    return start, p_time


def _events_frame(
    cat: Catalog,
    s: Sessions,
    v: Views,
    carts: Carts,
    o: Outcome,
    start_s: IntArray,
    p_time: IntArray,
    rng: np.random.Generator,
    *,
    first_customer: int,
    days: int,
    start_epoch: int,
) -> tuple[pl.DataFrame, int]:
    """The chunk's events in the REES46 columns, sorted by user and time, and #live sessions."""
    e_sess = np.concatenate([v.sess, carts.sess, carts.sess[o.removed], carts.sess[o.bought]])
    e_off = np.concatenate([v.offset, carts.time, o.remove_time, p_time])
    e_prod = np.concatenate([v.prod, carts.prod, carts.prod[o.removed], carts.prod[o.bought]])
    e_type = np.repeat(
        np.array([_VIEW, _CART, _REMOVE, _PURCHASE], dtype=np.int8),
        [v.sess.size, carts.sess.size, o.removed.size, o.bought.size],
    )
    e_time = start_s[e_sess] + e_off
    # The export ends at the window's end: a session running past midnight is cut, as in the
    # monthly REES46 files.
    inside = e_time < days * DAY
    e_sess, e_time, e_prod, e_type = e_sess[inside], e_time[inside], e_prod[inside], e_type[inside]
    order = np.lexsort((e_time, s.cust[e_sess]))  # stable: ties keep view < cart < remove < buy
    e_sess, e_time, e_prod, e_type = e_sess[order], e_time[order], e_prod[order], e_type[order]

    # Sessions pushed past the end by the overlap fix have no events left and are not counted.
    live = np.zeros(s.size, dtype=np.bool_)
    live[e_sess] = True
    sess_uuid = uuid_strings(rng, s.size)
    price = cat.price_cents[s.week[e_sess], e_prod] / 100.0

    products = cat.table.select(pl.all().gather(pl.Series(e_prod)))
    frame = pl.DataFrame(
        {
            "event_time": pl.from_epoch(pl.Series(start_epoch + e_time), time_unit="s"),
            "event_type": pl.Series(EVENT_TYPES, dtype=pl.String).gather(pl.Series(e_type)),
            "price": pl.Series(price, dtype=pl.Float64),
            "user_id": pl.Series(FIRST_USER_ID + first_customer + s.cust[e_sess], dtype=pl.Int64),
            "user_session": sess_uuid.gather(pl.Series(e_sess)),
        }
    )
    frame = pl.concat([frame, products], how="horizontal").select(
        pl.col("event_time").dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
        *[pl.col(c) for c in COLUMNS[1:]],
    )
    return frame, int(live.sum())
