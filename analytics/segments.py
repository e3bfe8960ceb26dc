"""Segment views: a summary per segment with its profile in words, a 2-D map of members,
and a segment × feature heatmap of effect sizes. Read from the ``segments`` table and the
score tables written by ``shopsight score``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from analytics.cohort_sql import WarehouseShape, warehouse_shape
from warehouse.engine import fill_slots, load_sql, named_query, quote_ident
from warehouse.reader import WarehouseReader

METHODS = ("kmeans", "hdbscan")
MAP_POINTS = 20_000
# Profile features in a manager's words; unknown features keep their column name.
FEATURE_WORDS = {
    "recency_days": "days since the last visit",
    "frequency": "orders",
    "orders": "orders",
    "monetary": "spend",
    "revenue": "spend",
    "sessions": "visits",
    "hits": "pages viewed",
    "cart_adds": "cart adds",
    "tenure_days": "time as a customer",
    "average_order_value": "spend per order",
    "cart_abandonment_rate": "cart abandonment",
    "events": "events",
    "distinct_products": "products looked at",
    "deepest_page": "pages deep",
    "mean_price": "price of products viewed",
}
# Features that count things read "more / fewer orders"; the rest "spend ... higher / lower".
COUNTED = frozenset(
    {
        "orders",
        "frequency",
        "sessions",
        "hits",
        "cart_adds",
        "events",
        "distinct_products",
    }
)
# Below this effect size (standardised difference) a feature does not set a segment apart.
NOTABLE_EFFECT = 0.2
EFFECT_HINT = "standardised difference from everyone else; 0.8 or more is large"


@dataclass(frozen=True)
class SegmentSummary:
    segment_id: int
    name: str
    members: int
    share: float
    revenue_share: float | None
    # What sets the segment apart, in words ("spend per order 40 % lower than average") ...
    profile: list[str]
    # ... and, line for line, the numbers behind each phrase (effect size, means) for hover.
    profile_detail: list[str] = field(default_factory=list)


def _assignment(shape: WarehouseShape, method: str) -> tuple[str, str, str] | None:
    """(score table, id column, segment column) holding members' segment for ``method``."""
    column = "segment_id" if method == "kmeans" else "hdbscan_segment_id"
    for table, key in (("customer_scores", "customer_id"), ("session_scores", "session_id")):
        if shape.has(table, column):
            return table, key, column
    return None


def compared_to_average(name: str, mean: float, average: float, effect: float) -> str:
    """One feature of a segment against the average customer, as a manager says it:
    "spend per order 40 % lower than average", "35 % fewer visits than average",
    "orders 2.5× the average"."""
    word = FEATURE_WORDS.get(name, name.replace("_", " "))
    counted = name in COUNTED
    if not (math.isfinite(mean) and math.isfinite(average)) or average <= 0 or mean < 0:
        up = ("more" if counted else "higher") if effect > 0 else ("fewer" if counted else "lower")
        return f"{up} {word} than average" if counted else f"{word} {up} than average"
    ratio = mean / average
    if ratio >= 2:
        return f"{word} {ratio:.1f}× the average"
    percent = round(abs(ratio - 1) * 100)
    if counted:
        return f"{percent} % {'more' if ratio > 1 else 'fewer'} {word} than average"
    return f"{word} {percent} % {'higher' if ratio > 1 else 'lower'} than average"


def _phrases(profile_json: str | None, share: float, top: int = 3) -> tuple[list[str], list[str]]:
    """The ``top`` features that most set a segment apart, in words, and their numbers.

    The average is everyone's: this segment's mean weighted by its ``share`` with the
    rest's mean.
    """
    if not profile_json:
        return [], []
    features = json.loads(profile_json)
    ranked = sorted(features.items(), key=lambda kv: -abs(kv[1].get("effect_size", 0.0)))
    texts: list[str] = []
    details: list[str] = []
    for name, stats in ranked[:top]:
        effect = float(stats.get("effect_size", 0.0))
        if abs(effect) < NOTABLE_EFFECT:
            continue
        mean, rest = _number(stats.get("mean")), _number(stats.get("rest_mean"))
        average = share * mean + (1 - share) * rest if math.isfinite(rest) else math.nan
        texts.append(compared_to_average(name, mean, average, effect))
        details.append(
            f"effect size {effect:+.2f} ({EFFECT_HINT}); mean {mean:,.1f} here, "
            f"{rest:,.1f} for everyone else"
        )
    if not texts:
        return ["close to the average on every measure"], [""]
    return texts, details


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def segment_summary(reader: WarehouseReader, method: str = "kmeans") -> list[SegmentSummary]:
    """One summary per segment of ``method``, largest first (noise last)."""
    shape = warehouse_shape(reader)
    if method not in METHODS or not shape.has("segments"):
        return []
    rows = reader.frame(load_sql("segment_list", "analytics"), {"method": method}).to_dicts()
    revenue: dict[int, float] = {}
    assignment = _assignment(shape, method)
    if assignment and assignment[0] == "customer_scores" and shape.has("customers", "revenue"):
        for seg, value in reader.rows(load_sql("segment_revenue", "analytics"), {"method": method}):
            revenue[int(seg)] = float(value or 0.0)
    total = sum(revenue.values())
    out = []
    for r in rows:
        texts, details = _phrases(r["profile"], float(r["share"]))
        out.append(
            SegmentSummary(
                segment_id=int(r["segment_id"]),
                name=str(r["segment_name"]),
                members=int(r["members"]),
                share=float(r["share"]),
                revenue_share=(revenue.get(int(r["segment_id"]), 0.0) / total) if total else None,
                profile=texts,
                profile_detail=details,
            )
        )
    return out


def segment_heatmap(reader: WarehouseReader, method: str = "kmeans") -> pl.DataFrame:
    """Long table ``segment, feature, effect_size`` for the segment × metric heatmap, the
    segments numbered and ordered as the cards are."""
    shape = warehouse_shape(reader)
    if method not in METHODS or not shape.has("segments"):
        return pl.DataFrame()
    records = []
    segments = reader.frame(load_sql("segment_list", "analytics"), {"method": method})
    # In the cards' order and with their numbers, so a row reads as the card it belongs to.
    for number, r in enumerate(segments.to_dicts(), start=1):
        for feature, stats in json.loads(r["profile"] or "{}").items():
            records.append(
                {
                    "segment": f"{number}. {r['segment_name']}",
                    "feature": FEATURE_WORDS.get(feature, feature.replace("_", " ")),
                    "effect_size": float(stats.get("effect_size", 0.0)),
                }
            )
    return pl.DataFrame(records)


def segment_map_sample(
    reader: WarehouseReader, method: str = "kmeans", *, points: int = MAP_POINTS, seed: int = 7
) -> pl.DataFrame:
    """Up to ``points`` members with 2-D coordinates (PCA of scaled behaviour) and segment.

    Sampled with a seed so the map is stable between reloads; never the full table, which
    would ship megabytes of JSON to the browser.
    """
    shape = warehouse_shape(reader)
    assignment = _assignment(shape, method)
    if assignment is None:
        return pl.DataFrame()
    table, _, _ = assignment
    mart, entity = (
        ("customers", "customer") if table == "customer_scores" else ("sessions", "session")
    )
    wanted = [
        c
        for c in (
            "recency_days",
            "orders",
            "revenue",
            "sessions",
            "hits",
            "cart_adds",
            "tenure_days",
            "events",
            "distinct_products",
            "deepest_page",
        )
        if shape.has(mart, c)
    ]
    if len(wanted) < 2:
        return pl.DataFrame()
    name_column = "segment_name" if method == "kmeans" else "hdbscan_segment_name"
    params = {
        "method": method,
        "named_segments": shape.has(table, name_column),
        "seed": seed,
        "points": points,
    }
    # One query for both entities: the mart and its scores as relations, keyed by the id.
    relations = {
        "entity_rows": f"SELECT * FROM {quote_ident(mart)}",
        "entity_scores": f"SELECT * FROM {quote_ident(table)}",
    }
    sql = fill_slots(
        named_query("segment_map", "analytics", relations),
        {"id_column": quote_ident(f"{entity}_id")},
    )
    frame = reader.frame(sql, params).select("segment_id", "segment_name", *wanted)
    if frame.height < 3:
        return pl.DataFrame()
    x = np.nan_to_num(frame.select(wanted).to_numpy().astype(np.float64))
    x = np.sign(x) * np.log1p(np.abs(x))  # heavy-tailed counts and money
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    xy = x @ vt[:2].T
    return frame.select("segment_id", "segment_name").with_columns(
        pl.Series("x", xy[:, 0]), pl.Series("y", xy[:, 1])
    )
