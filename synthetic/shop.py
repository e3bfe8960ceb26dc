"""Synthetic e-commerce event log in the REES46 shape.

The generator simulates customers of a multi-category online shop and writes their
``view`` / ``cart`` / ``remove_from_cart`` / ``purchase`` events in the column layout of the
public REES46 "eCommerce behavior data from multi category store" files. It is the data behind
the demo and the benchmarks, and later models train on it, so the behaviour it encodes has to
be learnable without being trivial: customers belong to hidden archetypes, churn after each
visit with a per-customer hazard, prefer a few categories, react to prices and weekly promotions,
and visit the shop with weekday and hour-of-day seasonality. ``docs/generator.md`` documents the
model and its parameters.

Everything is vectorised with numpy per chunk of customers; there is no Python loop over
sessions or events, and memory is bounded by the chunk size rather than by ``customers``.
"""

from __future__ import annotations

import calendar
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from warehouse.schema import REES46_COLUMNS

__all__ = [
    "ARCHETYPES",
    "CATEGORIES",
    "COLUMNS",
    "EVENT_TYPES",
    "SCHEMA",
    "Archetype",
    "category_id",
    "GenerateSummary",
    "PlantedEffect",
    "generate_events",
]

FileFormat = Literal["parquet", "csv"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

COLUMNS: tuple[str, ...] = REES46_COLUMNS
EVENT_TYPES: tuple[str, ...] = ("view", "cart", "remove_from_cart", "purchase")
_VIEW, _CART, _REMOVE, _PURCHASE = 0, 1, 2, 3

SCHEMA: dict[str, pl.DataType] = {
    "event_time": pl.String(),
    "event_type": pl.String(),
    "product_id": pl.Int64(),
    "category_id": pl.Int64(),
    "category_code": pl.String(),
    "brand": pl.String(),
    "price": pl.Float64(),
    "user_id": pl.Int64(),
    "user_session": pl.String(),
}

#: Customers per output file. 20k customers is ~1.2M events, a few hundred MB of working arrays.
CHUNK_CUSTOMERS = 20_000
#: REES46 user ids are 9-digit numbers; ours count up from here in customer order.
FIRST_USER_ID = 512_000_000
_DAY = 86_400


# --------------------------------------------------------------------------------------------
# Model parameters
# --------------------------------------------------------------------------------------------


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
#: Each further visit's expected gap is this factor longer: interest fades even before churn.
GAP_GROWTH = 1.03
#: A return gap is occasionally a long dormant spell (holiday, a need that recurs later), so a
#: long absence does not always mean churn and recency is predictive but not decisive.
DORMANT_PROB = 0.06
DORMANT_MEAN_DAYS = 30.0
#: Extra browsing sessions a one-time buyer has before the purchase (Poisson mean).
ONE_TIME_EXTRA_SESSIONS = 0.7
MAX_SESSIONS_PER_CUSTOMER = 400
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

#: Cart choice weight: exp(sensitivity * (-PRICE_ELASTICITY * log(price / category median)
#: + DISCOUNT_PULL * discount fraction)).
PRICE_ELASTICITY = 0.8
DISCOUNT_PULL = 6.0
#: Checkout odds of a cart session: x exp(sensitivity * DISCOUNT_BUY * (has_discount - 0.35)).
DISCOUNT_BUY = 0.6
#: Share of products on promotion in any week, and the discount range.
PROMO_SHARE = 0.12
PROMO_DISCOUNT = (0.10, 0.40)

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

#: (category_code, median price, log-normal price sigma, relative popularity).
CATEGORIES: tuple[tuple[str, float, float, float], ...] = (
    ("electronics.smartphone", 260.0, 0.75, 10.0),
    ("electronics.audio.headphone", 45.0, 0.8, 4.0),
    ("electronics.video.tv", 420.0, 0.6, 3.0),
    ("electronics.clocks", 160.0, 0.7, 2.5),
    ("electronics.tablet", 230.0, 0.6, 1.5),
    ("electronics.camera.photo", 480.0, 0.7, 0.8),
    ("appliances.kitchen.washer", 330.0, 0.4, 2.0),
    ("appliances.kitchen.refrigerators", 520.0, 0.4, 2.0),
    ("appliances.environment.vacuum", 160.0, 0.6, 2.0),
    ("appliances.kitchen.kettle", 30.0, 0.5, 1.2),
    ("appliances.iron", 38.0, 0.5, 0.8),
    ("appliances.kitchen.microwave", 95.0, 0.4, 0.8),
    ("computers.notebook", 720.0, 0.5, 3.0),
    ("computers.desktop", 650.0, 0.5, 0.8),
    ("computers.peripherals.mouse", 22.0, 0.8, 1.0),
    ("computers.components.videocards", 410.0, 0.7, 0.8),
    ("apparel.shoes", 85.0, 0.6, 3.0),
    ("apparel.shoes.sneakers", 95.0, 0.5, 1.5),
    ("apparel.jeans", 55.0, 0.4, 1.0),
    ("apparel.shirt", 32.0, 0.5, 0.8),
    ("apparel.jacket", 120.0, 0.5, 0.8),
    ("furniture.living_room.sofa", 560.0, 0.5, 1.0),
    ("furniture.bedroom.bed", 450.0, 0.5, 0.7),
    ("furniture.kitchen.table", 180.0, 0.5, 0.6),
    ("kids.toys", 26.0, 0.8, 1.5),
    ("kids.carriage", 310.0, 0.5, 0.6),
    ("sport.bicycle", 360.0, 0.5, 0.8),
    ("sport.fitness.trainer", 260.0, 0.6, 0.4),
    ("accessories.bag", 48.0, 0.7, 1.0),
    ("accessories.wallet", 26.0, 0.6, 0.5),
)

_BRANDS: dict[str, tuple[str, ...]] = {
    "electronics": ("samsung", "apple", "xiaomi", "huawei", "sony", "lg", "oppo", "jbl"),
    "appliances": ("bosch", "lg", "samsung", "indesit", "beko", "philips", "tefal", "redmond"),
    "computers": ("lenovo", "hp", "asus", "acer", "dell", "apple", "msi", "logitech"),
    "apparel": ("nike", "adidas", "puma", "reebok", "levis", "baden", "respect", "tommy"),
    "furniture": ("ikea", "askona", "lazurit", "brw", "sonberry", "dreamline"),
    "kids": ("lego", "chicco", "hasbro", "mattel", "carrello", "happybaby"),
    "sport": ("stels", "forward", "merida", "torneo", "kettler", "trek"),
    "accessories": ("samsonite", "tigernu", "wenger", "guess", "pola", "xiaomi"),
}
#: Products per category scale with popularity; about 5,000 products in all.
PRODUCTS_TOTAL = 5_000
NO_BRAND_SHARE = 0.10


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate_events` wrote.

    ``start`` and ``end`` are the UTC window ``[start, end)``; every event time lies inside it.
    """

    out_dir: Path
    files: list[Path]
    customers: int
    sessions: int
    events: int
    purchases: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PlantedEffect:
    """A known campaign effect planted in the log, so a measurement of it can be checked.

    Treated customers who made no purchase in ``[start, start + window_days)`` are each given
    a purchase session there (a view, a cart add and the purchase of a product they saw) with
    probability ``lift / (1 - r)``, ``r`` being the treated customers' own purchase rate in the
    window without the effect (per output file). The treated purchase rate then rises by
    ``lift`` in expectation, an absolute difference in probability: the quantity a campaign
    report estimates. Customers not in ``treated`` (the control group) are untouched.
    """

    treated: frozenset[int]
    start: date
    window_days: int
    lift: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.lift < 1.0:
            raise ValueError(f"lift must be from 0 up to (not including) 1, got {self.lift}")
        if self.window_days < 1:
            raise ValueError(f"window_days must be >= 1, got {self.window_days}")


def generate_events(
    out_dir: Path | str,
    *,
    customers: int = 5000,
    days: int = 180,
    seed: int = 42,
    file_format: FileFormat = "parquet",
    start: date = date(2025, 1, 1),
    progress: Callable[[int, int], None] | None = None,
    planted: PlantedEffect | None = None,
) -> GenerateSummary:
    """Write a synthetic REES46-shaped event log to ``out_dir``.

    Parameters
    ----------
    out_dir
        Directory to write ``events-00000.<ext>``, ``events-00001.<ext>``, … into (created if
        missing). Files of an earlier run with the same naming pattern (either format) are
        removed first, so the directory always holds exactly one generated dataset.
    customers
        Number of customers. Each appears in the log (every customer has at least one session).
    days
        Length of the observation window, starting at ``start`` 00:00 UTC.
    seed
        Non-negative seed. The same arguments give byte-identical files.
    file_format
        ``"parquet"`` (zstd) or ``"csv"`` (with header, prices with two decimals).
    start
        First day of the window.
    progress
        Called as ``progress(done_customers, total_customers)`` after each written file.
    planted
        A known campaign effect to plant (see :class:`PlantedEffect`); ``None`` (the
        default) leaves the log exactly as without it.

    Returns
    -------
    GenerateSummary
        Paths written and counts of customers, sessions, events and purchase rows.
    """
    _check_arguments(customers, days, seed, file_format)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous_files(out)

    start = date(start.year, start.month, start.day)  # a datetime's clock time is ignored
    return _write_log(
        out,
        file_format,
        seed=seed,
        customers=customers,
        days=days,
        start=start,
        progress=progress,
        planted=planted,
    )


def _check_arguments(customers: int, days: int, seed: int, file_format: str) -> None:
    if customers < 1:
        raise ValueError(f"customers must be >= 1, got {customers}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format must be 'parquet' or 'csv', got {file_format!r}")


def _remove_previous_files(out: Path) -> None:
    """Delete an earlier run's files (either format), so one dataset is in ``out``."""
    for pattern in (
        "events-[0-9][0-9][0-9][0-9][0-9].parquet",
        "events-[0-9][0-9][0-9][0-9][0-9].csv",
    ):
        for stale in out.glob(pattern):
            stale.unlink()


def _write_log(
    out: Path,
    file_format: FileFormat,
    *,
    seed: int,
    customers: int,
    days: int,
    start: date,
    progress: Callable[[int, int], None] | None,
    planted: PlantedEffect | None = None,
) -> GenerateSummary:
    """Simulate and write the log one chunk of customers (one file) at a time (and plant a
    campaign effect in each chunk when asked)."""
    catalog = _build_catalog(seed, days)
    window_start = datetime(start.year, start.month, start.day, tzinfo=UTC)
    start_epoch = calendar.timegm(start.timetuple())
    files: list[Path] = []
    sessions = events = purchases = 0
    n_chunks = -(-customers // CHUNK_CUSTOMERS)
    for chunk in range(n_chunks):
        first = chunk * CHUNK_CUSTOMERS
        n = min(CHUNK_CUSTOMERS, customers - first)
        # Independent stream per chunk: a full chunk k is the same whatever the total size, and
        # chunks could be generated in parallel later without changing a byte.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, chunk)))
        frame, n_sessions = _generate_chunk(
            catalog, rng, first, n, days, start_epoch, start.weekday()
        )
        if planted is not None and planted.lift > 0:
            effect_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, chunk)))
            frame, extra = _plant_effect(frame, planted, effect_rng, start_epoch + days * _DAY)
            n_sessions += extra
        path = out / f"events-{chunk:05d}.{file_format}"
        _write(frame, path, file_format)
        files.append(path)
        sessions += n_sessions
        events += frame.height
        purchases += int((frame.get_column("event_type") == "purchase").sum())
        del frame
        if progress is not None:
            progress(first + n, customers)
    return GenerateSummary(
        out_dir=out,
        files=files,
        customers=customers,
        sessions=sessions,
        events=events,
        purchases=purchases,
        start=window_start,
        end=window_start + timedelta(days=days),
    )


# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    table: pl.DataFrame  # product_id, category_id, category_code, brand; row = product index
    category: IntArray  # category index of each product
    cat_start: IntArray  # first product index of each category (products grouped by category)
    cat_count: IntArray
    cat_cdf: FloatArray  # category c's products occupy (c, c + 1] of this cumulative popularity
    cat_prob: FloatArray  # category popularity, sums to 1
    rel_log_price: FloatArray  # log(base price / category median)
    price_cents: IntArray  # [week, product] shelf price in cents
    discount: FloatArray  # [week, product] promotion discount fraction (0 = none)


def category_id(code: str) -> int:
    """Stable REES46-style category id (``2053013…``) for a category code, independent of seed."""
    digest = hashlib.blake2b(code.encode(), digest_size=8).digest()
    return 2_053_013_552_226_107_603 + int.from_bytes(digest, "big") % 180_000_000_000_000_000


def _build_catalog(seed: int, days: int) -> _Catalog:
    # One random stream for the whole catalog; the steps draw from it in this order.
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    pop = np.array([c[3] for c in CATEGORIES])
    counts = np.maximum(20, np.round(PRODUCTS_TOTAL * pop**0.7 / (pop**0.7).sum())).astype(np.int64)
    category = np.repeat(np.arange(len(CATEGORIES), dtype=np.int64), counts)
    cat_start = np.cumsum(counts) - counts
    cat_cdf = _product_popularity_cdf(rng, category, cat_start, counts)
    medians = np.array([c[1] for c in CATEGORIES])
    base_cents = _base_prices_cents(rng, category, medians)
    product_id = 1_000_000 + rng.choice(59_000_000, size=category.size, replace=False).astype(
        np.int64
    )
    codes = [c[0] for c in CATEGORIES]
    table = pl.DataFrame(
        {
            "product_id": pl.Series(product_id, dtype=pl.Int64),
            "category_id": pl.Series([category_id(codes[c]) for c in category], dtype=pl.Int64),
            "category_code": pl.Series([codes[c] for c in category], dtype=pl.String),
            "brand": pl.Series(_brands(rng, counts), dtype=pl.String),
        }
    )
    discount = _weekly_discounts(rng, days, category.size)
    price_cents = np.maximum(1, np.round(base_cents * (1.0 - discount))).astype(np.int64)
    return _Catalog(
        table=table,
        category=category,
        cat_start=cat_start.astype(np.int64),
        cat_count=counts,
        cat_cdf=cat_cdf,
        cat_prob=pop / pop.sum(),
        rel_log_price=np.log(base_cents / 100.0 / medians[category]),
        price_cents=price_cents,
        discount=discount,
    )


def _product_popularity_cdf(
    rng: np.random.Generator, category: IntArray, cat_start: IntArray, counts: IntArray
) -> FloatArray:
    """Zipf-like popularity inside a category, in random product order, as one global CDF."""
    rank = np.empty(category.size, dtype=np.float64)
    for c in range(counts.size):
        rank[cat_start[c] : cat_start[c] + counts[c]] = rng.permutation(counts[c])
    weight = 1.0 / (rank + 4.0) ** 1.1
    cat_total = np.bincount(category, weights=weight, minlength=counts.size)
    cdf: FloatArray = np.cumsum(weight / cat_total[category])
    return cdf


def _base_prices_cents(
    rng: np.random.Generator, category: IntArray, medians: FloatArray
) -> IntArray:
    """Shelf prices before promotions: log-normal around the category's median."""
    sigmas = np.array([c[2] for c in CATEGORIES])
    log_rel = rng.normal(0.0, sigmas[category])
    base_cents = np.maximum(99, np.round(medians[category] * np.exp(log_rel) * 100)).astype(
        np.int64
    )
    # Shops price at .99 / .90 endings more often than not.
    ending = rng.choice(np.array([99, 90, 0, -1]), size=category.size, p=[0.5, 0.2, 0.15, 0.15])
    base_cents = np.where(ending >= 0, (base_cents // 100) * 100 + ending, base_cents)
    cents: IntArray = np.maximum(base_cents, 99)
    return cents


def _brands(rng: np.random.Generator, counts: IntArray) -> list[str | None]:
    """A brand per product from its department's brands (Zipf-weighted), some unbranded."""
    brand_codes: list[str | None] = []
    for c, (code, *_rest) in enumerate(CATEGORIES):
        names = _BRANDS[code.split(".")[0]]
        brand_w = 1.0 / np.arange(1, len(names) + 1)
        picks = rng.choice(len(names), size=int(counts[c]), p=brand_w / brand_w.sum())
        no_brand = rng.random(int(counts[c])) < NO_BRAND_SHARE
        brand_codes.extend(None if nb else names[p] for p, nb in zip(picks, no_brand, strict=True))
    return brand_codes


def _weekly_discounts(rng: np.random.Generator, days: int, n_prod: int) -> FloatArray:
    """[week, product] promotion discount fraction (0 = none).

    Weeks count from the window's first day and are drawn one at a time, so a longer window
    extends the schedule instead of reshuffling it.
    """
    n_weeks = days // 7 + 2
    discount = np.zeros((n_weeks, n_prod))
    for w in range(n_weeks):
        on_promo = rng.random(n_prod) < PROMO_SHARE
        discount[w] = np.where(on_promo, rng.uniform(*PROMO_DISCOUNT, size=n_prod), 0.0)
    return discount


# --------------------------------------------------------------------------------------------
# Vectorised helpers
# --------------------------------------------------------------------------------------------


def _segment_starts(lengths: IntArray) -> IntArray:
    """Index of the first element of each segment of a flat array cut into ``lengths``."""
    return np.cumsum(lengths) - lengths


def _ordinal(lengths: IntArray) -> IntArray:
    """Position of every element inside its segment (0, 1, 2, … restarting per segment)."""
    total = int(lengths.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_segment_starts(lengths), lengths)


_Num = TypeVar("_Num", np.float64, np.int64)


def _segment_cumsum(values: npt.NDArray[_Num], lengths: IntArray) -> npt.NDArray[_Num]:
    """Inclusive cumulative sum restarting at each segment."""
    cs: npt.NDArray[_Num] = np.cumsum(values)
    starts = _segment_starts(lengths)
    nonempty = lengths > 0
    before = np.zeros(len(lengths), dtype=cs.dtype)
    before[nonempty] = cs[starts[nonempty]] - values[starts[nonempty]]
    cs -= np.repeat(before, lengths)
    return cs


def _sample_products(cat: _Catalog, category: IntArray, u: FloatArray) -> IntArray:
    # Inverse-CDF draw inside each category from one global CDF: category c owns (c, c + 1].
    idx = np.searchsorted(cat.cat_cdf, category + u, side="right").astype(np.int64)
    lo = cat.cat_start[category]
    return np.clip(idx, lo, lo + cat.cat_count[category] - 1)


def _sample_categories(cat: _Catalog, rng: np.random.Generator, size: int) -> IntArray:
    idx = np.searchsorted(np.cumsum(cat.cat_prob), rng.random(size), side="right")
    return np.minimum(idx, len(cat.cat_prob) - 1).astype(np.int64)


def _uuid_strings(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 UUID strings, formatted without a Python loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    slots = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
    chars[:, slots[0::2]] = hexdigits[raw >> 4]
    chars[:, slots[1::2]] = hexdigits[raw & 0x0F]
    return pl.Series("user_session", chars.view("S36").ravel()).cast(pl.String)


# --------------------------------------------------------------------------------------------
# One chunk of customers
# --------------------------------------------------------------------------------------------
#
# The steps below run in a fixed order on one random stream: the output is pinned by seed, so
# each step makes the same draws in the same order as before it was a step of its own.


@dataclass(frozen=True)
class _Customers:
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


@dataclass(frozen=True)
class _Sessions:
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
class _Views:
    """Every product view, grouped by session in time order."""

    sess: IntArray
    pos: IntArray  # position inside the session
    prod: IntArray
    repeat: BoolArray  # re-opens the product viewed just before
    offset: IntArray  # seconds after the session's start
    discount: FloatArray  # promotion discount of the product in the session's week


@dataclass(frozen=True)
class _Carts:
    """Cart rows (one per product carted in a session) and the per-session cart facts."""

    sess: IntArray
    prod: IntArray
    rank: IntArray  # the item's place in the session's weighted choice (0 = most wanted)
    time: IntArray  # seconds after the session's start
    basket: IntArray  # per session: products the shopper meant to cart
    has_discount: BoolArray  # per session: a carted product is on promotion


@dataclass(frozen=True)
class _Outcome:
    """What happened to the cart rows: removed again, or bought."""

    buys: BoolArray  # per session: the session checks out
    removed: IntArray  # cart rows removed again
    remove_time: IntArray  # seconds after the session's start
    bought: IntArray  # cart rows bought


def _generate_chunk(
    cat: _Catalog,
    rng: np.random.Generator,
    first_customer: int,
    n: int,
    days: int,
    start_epoch: int,
    start_weekday: int,
) -> tuple[pl.DataFrame, int]:
    """Simulate ``n`` customers and return their events (sorted by user, time) and #sessions."""
    customers = _draw_customers(cat, rng, n, days)
    sessions = _plan_sessions(cat, customers, rng, days, start_weekday)
    views = _draw_views(cat, sessions, rng)
    carts = _draw_carts(cat, customers, sessions, views, rng)
    outcome = _draw_outcome(customers, sessions, carts, rng)
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


def _draw_customers(cat: _Catalog, rng: np.random.Generator, n: int, days: int) -> _Customers:
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
    return _Customers(
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
    cat: _Catalog, rng: np.random.Generator, n: int
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


def _plan_sessions(
    cat: _Catalog, c: _Customers, rng: np.random.Generator, days: int, start_weekday: int
) -> _Sessions:
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
        _sample_categories(cat, rng, n_sess),
        c.fav[cust, np.minimum(fav_pick, 2)],
    )
    # Longer sessions are likelier to end in the cart, which gives session models real signal.
    p_cart = c.cart[cust] * np.minimum(1.0, 0.55 + 0.09 * n_views)
    p_cart = np.where(c.buys_once[cust], np.where(role_buy, 1.0, p_cart), p_cart)
    is_cart = rng.random(n_sess) < p_cart
    return _Sessions(
        cust=cust,
        role_buy=role_buy,
        planned_start=planned_start,
        week=week,
        n_views=n_views,
        category=category,
        is_cart=is_cart,
    )


def _session_days(
    c: _Customers, rng: np.random.Generator, days: int, start_weekday: int
) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
    """Customer, day, weekday and purchase role of every session inside the window.

    Potential sessions follow geometric churn with exponential gaps that slowly lengthen; a
    weekday thinning then gives the weekend lift.
    """
    cust = np.repeat(np.arange(c.n_potential.size, dtype=np.int64), c.n_potential)
    k = _ordinal(c.n_potential)
    gaps = rng.exponential(1.0, cust.size) * c.mean_gap[cust] * GAP_GROWTH**k
    dormant = rng.random(cust.size) < DORMANT_PROB
    gaps += np.where(dormant, rng.exponential(DORMANT_MEAN_DAYS, cust.size), 0.0)
    gaps[k == 0] = 0.0
    t_day = c.acq_day[cust] + _segment_cumsum(gaps, c.n_potential)
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
    start: IntArray = day * _DAY + hour * 3600 + rng.integers(0, 3600, n_sess)
    return start


def _draw_views(cat: _Catalog, s: _Sessions, rng: np.random.Generator) -> _Views:
    """Every product view: mostly the session's category, some repeats, log-normal gaps."""
    v_sess = np.repeat(np.arange(s.size, dtype=np.int64), s.n_views)
    v_pos = _ordinal(s.n_views)
    n_v = v_sess.size
    v_cat = np.where(
        rng.random(n_v) < EXPLORE_VIEW, _sample_categories(cat, rng, n_v), s.category[v_sess]
    )
    v_prod = _sample_products(cat, v_cat, rng.random(n_v))
    repeat = (v_pos > 0) & (rng.random(n_v) < REPEAT_VIEW)
    # Forward-fill: a repeated view takes the product of the last fresh view (never crosses a
    # session because each session's first view is fresh).
    src = np.maximum.accumulate(np.where(repeat, 0, np.arange(n_v, dtype=np.int64)))
    v_prod = v_prod[src]
    v_gap = np.clip(
        rng.lognormal(np.log(VIEW_GAP_MEDIAN), VIEW_GAP_SIGMA, n_v), 2, MAX_GAP_IN_SESSION
    )
    v_gap = np.where(v_pos == 0, 0, np.round(v_gap)).astype(np.int64)
    return _Views(
        sess=v_sess,
        pos=v_pos,
        prod=v_prod,
        repeat=repeat,
        offset=_segment_cumsum(v_gap, s.n_views).astype(np.int64),
        discount=cat.discount[s.week[v_sess], v_prod],
    )


def _draw_carts(
    cat: _Catalog, c: _Customers, s: _Sessions, v: _Views, rng: np.random.Generator
) -> _Carts:
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
    return _Carts(
        sess=c_sess,
        prod=v.prod[c_rows],
        rank=rank[c_rows],
        time=v.offset[c_rows] + rng.integers(3, 45, c_rows.size),
        basket=basket,
        has_discount=np.bincount(c_sess, weights=v.discount[c_rows] > 0, minlength=s.size) > 0,
    )


def _draw_outcome(c: _Customers, s: _Sessions, carts: _Carts, rng: np.random.Generator) -> _Outcome:
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
    return _Outcome(
        buys=buys,
        removed=r_idx,
        remove_time=carts.time[r_idx] + rng.integers(5, 240, r_idx.size),
        bought=np.flatnonzero(c_buys & ~removed),
    )


def _session_times(
    s: _Sessions, v: _Views, carts: _Carts, o: _Outcome, rng: np.random.Generator, n: int
) -> tuple[IntArray, IntArray]:
    """Final session starts and the purchase rows' offsets.

    Checkout follows the last browsing event, and a customer's sessions never overlap.
    """
    browse_end = v.offset[_segment_starts(s.n_views) + s.n_views - 1].copy()
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
    d_excl = _segment_cumsum(step, n_per_cust).astype(np.int64) - step
    offset = s.cust * (1 << 40)
    start = d_excl + np.maximum.accumulate(s.planned_start - d_excl + offset) - offset
    return start, p_time


def _events_frame(
    cat: _Catalog,
    s: _Sessions,
    v: _Views,
    carts: _Carts,
    o: _Outcome,
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
    inside = e_time < days * _DAY
    e_sess, e_time, e_prod, e_type = e_sess[inside], e_time[inside], e_prod[inside], e_type[inside]
    order = np.lexsort((e_time, s.cust[e_sess]))  # stable: ties keep view < cart < remove < buy
    e_sess, e_time, e_prod, e_type = e_sess[order], e_time[order], e_prod[order], e_type[order]

    # Sessions pushed past the end by the overlap fix have no events left and are not counted.
    live = np.zeros(s.size, dtype=np.bool_)
    live[e_sess] = True
    sess_uuid = _uuid_strings(rng, s.size)
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


def _write(frame: pl.DataFrame, path: Path, file_format: FileFormat) -> None:
    # Write next to the target and rename, so a crash never leaves a half file under the final
    # name that a loader would pick up.
    tmp = path.with_name(f".{path.name}.tmp")
    if file_format == "parquet":
        frame.write_parquet(tmp, compression="zstd", statistics=True)
    else:
        frame.write_csv(tmp, float_precision=2)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# A planted campaign effect (post-processing of one chunk's events)
# --------------------------------------------------------------------------------------------

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
#: Seconds from the planted session's view to its cart add and to its purchase.
_PLANTED_STEPS = (0, 30, 90)


def _plant_effect(
    frame: pl.DataFrame, planted: PlantedEffect, rng: np.random.Generator, end_epoch: int
) -> tuple[pl.DataFrame, int]:
    """``frame`` with purchase sessions added for treated customers (see PlantedEffect),
    still sorted by user and time, and the number of sessions added."""
    window_start = calendar.timegm(planted.start.timetuple())
    window_end = min(window_start + planted.window_days * _DAY, end_epoch) - _PLANTED_STEPS[-1]
    users = frame.get_column("user_id").to_numpy()
    treated = np.array(sorted(planted.treated & set(np.unique(users).tolist())), dtype=np.int64)
    if window_end <= window_start or treated.size == 0:
        return frame, 0
    epoch = (
        frame.get_column("event_time").str.strptime(pl.Datetime("us"), _TIME_FORMAT).dt.epoch("s")
    ).to_numpy()
    in_window = (
        (frame.get_column("event_type") == "purchase").to_numpy()
        & (epoch >= window_start)
        & (epoch < window_end + _PLANTED_STEPS[-1])
    )
    bought = np.isin(treated, np.unique(users[in_window]))
    base_rate = float(bought.mean())
    convert_prob = 1.0 if base_rate >= 1.0 else min(1.0, planted.lift / (1.0 - base_rate))
    converts = treated[~bought & (rng.random(treated.size) < convert_prob)]
    if converts.size == 0:
        return frame, 0
    # A product the customer saw (any of their rows), at the price it showed then.
    lo = np.searchsorted(users, converts, side="left")
    hi = np.searchsorted(users, converts, side="right")
    template = lo + np.floor(rng.random(converts.size) * (hi - lo)).astype(np.int64)
    when = rng.integers(window_start, window_end, converts.size)
    steps = len(_PLANTED_STEPS)
    rows = frame[np.repeat(template, steps).tolist()]
    times = np.repeat(when, steps) + np.tile(np.array(_PLANTED_STEPS), converts.size)
    added = rows.with_columns(
        event_time=pl.from_epoch(pl.Series(times), time_unit="s").dt.strftime(_TIME_FORMAT),
        event_type=pl.Series(np.tile(np.array(["view", "cart", "purchase"]), converts.size)),
        user_session=_uuid_strings(rng, converts.size).gather(
            pl.Series(np.repeat(np.arange(converts.size), steps))
        ),
    )
    merged = pl.concat([frame, added]).sort(["user_id", "event_time"], maintain_order=True)
    return merged, int(converts.size)
