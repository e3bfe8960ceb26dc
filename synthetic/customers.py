"""Who the customers are: hidden archetypes, acquisition days and per-customer traits.

``docs/generator.md`` ("Acquisition", "Archetypes") describes the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.arrays import BoolArray, FloatArray, IntArray
from synthetic.catalog import Catalog


@dataclass(frozen=True)
class Archetype:
    """Behavioural parameters shared by one hidden customer segment.

    Per-customer values are drawn around these means (see ``docs/generator.md``), so two
    customers of one archetype still differ.
    """

    name: str
    share: float
    #: Mean days between two visits, before per-customer rate noise and gap growth.
    mean_gap_days: float
    #: Mean probability of never coming back after a session (per-customer Beta draw).
    churn_hazard: float
    #: Multiplier on the number of product views in a session.
    views_scale: float
    #: Mean probability that a session adds something to the cart.
    cart_prob: float
    #: Mean probability that a session with a cart checks out.
    buy_prob: float
    #: Mean number of distinct products carted in a cart session.
    basket_mean: float
    #: How strongly cheap and discounted products attract the cart (0 = indifferent).
    price_sensitivity: float
    #: Probability that a carted item is removed again.
    remove_prob: float
    #: One-time buyers browse a little, buy once in their last session, and never return.
    buys_once: bool = False


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        name="bargain_hunter",
        share=0.25,
        mean_gap_days=2.7,
        churn_hazard=0.045,
        views_scale=1.5,
        cart_prob=0.30,
        buy_prob=0.17,
        basket_mean=1.6,
        price_sensitivity=2.0,
        remove_prob=0.18,
    ),
    Archetype(
        name="loyal_regular",
        share=0.15,
        mean_gap_days=1.5,
        churn_hazard=0.02,
        views_scale=0.9,
        cart_prob=0.40,
        buy_prob=0.38,
        basket_mean=1.8,
        price_sensitivity=0.3,
        remove_prob=0.08,
    ),
    Archetype(
        name="window_shopper",
        share=0.35,
        mean_gap_days=2.2,
        churn_hazard=0.045,
        views_scale=1.3,
        cart_prob=0.20,
        buy_prob=0.04,
        basket_mean=1.3,
        price_sensitivity=0.8,
        remove_prob=0.25,
    ),
    Archetype(
        name="one_time_buyer",
        share=0.25,
        mean_gap_days=3.0,
        churn_hazard=1.0,  # unused: the session count is 1 + Poisson(ONE_TIME_EXTRA_SESSIONS)
        views_scale=1.0,
        cart_prob=0.10,  # in the browsing sessions before the single purchase
        buy_prob=1.0,
        basket_mean=1.3,
        price_sensitivity=0.8,
        remove_prob=0.10,
        buys_once=True,
    ),
)

#: Share of customers who already exist at the start of the window (a launch / existing base
#: cohort); their first session falls in the first LAUNCH_DAYS days.
LAUNCH_SHARE = 0.20
LAUNCH_DAYS = 7.0

#: The remaining customers arrive as a stream whose density grows linearly over the window:
#: the acquisition rate on the last day is (1 + ACQUISITION_GROWTH) times that on the first.
ACQUISITION_GROWTH = 1.0

#: Gamma shape of the per-customer visit-rate multiplier (mean 1): small = heavy-tailed.
RATE_SHAPE = 1.3

#: Beta concentration of the per-customer churn hazard around its archetype mean.
CHURN_CONCENTRATION = 6.0

#: Extra browsing sessions a one-time buyer has before the purchase (Poisson mean).
ONE_TIME_EXTRA_SESSIONS = 0.7
MAX_SESSIONS_PER_CUSTOMER = 400


@dataclass(frozen=True)
class Customers:
    """Per-customer traits of one chunk, drawn around their archetype's means."""

    buys_once: BoolArray
    acq_day: FloatArray  # fractional day of the first visit
    mean_gap: FloatArray  # mean days between visits
    n_potential: IntArray  # sessions before churn, before thinning and the window's end
    cart: FloatArray  # probability that a session carts something
    buy: FloatArray  # probability that a cart session checks out
    sensitivity: FloatArray  # price sensitivity
    views: FloatArray  # multiplier on views per session
    basket: FloatArray  # mean distinct products carted
    remove: FloatArray  # probability that a carted item is removed
    fav: IntArray  # [customer, 3] favourite categories, best first
    fav_cdf: FloatArray  # [customer, 3] cumulative weights of the favourites


def draw_customers(cat: Catalog, rng: np.random.Generator, n: int, days: int) -> Customers:
    """Archetypes, acquisition days and per-customer traits of ``n`` customers."""
    shares = np.array([a.share for a in ARCHETYPES])
    arch = rng.choice(len(ARCHETYPES), size=n, p=shares / shares.sum()).astype(np.int64)

    def per_arch(field: str) -> FloatArray:
        return np.array([float(getattr(a, field)) for a in ARCHETYPES])[arch]

    buys_once = np.array([a.buys_once for a in ARCHETYPES])[arch]
    acq_day = _acquisition_days(rng, n, days)
    rate = rng.gamma(RATE_SHAPE, 1.0 / RATE_SHAPE, n)
    mean_gap = np.clip(per_arch("mean_gap_days") / np.maximum(rate, 1e-3), 0.25, 10.0 * days)
    # One-time buyers' hazard is unused (their session count is fixed below); capping the mean
    # keeps the Beta parameters valid for them.
    hazard_mean = np.minimum(per_arch("churn_hazard"), 0.9)
    hazard = rng.beta(CHURN_CONCENTRATION * hazard_mean, CHURN_CONCENTRATION * (1.0 - hazard_mean))
    hazard = np.clip(hazard, 0.005, 1.0)
    n_potential = np.where(
        buys_once,
        1 + rng.poisson(ONE_TIME_EXTRA_SESSIONS, n),
        np.minimum(rng.geometric(hazard), MAX_SESSIONS_PER_CUSTOMER),
    ).astype(np.int64)
    cart = np.clip(per_arch("cart_prob") * rng.gamma(5.0, 1 / 5.0, n), 0.0, 0.95)
    buy = np.clip(per_arch("buy_prob") * rng.gamma(5.0, 1 / 5.0, n), 0.0, 1.0)
    sensitivity = per_arch("price_sensitivity") * rng.lognormal(0.0, 0.3, n)
    views = per_arch("views_scale") * rng.lognormal(0.0, 0.25, n)
    fav, fav_cdf = _favourite_categories(cat, rng, n)
    return Customers(
        buys_once=buys_once,
        acq_day=acq_day,
        mean_gap=mean_gap,
        n_potential=n_potential,
        cart=cart,
        buy=buy,
        sensitivity=sensitivity,
        views=views,
        basket=per_arch("basket_mean"),
        remove=per_arch("remove_prob"),
        fav=fav,
        fav_cdf=fav_cdf,
    )


def _acquisition_days(rng: np.random.Generator, n: int, days: int) -> FloatArray:
    """First-visit days: a launch cohort, then a stream whose density grows linearly."""
    g = ACQUISITION_GROWTH
    u = rng.random(n)
    # Inverse CDF of the density (1 + g x) on [0, 1], normalised.
    stream = (np.sqrt(1.0 + 2.0 * g * (1.0 + g / 2.0) * u) - 1.0) / g
    launch = rng.random(n) < LAUNCH_SHARE
    acq_day: FloatArray = np.where(launch, rng.random(n) * min(LAUNCH_DAYS, days), stream * days)
    return acq_day


def _favourite_categories(
    cat: Catalog, rng: np.random.Generator, n: int
) -> tuple[IntArray, FloatArray]:
    """1-3 favourite categories per customer and the cumulative weights to pick among them.

    Favourites are drawn by popularity without replacement (Gumbel top-k), with Dirichlet-like
    weights.
    """
    n_cat = len(cat.cat_prob)
    gumbel = np.log(cat.cat_prob)[None, :] + rng.gumbel(size=(n, n_cat))
    fav = np.argsort(-gumbel, axis=1)[:, :3].astype(np.int64)
    n_fav = 1 + rng.binomial(2, 0.4, n)
    fav_w = rng.gamma(1.0, 1.0, (n, 3)) * (np.arange(3)[None, :] < n_fav[:, None])
    fav_cdf = np.cumsum(fav_w / np.maximum(fav_w.sum(axis=1, keepdims=True), 1e-300), axis=1)
    return fav, fav_cdf
