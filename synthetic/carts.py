"""What goes into the cart, what is removed again, and which cart sessions check out.

``docs/generator.md`` ("Inside a session": cart, checkout) describes the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.arrays import BoolArray, IntArray
from synthetic.catalog import Catalog
from synthetic.customers import Customers
from synthetic.sessions import Sessions, Views

#: Cart choice weight: exp(sensitivity * (-PRICE_ELASTICITY * log(price / category median)
#: + DISCOUNT_PULL * discount fraction)).
PRICE_ELASTICITY = 0.8
DISCOUNT_PULL = 6.0

#: Checkout odds of a cart session: x exp(sensitivity * DISCOUNT_BUY * (has_discount - 0.35)).
DISCOUNT_BUY = 0.6


@dataclass(frozen=True)
class Carts:
    """Cart rows (one per product carted in a session) and the per-session cart facts."""

    sess: IntArray
    prod: IntArray
    rank: IntArray  # the item's place in the session's weighted choice (0 = most wanted)
    time: IntArray  # seconds after the session's start
    basket: IntArray  # per session: products the shopper meant to cart
    has_discount: BoolArray  # per session: a carted product is on promotion


@dataclass(frozen=True)
class Outcome:
    """What happened to the cart rows: removed again, or bought."""

    buys: BoolArray  # per session: the session checks out
    removed: IntArray  # cart rows removed again
    remove_time: IntArray  # seconds after the session's start
    bought: IntArray  # cart rows bought


def draw_carts(
    cat: Catalog, c: Customers, s: Sessions, v: Views, rng: np.random.Generator
) -> Carts:
    """Cart rows: a weighted choice without replacement among fresh views (Efraimidis-Spirakis)."""
    n_v = v.sess.size
    cand = s.is_cart[v.sess] & ~v.repeat
    sens_v = c.sensitivity[s.cust[v.sess]]
    log_w = sens_v * (-PRICE_ELASTICITY * cat.rel_log_price[v.prod] + DISCOUNT_PULL * v.discount)
    with np.errstate(divide="ignore"):
        key = np.where(cand, np.log(rng.random(n_v)) / np.exp(log_w), -np.inf)
    order = np.lexsort((-key, v.sess))
    rank = np.empty(n_v, dtype=np.int64)
    rank[order] = v.pos  # v.sess is already grouped, so segment positions line up with `order`
    n_cand = np.bincount(v.sess[cand], minlength=s.size)
    basket = np.minimum(1 + rng.poisson(np.maximum(c.basket[s.cust] - 1.0, 0.0)), n_cand)
    carted = cand & (rank < basket[v.sess])

    c_rows = np.flatnonzero(carted)
    # Two fresh views of one product may both win a cart slot; a shopper carts it once, and a
    # second identical cart row (same second, same product) would be an exact duplicate.
    product_key = v.sess[c_rows] * (int(v.prod.max()) + 1) + v.prod[c_rows]
    _, first_of_product = np.unique(product_key, return_index=True)
    c_rows = c_rows[np.sort(first_of_product)]
    c_sess = v.sess[c_rows]
    return Carts(
        sess=c_sess,
        prod=v.prod[c_rows],
        rank=rank[c_rows],
        time=v.offset[c_rows] + rng.integers(3, 45, c_rows.size),
        basket=basket,
        has_discount=np.bincount(c_sess, weights=v.discount[c_rows] > 0, minlength=s.size) > 0,
    )


def draw_outcome(c: Customers, s: Sessions, carts: Carts, rng: np.random.Generator) -> Outcome:
    """Which cart sessions check out, which cart rows are removed again, which are bought."""
    cust = s.cust
    p_buy = c.buy[cust] * np.exp(c.sensitivity[cust] * DISCOUNT_BUY * (carts.has_discount - 0.35))
    p_buy = np.where(c.buys_once[cust], s.role_buy.astype(np.float64), np.minimum(p_buy, 0.97))
    buys = s.is_cart & (rng.random(s.size) < p_buy)

    c_buys = buys[carts.sess]
    p_remove = c.remove[cust[carts.sess]] * np.where(c_buys, 0.6, 1.5)
    removed = rng.random(carts.sess.size) < p_remove
    # A checkout needs something in the cart: keep the favourite item if all were removed.
    kept = np.bincount(carts.sess, weights=~removed, minlength=s.size)
    removed &= ~(c_buys & (kept[carts.sess] == 0) & (carts.rank == 0))
    r_idx = np.flatnonzero(removed)
    return Outcome(
        buys=buys,
        removed=r_idx,
        remove_time=carts.time[r_idx] + rng.integers(5, 240, r_idx.size),
        bought=np.flatnonzero(c_buys & ~removed),
    )
