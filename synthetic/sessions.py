"""When customers visit and what they view: return visits, seasonality and session contents.

``docs/generator.md`` ("Return visits, decay and churn", "Seasonality", "Inside a session")
describes the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.arrays import DAY, BoolArray, FloatArray, IntArray, ordinal, segment_cumsum
from synthetic.catalog import Catalog, sample_categories, sample_products
from synthetic.customers import Customers

#: Each further visit's expected gap is this factor longer: interest fades even before churn.
GAP_GROWTH = 1.03

#: A return gap is occasionally a long dormant spell (holiday, a need that recurs later), so a
#: long absence does not always mean churn and recency is predictive but not decisive.
DORMANT_PROB = 0.06
DORMANT_MEAN_DAYS = 30.0

#: Minimum quiet time between two sessions of one customer. Just above the usual 30-minute
#: inactivity split, while no gap inside a session reaches 30 minutes, so re-sessionising the
#: log by a 30-minute gap reproduces ``user_session`` exactly.
SESSION_GAP_SECONDS = 1_860
MAX_GAP_IN_SESSION = 1_500

#: Median product views per session before the archetype's scale, and the log-normal sigma
#: that gives the heavy tail (p99 around 8x the median).
VIEW_MEDIAN = 3.8
VIEW_SIGMA = 0.85
MAX_VIEWS_PER_SESSION = 300

#: P(a session's category is a random one rather than one of the customer's favourites).
EXPLORE_SESSION = 0.15

#: P(a single view inside a session leaves the session's category).
EXPLORE_VIEW = 0.2

#: P(a view re-opens the product viewed just before), common in real clickstreams.
REPEAT_VIEW = 0.18

#: Seconds between views: log-normal median and sigma, clipped to [2, MAX_GAP_IN_SESSION].
VIEW_GAP_MEDIAN = 35.0
VIEW_GAP_SIGMA = 1.0

#: Relative weight of each weekday (Mon..Sun) for return visits: a weekend lift.
WEEKDAY_WEIGHT = np.array([0.82, 0.78, 0.80, 0.84, 0.90, 1.0, 0.97])

#: Hour-of-day profile (UTC = shop time) on weekdays and on weekends: night trough,
#: lunch bump and an evening peak; weekends are flatter and start later.
HOUR_WEIGHT_WEEKDAY = np.array(
    [2.0, 1.2, 0.7, 0.45, 0.4, 0.55, 1.2, 2.4, 3.4, 4.0, 4.4, 4.8]  # 00:00-11:00
    + [5.6, 5.4, 4.8, 4.6, 4.8, 5.2, 6.0, 7.2, 8.0, 7.6, 5.8, 3.6]  # 12:00-23:00
)
HOUR_WEIGHT_WEEKEND = np.array(
    [2.6, 1.8, 1.0, 0.6, 0.45, 0.45, 0.7, 1.3, 2.4, 3.6, 4.8, 5.6]  # 00:00-11:00
    + [6.0, 6.0, 5.8, 5.6, 5.6, 5.8, 6.2, 6.8, 7.2, 6.8, 5.4, 3.8]  # 12:00-23:00
)


@dataclass(frozen=True)
class Sessions:
    """The sessions of one chunk, grouped by customer in time order."""

    cust: IntArray  # customer index of each session
    role_buy: BoolArray  # a one-time buyer's purchase visit
    planned_start: IntArray  # seconds from the window's start, before overlaps are resolved
    week: IntArray  # the promotion week whose prices the session shows
    n_views: IntArray
    category: IntArray  # the category the session browses
    is_cart: BoolArray

    @property
    def size(self) -> int:
        return int(self.cust.size)


@dataclass(frozen=True)
class Views:
    """Every product view, grouped by session in time order."""

    sess: IntArray
    pos: IntArray  # position inside the session
    prod: IntArray
    repeat: BoolArray  # re-opens the product viewed just before
    offset: IntArray  # seconds after the session's start
    discount: FloatArray  # promotion discount of the product in the session's week


def plan_sessions(
    cat: Catalog, c: Customers, rng: np.random.Generator, days: int, start_weekday: int
) -> Sessions:
    """Which sessions happen, when they are planned to start, and their shape."""
    cust, day, weekday, role_buy = _session_days(c, rng, days, start_weekday)
    planned_start = _planned_start_seconds(rng, day, weekday)
    # A session keeps the prices of the promotion week it was planned in, so a purchase always
    # repeats the price its product showed earlier in the same session.
    week = np.minimum(day // 7, cat.price_cents.shape[0] - 1)

    n_sess = cust.size
    n_views = np.clip(
        np.round(rng.lognormal(np.log(VIEW_MEDIAN * c.views[cust]), VIEW_SIGMA)),
        1,
        MAX_VIEWS_PER_SESSION,
    ).astype(np.int64)
    fav_pick = (rng.random(n_sess)[:, None] > c.fav_cdf[cust]).sum(axis=1)
    category = np.where(
        rng.random(n_sess) < EXPLORE_SESSION,
        sample_categories(cat, rng, n_sess),
        c.fav[cust, np.minimum(fav_pick, 2)],
    )
    # Longer sessions are likelier to end in the cart, which gives session models real signal.
    p_cart = c.cart[cust] * np.minimum(1.0, 0.55 + 0.09 * n_views)
    p_cart = np.where(c.buys_once[cust], np.where(role_buy, 1.0, p_cart), p_cart)
    is_cart = rng.random(n_sess) < p_cart
    return Sessions(
        cust=cust,
        role_buy=role_buy,
        planned_start=planned_start,
        week=week,
        n_views=n_views,
        category=category,
        is_cart=is_cart,
    )


def _session_days(
    c: Customers, rng: np.random.Generator, days: int, start_weekday: int
) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
    """Customer, day, weekday and purchase role of every session inside the window.

    Potential sessions follow geometric churn with exponential gaps that slowly lengthen; a
    weekday thinning then gives the weekend lift.
    """
    cust = np.repeat(np.arange(c.n_potential.size, dtype=np.int64), c.n_potential)
    k = ordinal(c.n_potential)
    gaps = rng.exponential(1.0, cust.size) * c.mean_gap[cust] * GAP_GROWTH**k
    dormant = rng.random(cust.size) < DORMANT_PROB
    gaps += np.where(dormant, rng.exponential(DORMANT_MEAN_DAYS, cust.size), 0.0)
    gaps[k == 0] = 0.0
    t_day = c.acq_day[cust] + segment_cumsum(gaps, c.n_potential)
    is_last = k == c.n_potential[cust] - 1
    role_buy = c.buys_once[cust] & is_last
    day = np.floor(t_day).astype(np.int64)
    weekday = (start_weekday + day) % 7
    # The acquisition visit and a one-time buyer's purchase visit are structural, so they are
    # never thinned.
    keep = (k == 0) | role_buy | (rng.random(cust.size) < WEEKDAY_WEIGHT[weekday])
    keep &= day < days
    return cust[keep], day[keep], weekday[keep], role_buy[keep]


def _planned_start_seconds(rng: np.random.Generator, day: IntArray, weekday: IntArray) -> IntArray:
    """Start of each session in seconds from the window's start, by the hour-of-day profile."""
    n_sess = day.size
    weekend = weekday >= 5
    hour = np.where(
        weekend,
        np.searchsorted(
            np.cumsum(HOUR_WEIGHT_WEEKEND) / HOUR_WEIGHT_WEEKEND.sum(), rng.random(n_sess)
        ),
        np.searchsorted(
            np.cumsum(HOUR_WEIGHT_WEEKDAY) / HOUR_WEIGHT_WEEKDAY.sum(), rng.random(n_sess)
        ),
    )
    hour = np.minimum(hour, 23)
    start: IntArray = day * DAY + hour * 3600 + rng.integers(0, 3600, n_sess)
    return start


def draw_views(cat: Catalog, s: Sessions, rng: np.random.Generator) -> Views:
    """Every product view: mostly the session's category, some repeats, log-normal gaps."""
    v_sess = np.repeat(np.arange(s.size, dtype=np.int64), s.n_views)
    v_pos = ordinal(s.n_views)
    n_v = v_sess.size
    v_cat = np.where(
        rng.random(n_v) < EXPLORE_VIEW, sample_categories(cat, rng, n_v), s.category[v_sess]
    )
    v_prod = sample_products(cat, v_cat, rng.random(n_v))
    repeat = (v_pos > 0) & (rng.random(n_v) < REPEAT_VIEW)
    # Forward-fill: a repeated view takes the product of the last fresh view (never crosses a
    # session because each session's first view is fresh).
    src = np.maximum.accumulate(np.where(repeat, 0, np.arange(n_v, dtype=np.int64)))
    v_prod = v_prod[src]
    v_gap = np.clip(
        rng.lognormal(np.log(VIEW_GAP_MEDIAN), VIEW_GAP_SIGMA, n_v), 2, MAX_GAP_IN_SESSION
    )
    v_gap = np.where(v_pos == 0, 0, np.round(v_gap)).astype(np.int64)
    return Views(
        sess=v_sess,
        pos=v_pos,
        prod=v_prod,
        repeat=repeat,
        offset=segment_cumsum(v_gap, s.n_views).astype(np.int64),
        discount=cat.discount[s.week[v_sess], v_prod],
    )
