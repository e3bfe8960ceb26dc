"""The shop's catalog: categories, products, brands, shelf prices and weekly promotions.

One random stream (``spawn_key=(0,)``) builds the whole catalog, so it depends only on the
seed and the window's length, never on the number of customers. ``docs/generator.md``
("Catalog") describes the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic.arrays import FloatArray, IntArray

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

#: Share of products on promotion in any week, and the discount range.
PROMO_SHARE = 0.12
PROMO_DISCOUNT = (0.10, 0.40)


@dataclass(frozen=True)
class Catalog:
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


def build_catalog(seed: int, days: int) -> Catalog:
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
    return Catalog(
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


def sample_products(cat: Catalog, category: IntArray, u: FloatArray) -> IntArray:
    # Inverse-CDF draw inside each category from one global CDF: category c owns (c, c + 1].
    idx = np.searchsorted(cat.cat_cdf, category + u, side="right").astype(np.int64)
    lo = cat.cat_start[category]
    return np.clip(idx, lo, lo + cat.cat_count[category] - 1)


def sample_categories(cat: Catalog, rng: np.random.Generator, size: int) -> IntArray:
    idx = np.searchsorted(np.cumsum(cat.cat_prob), rng.random(size), side="right")
    return np.minimum(idx, len(cat.cat_prob) - 1).astype(np.int64)
