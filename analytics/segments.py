"""Segment views: a summary per segment with its profile in words, a 2-D map of members,
and a segment × feature heatmap of effect sizes. Read from the ``segments`` table and the
score tables written by ``shopsight score``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.cohort_sql import WarehouseShape, warehouse_shape
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

METHODS = ("kmeans", "hdbscan")
MAP_POINTS = 20_000
# Readable names of profile features; unknown features keep their column name.
FEATURE_WORDS = {
    "recency_days": "days since last visit",
    "frequency": "orders",
    "orders": "orders",
    "monetary": "revenue",
    "revenue": "revenue",
    "sessions": "sessions",
    "hits": "pages viewed",
    "cart_adds": "cart adds",
    "tenure_days": "tenure (days)",
    "average_order_value": "average order value",
    "cart_abandonment_rate": "cart abandonment",
    "events": "events",
    "distinct_products": "distinct products",
    "deepest_page": "deepest page",
    "mean_price": "mean price viewed",
}


# Features that count things read "more / fewer"; the rest read "higher / lower".
COUNTED = frozenset(
    {"orders", "frequency", "sessions", "hits", "cart_adds", "events", "distinct_products"}
)


@dataclass(frozen=True)
class SegmentSummary:
    segment_id: int
    name: str
    members: int
    share: float
    revenue_share: float | None
    profile: list[str]


def _assignment(shape: WarehouseShape, method: str) -> tuple[str, str, str] | None:
    """(score table, id column, segment column) holding members' segment for ``method``."""
    column = "segment_id" if method == "kmeans" else "hdbscan_segment_id"
    for table, key in (("customer_scores", "customer_id"), ("session_scores", "session_id")):
        if shape.has(table, column):
            return table, key, column
    return None


def _phrases(profile_json: str | None, top: int = 3) -> list[str]:
    if not profile_json:
        return []
    features = json.loads(profile_json)
    ranked = sorted(features.items(), key=lambda kv: -abs(kv[1].get("effect_size", 0.0)))
    out = []
    for name, stats in ranked[:top]:
        effect = stats.get("effect_size", 0.0)
        if abs(effect) < 0.2:
            continue
        word = FEATURE_WORDS.get(name, name.replace("_", " "))
        size = "much " if abs(effect) >= 0.8 else ""
        if name in COUNTED:
            direction = "more" if effect > 0 else "fewer"
        else:
            direction = "higher" if effect > 0 else "lower"
        mean, rest = stats.get("mean"), stats.get("rest_mean")
        detail = ""
        if isinstance(mean, float) and isinstance(rest, float) and math.isfinite(rest):
            detail = f" ({mean:,.1f} vs {rest:,.1f})"
        out.append(f"{size}{direction} {word}{detail}; effect size {effect:+.2f}")
    return out or ["close to the average on every measure"]


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
    return [
        SegmentSummary(
            segment_id=int(r["segment_id"]),
            name=str(r["segment_name"]),
            members=int(r["members"]),
            share=float(r["share"]),
            revenue_share=(revenue.get(int(r["segment_id"]), 0.0) / total) if total else None,
            profile=_phrases(r["profile"]),
        )
        for r in rows
    ]


def segment_heatmap(reader: WarehouseReader, method: str = "kmeans") -> pl.DataFrame:
    """Long table ``segment, feature, effect_size`` for the segment × metric heatmap."""
    shape = warehouse_shape(reader)
    if method not in METHODS or not shape.has("segments"):
        return pl.DataFrame()
    records = []
    segments = reader.frame(load_sql("segment_list", "analytics"), {"method": method})
    for r in segments.sort("segment_id").to_dicts():
        for feature, stats in json.loads(r["profile"] or "{}").items():
            records.append(
                {
                    "segment": f"{r['segment_name']} ({r['segment_id']})",
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
    frame = reader.frame(load_sql(f"{entity}_segment_map", "analytics"), params).select(
        "segment_id", "segment_name", *wanted
    )
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
