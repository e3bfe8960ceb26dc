"""What to train without a label: k-means and HDBSCAN segments, and the RFM rules.

Customers are segmented when the data has customer ids, sessions otherwise. Both methods fit
on a seeded sample; every row is assigned at scoring time (nearest centre, or an XGBoost
classifier trained on HDBSCAN's labels of the sample, noise included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import polars as pl
import xgboost as xgb

from models import artifacts as art
from models import features as feat
from models.runs import RunRecord
from models.segments import (
    Scaler,
    choose_k,
    fit_hdbscan,
    name_segments,
    profile,
    time_labels_reason,
)
from models.task_data import FloatArray
from models.train_context import TrainContext

CUSTOMER_SEGMENT_FEATURES = (
    "recency_days",
    "tenure_days",
    "sessions",
    "orders",
    "revenue",
    "average_order_value",
    "events_per_session",
    "cart_adds",
    "abandoned_carts",
    "distinct_categories",
)
RFM_DEFINITION = (
    "RFM tiers: Champions (R≥4, F≥4), Loyal (F≥4), New customers (R≥4, one order), At risk "
    "(R≤2, F≥3), Hibernating (R≤2, F≤2), Need attention (other buyers), No orders yet"
)


def segment_table(
    ctx_con: duckdb.DuckDBPyConnection, caps: dict[str, bool], horizon: int
) -> tuple[str, pl.DataFrame, list[str]]:
    """Entity, feature table (with its id column first) and candidate feature names."""
    if caps.get("has_customer_ids"):
        window = feat.data_window(ctx_con)
        assert window.anchor is not None
        table = feat.customer_features(ctx_con, window.anchor, horizon)
        return "customer", table, list(CUSTOMER_SEGMENT_FEATURES)
    profiles = feat.session_profiles(ctx_con)
    if caps.get("is_session_aggregate"):
        return "session", profiles, list(feat.AGGREGATE_PROFILE_FEATURES)
    return "session", profiles, list(feat.SESSION_PROFILE_FEATURES)


@dataclass
class SegmentSample:
    """The seeded sample both methods fit on, scaled, with what every sidecar repeats."""

    task: str
    entity: str
    names: list[str]
    x: FloatArray
    z: FloatArray
    rng: np.random.Generator
    meta: dict[str, Any]
    #: Why recency and tenure words are left out of the names (data too short), if they are.
    no_time_words: str | None = None

    def names_for(self, profiles: dict[int, dict[str, Any]]) -> dict[int, str]:
        return name_segments(profiles, time_words=self.no_time_words is None)

    def naming(self) -> dict[str, Any]:
        """What ``model_runs.metrics`` says about how the names were made."""
        if self.no_time_words is None:
            return {}
        return {"names_without_time_words": self.no_time_words}

    def label_definition(self) -> str:
        return "unsupervised: scaled behaviour features " + ", ".join(self.names)


def segment_task(ctx: TrainContext) -> None:
    """Segments (and RFM tiers for customers), or why they are unavailable."""
    opts = ctx.options
    caps = {name: ctx.has(name) for name in ctx.caps}
    entity, table, candidates = segment_table(ctx.con, caps, opts.horizon_days)
    task = f"{entity}_segments"
    with ctx.timed(task):
        why = ctx.missing("has_complete_journeys")
        if why:
            # Behaviour profiles of sampled events describe the sampling, not the customers.
            ctx.unavailable(task, entity, "clustering", why)
            ctx.unavailable("customer_rfm", "customer", "rules", why)
            return
        if table.height < 50:
            reason = f"only {table.height} {entity}s to segment"
            ctx.unavailable(task, entity, "clustering", reason)
            return
        sample = _sample(ctx, task, entity, table, candidates)
        _kmeans(ctx, sample)
        _hdbscan(ctx, sample)
        _rfm(ctx, entity)


def _sample(
    ctx: TrainContext, task: str, entity: str, table: pl.DataFrame, candidates: list[str]
) -> SegmentSample:
    opts = ctx.options
    full = np.nan_to_num(feat.matrix(table, candidates), nan=0.0)
    # Constant columns (no carts in order data, no clock in the UCI file) carry no shape.
    names = [n for j, n in enumerate(candidates) if np.nanstd(full[:, j]) > 0]
    x_all = full[:, [candidates.index(n) for n in names]]
    rng = np.random.default_rng(opts.seed)
    size = min(opts.segment_sample, x_all.shape[0])
    rows = np.sort(rng.choice(x_all.shape[0], size, replace=False))
    scaler = Scaler.fit(x_all[rows])
    meta = {
        "task": task,
        "entity": entity,
        "feature_names": names,
        "scaler_mean": scaler.mean.tolist(),
        "scaler_scale": scaler.scale.tolist(),
        "build_id": ctx.build_id,
        "trained_at": ctx.trained_at.isoformat(),
        "sample_rows": int(rows.size),
        "horizon_days": opts.horizon_days,
    }
    no_time = time_labels_reason(ctx.window.observed_days(), opts.horizon_days)
    return SegmentSample(
        task, entity, names, x_all[rows], scaler.apply(x_all[rows]), rng, meta, no_time
    )


def _kmeans(ctx: TrainContext, s: SegmentSample) -> None:
    size = s.z.shape[0]
    ctx.say(f"{s.task}: k-means for k = 2…8 on {size:,} {s.entity}s (silhouette, stability)")
    kmeans, per_k = choose_k(s.z, seed=ctx.options.seed)
    labels = kmeans.predict(s.z).astype(np.int64)
    profiles = profile(s.x, labels, s.names)
    names = s.names_for(profiles)
    chosen = next(r for r in per_k if int(r["k"]) == kmeans.n_clusters)
    data_hash = art.training_hash(s.z, labels, s.names)
    version = f"{s.task}.kmeans.{data_hash[:10]}"
    split = f"fit on a seeded sample of {size:,}; stability = mean ARI of 3 bootstrap refits"
    ctx.record(
        RunRecord(
            s.task,
            s.entity,
            "clustering",
            status="trained",
            candidate="kmeans",
            selected=True,
            params=json.dumps({"k": kmeans.n_clusters, "k_range": [2, 8], "n_init": 3}),
            silhouette=chosen["silhouette"],
            stability=chosen["stability"],
            n_clusters=kmeans.n_clusters,
            n_train=int(size),
            metrics=json.dumps(
                {"per_k": per_k, "profiles": profiles, "names": names, **s.naming()}
            ),
            label_definition=s.label_definition(),
            split_method=split,
            model_version=version,
            training_data_hash=data_hash,
        )
    )
    meta = {
        **s.meta,
        "model_version": version,
        "candidate": "kmeans",
        "centers": kmeans.cluster_centers_.tolist(),
        "segment_names": {str(k): v for k, v in names.items()},
    }
    art.save_sidecar(ctx.artifacts_dir, meta)
    ctx.index[f"{s.task}.kmeans"] = f"{version}.meta.json"


def _hdbscan(ctx: TrainContext, s: SegmentSample) -> None:
    opts = ctx.options
    rows = np.sort(
        s.rng.choice(s.z.shape[0], min(opts.hdbscan_sample, s.z.shape[0]), replace=False)
    )
    ctx.say(f"{s.task}: HDBSCAN on {rows.size:,} {s.entity}s; the rest assigned by XGBoost")
    labels, stats = fit_hdbscan(s.z[rows], seed=opts.seed)
    profiles = profile(s.x[rows], labels, s.names)
    names = s.names_for(profiles)
    classes = sorted(set(labels.tolist()))
    data_hash = art.training_hash(s.z[rows], labels, s.names)
    version = f"{s.task}.hdbscan.{data_hash[:10]}"
    assigner_file = None
    if len(classes) >= 2:
        assigner = xgb.XGBClassifier(
            n_estimators=60,
            max_depth=5,
            learning_rate=0.2,
            tree_method="hist",
            n_jobs=2,
            random_state=opts.seed,
        )
        assigner.fit(s.z[rows], np.searchsorted(classes, labels))
        assigner_file = art.save_booster(
            ctx.artifacts_dir, f"{version}.xgboost.json", assigner.get_booster()
        )
    ctx.record(
        RunRecord(
            s.task,
            s.entity,
            "clustering",
            status="trained",
            candidate="hdbscan",
            params=json.dumps({"min_cluster_size": stats["min_cluster_size"], "min_samples": 10}),
            silhouette=stats["silhouette"],
            stability=stats["stability"],
            n_clusters=int(stats["clusters"]),
            noise_share=stats["noise_share"],
            n_train=int(rows.size),
            metrics=json.dumps({"profiles": profiles, "names": names, **stats, **s.naming()}),
            label_definition=s.label_definition(),
            split_method=f"HDBSCAN on a seeded sample of {rows.size:,}; the rest assigned by "
            "an XGBoost classifier trained on the sample's labels (noise included)",
            model_version=version,
            training_data_hash=data_hash,
        )
    )
    meta = {
        **s.meta,
        "model_version": version,
        "candidate": "hdbscan",
        "classes": classes,
        "assigner_file": assigner_file,
        "segment_names": {str(k): v for k, v in names.items()},
    }
    art.save_sidecar(ctx.artifacts_dir, meta)
    ctx.index[f"{s.task}.hdbscan"] = f"{version}.meta.json"


def _rfm(ctx: TrainContext, entity: str) -> None:
    short = time_labels_reason(ctx.window.observed_days(), ctx.options.horizon_days)
    if entity == "customer" and short is not None:
        # "At risk", "Hibernating", "New customers" speak of recency and tenure.
        ctx.unavailable("customer_rfm", "customer", "rules", short)
        return
    if entity == "customer" and ctx.has("has_purchases") and ctx.has("has_complete_journeys"):
        ctx.record(
            RunRecord(
                "customer_rfm",
                entity,
                "rules",
                status="trained",
                candidate="rfm_quintiles",
                selected=True,
                params=json.dumps({"scores": "quintiles of buyers, 5 = best"}),
                label_definition=RFM_DEFINITION,
                split_method="descriptive (no fit)",
            )
        )
        return
    why = ctx.missing("has_customer_ids", "has_purchases", "has_complete_journeys")
    ctx.unavailable("customer_rfm", "customer", "rules", why or "no customers")
