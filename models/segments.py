"""Segments: K-means and HDBSCAN on scaled behaviour features, RFM tiers, profiles, names.

- Features are put through ``sign(x)·log1p(|x|)`` and standardised, so a few big spenders
  do not decide every distance.
- K-means: k from 2 to 8, chosen by silhouette among the k whose bootstrap stability (mean
  adjusted Rand index of refits on resamples against the reference fit) is at least 0.75;
  when none is that stable, the most stable k.
- HDBSCAN is fitted on a sample (beyond ~200k points in 10-D it is impractical on two cores,
  docs/models.md) and the rest is assigned by an XGBoost classifier trained on the
  sample's labels. Its noise group (-1) is a segment like any other, named "Noise
  (unclustered)", so the people it could not place are shown, not hidden.
- Each segment's profile is the effect size (Cohen's d on the transformed features) of every
  feature between the segment and everyone else; its name is made from the two strongest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import hdbscan
import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.cluster import KMeans

from models.evaluate import bootstrap_stability, silhouette

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

K_RANGE = range(2, 9)
MIN_STABILITY = 0.75
NOISE_NAME = "Noise (unclustered)"
#: Smallest |effect size| that earns a word in a segment's name.
NAMING_EFFECT = 0.3

#: feature -> (word when the segment is higher than the rest, word when lower)
WORDS: dict[str, tuple[str, str]] = {
    "recency_days": ("lapsed", "recently active"),
    "tenure_days": ("long-standing", "new"),
    "sessions": ("frequent visitors", "rare visitors"),
    "orders": ("frequent buyers", "few orders"),
    "revenue": ("big spenders", "low spend"),
    "average_order_value": ("large baskets", "small baskets"),
    "events_per_session": ("long visits", "short visits"),
    "cart_adds": ("heavy cart users", "few cart adds"),
    "abandoned_carts": ("cart abandoners", "rarely abandon carts"),
    "distinct_categories": ("broad browsers", "narrow interests"),
    "clicks": ("long sessions", "short sessions"),
    "distinct_products": ("many products", "few products"),
    "deepest_page": ("deep browsers", "shallow browsers"),
    "mean_price_viewed": ("premium browsers", "bargain browsers"),
    "viewed_price_sum": ("high viewed value", "low viewed value"),
    "share_price_above_category_avg": ("above-average prices", "below-average prices"),
    "duration_seconds": ("long dwell", "quick visits"),
    "product_related": ("many product pages", "few product pages"),
    "product_related_duration": ("long on products", "brief on products"),
    "administrative": ("account-page users", "no account pages"),
    "informational": ("info readers", "skip info pages"),
    "bounce_rates": ("bouncy", "low bounce"),
    "exit_rates": ("high exit rate", "low exit rate"),
    "page_values": ("valuable pages", "low page value"),
}


def transform(x: FloatArray) -> FloatArray:
    out: FloatArray = np.sign(x) * np.log1p(np.abs(x))
    return out


@dataclass
class Scaler:
    mean: FloatArray
    scale: FloatArray

    @classmethod
    def fit(cls, x: FloatArray) -> Scaler:
        t = transform(x)
        scale = t.std(axis=0)
        return cls(t.mean(axis=0), np.where(scale > 0, scale, 1.0))

    def apply(self, x: FloatArray) -> FloatArray:
        out: FloatArray = (transform(x) - self.mean) / self.scale
        return out


def choose_k(
    z: FloatArray, *, seed: int, bootstraps: int = 3, eval_rows: int = 4_000
) -> tuple[KMeans, list[dict[str, float]]]:
    """Fit k-means for every k in K_RANGE; pick by silhouette among stable k.

    Returns the chosen fitted model and one record per k (silhouette, stability).
    """
    rng = np.random.default_rng(seed)
    eval_idx = rng.choice(z.shape[0], min(eval_rows, z.shape[0]), replace=False)
    records: list[dict[str, float]] = []
    models: dict[int, KMeans] = {}
    for k in K_RANGE:
        if k >= z.shape[0]:
            break
        model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(z)
        models[k] = model
        reference = model.predict(z[eval_idx]).astype(np.int64)
        refits = []
        for b in range(bootstraps):
            boot = rng.choice(z.shape[0], z.shape[0], replace=True)
            refit = KMeans(n_clusters=k, n_init=1, random_state=seed + b + 1).fit(z[boot])
            refits.append((np.arange(eval_idx.size), refit.predict(z[eval_idx]).astype(np.int64)))
        records.append(
            {
                "k": float(k),
                "silhouette": silhouette(z[eval_idx], reference, seed=seed),
                "stability": bootstrap_stability(reference, refits),
            }
        )
    stable = [r for r in records if r["stability"] >= MIN_STABILITY]
    pool = stable or sorted(records, key=lambda r: -r["stability"])[:1]
    best = max(pool, key=lambda r: r["silhouette"])
    return models[int(best["k"])], records


def fit_hdbscan(z: FloatArray, *, seed: int) -> tuple[IntArray, dict[str, float]]:
    """HDBSCAN labels of ``z`` (a sample), with silhouette (noise left out) and noise share."""
    min_cluster = max(25, z.shape[0] // 50)
    clusterer = hdbscan.HDBSCAN(min_cluster_size=min_cluster, min_samples=10)
    labels = np.asarray(clusterer.fit_predict(z), dtype=np.int64)
    stats = {
        "clusters": float(len(set(labels.tolist()) - {-1})),
        "noise_share": float(np.mean(labels == -1)),
        "silhouette": silhouette(z, labels, seed=seed),
        "min_cluster_size": float(min_cluster),
    }
    # Stability: refit on two half-samples, compare on the shared points.
    rng = np.random.default_rng(seed)
    refits = []
    for _ in range(2):
        half = np.sort(rng.choice(z.shape[0], z.shape[0] // 2, replace=False))
        sub = hdbscan.HDBSCAN(min_cluster_size=max(10, min_cluster // 2), min_samples=10)
        refits.append((half, np.asarray(sub.fit_predict(z[half]), dtype=np.int64)))
    stats["stability"] = bootstrap_stability(labels, refits)
    return labels, stats


def profile(x: FloatArray, labels: IntArray, names: list[str]) -> dict[int, dict[str, Any]]:
    """Per segment: size, share, and each feature's mean and effect size against the rest."""
    t = transform(x)
    out: dict[int, dict[str, Any]] = {}
    total = labels.size
    for seg in sorted(set(labels.tolist())):
        inside = labels == seg
        rest = ~inside
        features: dict[str, dict[str, float]] = {}
        for j, name in enumerate(names):
            a, b = t[inside, j], t[rest, j]
            pooled = np.sqrt((a.var() + b.var()) / 2) if b.size else 0.0
            effect = float((a.mean() - b.mean()) / pooled) if pooled > 0 else 0.0
            features[name] = {
                "mean": float(x[inside, j].mean()),
                "rest_mean": float(x[rest, j].mean()) if b.size else float("nan"),
                "effect_size": round(effect, 3),
            }
        out[int(seg)] = {
            "members": int(inside.sum()),
            "share": float(inside.sum() / total),
            "features": features,
        }
    return out


#: Features whose words speak of recency, tenure or lapse: they need time (see below).
TIME_FEATURES = frozenset({"recency_days", "tenure_days"})
#: Features whose words speak of orders, spend or baskets; for a segment in which nobody
#: bought they say one thing only: "no orders yet".
ORDER_FEATURES = frozenset({"orders", "revenue", "average_order_value"})
NO_ORDERS = "no orders yet"


def time_labels_reason(span_days: float, horizon_days: int) -> str | None:
    """Why recency, tenure and lapse labels cannot be emitted, or ``None`` when they can.

    Such a label compares customers' gaps since their last (or first) visit; "lapsed" or
    "at risk" means gone for longer than a customer usually stays away, and the shop's own
    definition of gone is one horizon without a visit (the churn label). Data spanning less
    than one horizon cannot show anyone being gone that long, so on it the labels would
    only sort customers by minutes.
    """
    if span_days >= horizon_days:
        return None
    return (
        f"the data spans {span_days:.1f} days; labels that speak of recency, tenure or lapse "
        f"(RFM tiers, 'lapsed', 'long-standing', 'new' …) need at least one {horizon_days}-day "
        "horizon (the period over which a customer counts as gone)"
    )


def _segment_words(
    features: dict[str, dict[str, float]], *, time_words: bool, limit: int = 2
) -> list[str]:
    """Up to ``limit`` words from the strongest effect sizes the segment may be named by."""
    nobody_bought = features.get("orders", {}).get("mean") == 0.0
    ranked = sorted(features.items(), key=lambda item: -abs(item[1]["effect_size"]))
    words: list[str] = []
    for feature, stats in ranked:
        if abs(stats["effect_size"]) < NAMING_EFFECT or feature not in WORDS:
            continue
        if not time_words and feature in TIME_FEATURES:
            continue
        if nobody_bought and feature in ORDER_FEATURES:
            word = NO_ORDERS  # not "small baskets" or "low spend": there was no basket
        else:
            high, low = WORDS[feature]
            word = high if stats["effect_size"] > 0 else low
        if word not in words:
            words.append(word)
        if len(words) == limit:
            break
    return words


def name_segments(
    profiles: dict[int, dict[str, Any]], *, time_words: bool = True
) -> dict[int, str]:
    """Plain-words names from the two strongest effect sizes; unique within one method.

    ``time_words=False`` (data too short: :func:`time_labels_reason`) leaves out the words
    of recency and tenure; a segment in which nobody bought is "no orders yet", never
    spoken of in baskets or spend.
    """
    names: dict[int, str] = {}
    used: dict[str, int] = {}
    for seg, prof in profiles.items():
        if seg == -1:
            names[seg] = NOISE_NAME
            continue
        words = _segment_words(prof["features"], time_words=time_words)
        base = ", ".join(words).capitalize() if words else "Typical"
        used[base] = used.get(base, 0) + 1
        names[seg] = base if used[base] == 1 else f"{base} ({used[base]})"
    return names


RFM_TIERS = (
    ("Champions", "R ≥ 4 and F ≥ 4"),
    ("Loyal", "F ≥ 4"),
    ("New customers", "R ≥ 4 and F = 1"),
    ("At risk", "R ≤ 2 and F ≥ 3"),
    ("Hibernating", "R ≤ 2 and F ≤ 2"),
    ("Need attention", "everyone else with an order"),
    ("No orders yet", "no order in the data"),
)


def rfm_tiers(recency_days: FloatArray, orders: FloatArray, revenue: FloatArray) -> pl.DataFrame:
    """RFM quintile scores (5 = best) and tiers, for customers with orders.

    Recency scores are reversed (recent is good). Quintiles are ranks, so ties share a
    score; customers without an order get no scores and the tier "No orders yet".
    """
    buyers = orders > 0

    def quintile(values: FloatArray, reverse: bool) -> IntArray:
        scores = np.zeros(values.size, dtype=np.int64)
        if buyers.any():
            v = values[buyers]
            ranks = pl.Series(-v if reverse else v).rank("average").to_numpy()
            scores[buyers] = np.minimum(5, 1 + (5 * (ranks - 1) / max(v.size, 1)).astype(np.int64))
        return scores

    r = quintile(recency_days, reverse=True)
    f = quintile(orders, reverse=False)
    m = quintile(revenue, reverse=False)
    tier = np.select(
        [
            ~buyers,
            (r >= 4) & (f >= 4),
            f >= 4,
            (r >= 4) & (orders == 1),
            (r <= 2) & (f >= 3),
            (r <= 2) & (f <= 2),
        ],
        ["No orders yet", "Champions", "Loyal", "New customers", "At risk", "Hibernating"],
        default="Need attention",
    )
    is_buyer = pl.Series("buyer", buyers)
    return pl.DataFrame({"rfm_r": r, "rfm_f": f, "rfm_m": m, "rfm_tier": tier}).with_columns(
        [
            pl.when(is_buyer).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("rfm_r", "rfm_f", "rfm_m")
        ]
    )
