"""``shopsight train``: fit, audit, evaluate and select every model the data allows.

For each task the capabilities allow (the others are recorded as unavailable, with the
reason), the flow is the protocol of docs/models.md:

1. build point-in-time features and the label (:mod:`models.features`);
2. the leakage audit (:mod:`models.leakage`): a label a depth-3 tree rebuilds is withheld;
3. split by group (sessions grouped by customer) or by time (customer horizons): train at an
   earlier cutoff, evaluate at a later one;
4. fit every candidate (:mod:`models.candidates`), calibrated on held-out training groups;
5. evaluate at natural prevalence; select by PR-AUC (classes) or MAE (amounts);
6. write every candidate's metrics to ``model_runs`` and the selected model's artifacts.

Everything is written into a derived version of the warehouse (never the file the ``--db``
link points at), swapped in atomically when training succeeds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl
import xgboost as xgb
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, StratifiedGroupKFold
from threadpoolctl import threadpool_limits

from models import artifacts as art
from models import features as feat
from models.candidates import Candidate, candidates_for, fit_explainer
from models.evaluate import (
    classification_metrics,
    permutation_importance,
    regression_metrics,
)
from models.fitting import FittedModel, fit_candidate, subsample
from models.labels import BUILTIN_LABELS, CustomLabel, evaluate_label, locked_connection
from models.leakage import audit_label
from models.segments import Scaler, choose_k, fit_hdbscan, name_segments, profile
from warehouse.engine import load_sql
from warehouse.versions import derived_version

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]

MIN_CLASS_ROWS = 10
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


@dataclass
class TrainOptions:
    """What ``shopsight train`` does; the defaults are the documented protocol."""

    horizon_days: int = 30
    label: CustomLabel | None = None
    artifacts_dir: Path | None = None
    #: Demo mode: only the fast candidates (logistic regression / linear, XGBoost).
    fast: bool = False
    only_candidates: tuple[str, ...] | None = None
    seed: int = 7
    cv_folds: int = 5
    #: Tables up to this many rows are cross-validated; larger ones get one group holdout.
    max_cv_rows: int = 60_000
    #: Evaluation rows per candidate (a seeded sample of larger test sets).
    max_test_rows: int = 100_000
    segment_sample: int = 50_000
    hdbscan_sample: int = 15_000
    prefix_events: tuple[int, ...] = (1, 3, 5)
    #: False: train only the custom label, keeping the built-in models' runs and artifacts.
    builtin: bool = True


@dataclass
class TaskData:
    """One supervised task's rows: features, label and groups (and a later test set)."""

    task: str
    entity: str
    kind: str
    names: list[str]
    x: FloatArray
    y: FloatArray
    groups: npt.NDArray[Any]
    label_definition: str
    split: str  # "cv" | "holdout" | "time"
    cutoff: datetime | None = None
    train_cutoff: datetime | None = None
    horizon_days: int | None = None
    x_test: FloatArray | None = None
    y_test: FloatArray | None = None
    baselines: dict[str, Callable[[FloatArray, FloatArray, FloatArray], FloatArray]] = field(
        default_factory=dict
    )
    nonnegative: bool = False
    only: tuple[str, ...] | None = None
    #: Nested candidates this task adds to the pool (``models.candidates.NESTED_CLASSIFIERS``).
    extra_candidates: tuple[str, ...] = ()
    recipe: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainSummary:
    train_id: str
    artifacts_dir: Path
    runs: list[dict[str, Any]]
    seconds: float
    task_seconds: dict[str, float]


class _Context:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db_path: Path,
        options: TrainOptions,
        artifacts_dir: Path,
        progress: Progress | None,
    ) -> None:
        self.con = con
        self.db_path = db_path
        self.options = options
        self.artifacts_dir = artifacts_dir
        self.progress = progress
        self.caps = {
            str(name): (bool(avail), str(reason))
            for name, avail, reason in feat.rows(
                con, "SELECT name, available, reason FROM capabilities"
            )
        }
        self.build_id = str(feat.rows(con, "SELECT build_id FROM build_info")[0][0])
        self.window = feat.data_window(con)
        self.train_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        self.trained_at = datetime.now(UTC).replace(tzinfo=None)
        self.runs: list[dict[str, Any]] = []
        self.index: dict[str, str] = {}
        self.task_seconds: dict[str, float] = {}

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def has(self, name: str) -> bool:
        return self.caps.get(name, (False, ""))[0]

    def missing(self, *names: str) -> str | None:
        why = [f"{n}: {self.caps.get(n, (False, 'unknown'))[1]}" for n in names if not self.has(n)]
        return "; ".join(why) if why else None

    def row(self, task: str, entity: str, kind: str, **values: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "run_id": f"{self.train_id}:{task}:{values.get('candidate') or '-'}",
            "train_id": self.train_id,
            "task": task,
            "entity": entity,
            "kind": kind,
            "build_id": self.build_id,
            "trained_at": self.trained_at,
            "selected": False,
        }
        record.update(values)
        self.runs.append(record)
        return record

    def unavailable(self, task: str, entity: str, kind: str, reason: str) -> None:
        self.say(f"{task}: unavailable — {reason}")
        self.row(task, entity, kind, status="unavailable", reason=reason)


def train_models(
    db_path: Path | str, options: TrainOptions | None = None, progress: Progress | None = None
) -> TrainSummary:
    """Fit every model the warehouse's capabilities allow and record them in ``model_runs``."""
    options = options or TrainOptions()
    db_path = Path(db_path)
    started = time.perf_counter()
    artifacts_dir = Path(options.artifacts_dir or art.default_dir(db_path))
    # OpenBLAS's spinning worker threads and XGBoost's OpenMP threads fight over two cores
    # (measured: a 1k-row XGBoost fit went from 0.1 s to over 30 s); linear algebra here is
    # small, so BLAS runs single-threaded while models train and score.
    with threadpool_limits(limits=1, user_api="blas"), derived_version(db_path, "models") as con:
        con.execute("SET enable_progress_bar = false")
        ctx = _Context(con, db_path, options, artifacts_dir, progress)
        steps = [_session_tasks, _customer_tasks, _segment_task] if options.builtin else []
        for step in [*steps, _custom_task]:
            step(ctx)
        if not options.builtin:
            # Keep the runs and artifacts of every task this run did not train.
            fresh = {run["task"] for run in ctx.runs}
            ctx.runs = [r for r in _existing_runs(con) if r["task"] not in fresh] + ctx.runs
            ctx.index = {
                **{k: v for k, v in art.read_index(artifacts_dir).items() if k not in fresh},
                **ctx.index,
            }
        _write_runs(con, ctx.runs)
        art.write_index(artifacts_dir, ctx.index)
    return TrainSummary(
        ctx.train_id, artifacts_dir, ctx.runs, time.perf_counter() - started, ctx.task_seconds
    )


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


def _timed(ctx: _Context, name: str, started: float) -> None:
    ctx.task_seconds[name] = ctx.task_seconds.get(name, 0.0) + time.perf_counter() - started


def _session_groups(table: pl.DataFrame) -> npt.NDArray[Any]:
    # Sessions of one customer stay on one side of every split; anonymous sessions are
    # their own group.
    return np.asarray(
        table.select(pl.coalesce(pl.col("customer_id"), pl.col("session_id"))).to_series(),
        dtype=object,
    )


def _session_tasks(ctx: _Context) -> None:
    started = time.perf_counter()
    opts = ctx.options
    why = ctx.missing("has_purchases", "has_page_views", "has_complete_journeys")
    prefix_tasks = [f"session_conversion_k{k}" for k in opts.prefix_events]
    if why:
        ctx.unavailable("session_conversion", "session", "classification", why)
        for task in prefix_tasks:
            ctx.unavailable(task, "session", "classification", why)
        ctx.unavailable("session_revenue", "session", "regression", why)
        return
    if ctx.has("is_session_aggregate"):
        table = feat.aggregate_session_features(ctx.con)
        names = list(feat.AGGREGATE_SESSION_FEATURES)
        # Identical rows (Online Shoppers has 125 duplicate pairs) share a group, so a
        # session and its twin never sit on both sides of a split.
        groups = np.asarray(table.select(pl.struct(names).hash(7)).to_series(), dtype=object)
        recipe = {"source": "aggregate_sessions"}
        # The published comparison (docs/models.md): a candidate that
        # tunes itself, but only inside each training fold.
        extra: tuple[str, ...] = ("nested_ensemble",)
    else:
        ctx.say("session features: events before each session's first checkout/purchase")
        feat.prepare_session_prefixes(ctx.con)
        table = feat.session_features(ctx.con, has_clock_time=ctx.has("has_clock_time"))
        names = list(feat.SESSION_FEATURES)
        groups = _session_groups(table)
        recipe = {"source": "session_prefix"}
        extra = ()
    y = table["converted"].cast(pl.Float64).fill_null(0.0).to_numpy()
    x = feat.matrix(table, names)
    split = "cv" if table.height <= opts.max_cv_rows else "holdout"
    _run_supervised(
        ctx,
        TaskData(
            "session_conversion",
            "session",
            "classification",
            names,
            x,
            y,
            groups,
            BUILTIN_LABELS["session_conversion"],
            split,
            extra_candidates=extra,
            recipe=recipe,
        ),  # fmt: skip
    )
    _timed(ctx, "session_conversion", started)
    started = time.perf_counter()
    if ctx.has("is_session_aggregate"):
        reason = (
            "sessions arrive pre-aggregated (is_session_aggregate): there is no event order "
            "to cut into prefixes"
        )
        for task in prefix_tasks:
            ctx.unavailable(task, "session", "classification", reason)
        ctx.unavailable(
            "session_revenue",
            "session",
            "regression",
            "has_revenue: " + ctx.caps.get("has_revenue", (False, "no revenue amounts"))[1],
        )
        return
    for k in opts.prefix_events:
        prefix = feat.session_features(
            ctx.con, has_clock_time=ctx.has("has_clock_time"), first_events=k
        )
        px = feat.matrix(prefix, names)
        py = prefix["converted"].cast(pl.Float64).fill_null(0.0).to_numpy()
        _run_supervised(
            ctx,
            TaskData(
                f"session_conversion_k{k}",
                "session",
                "classification",
                names,
                px,
                py,
                _session_groups(prefix),
                BUILTIN_LABELS["session_conversion_prefix"] + f" (k = {k})",
                "cv" if prefix.height <= opts.max_cv_rows else "holdout",
                only=("xgboost",),
                recipe={"source": "session_prefix", "first_events": k},
            ),  # fmt: skip
        )
    _timed(ctx, "session_conversion_prefixes", started)
    started = time.perf_counter()
    why = ctx.missing("has_revenue")
    if why:
        ctx.unavailable("session_revenue", "session", "regression", why)
        return
    buyers = table.filter(pl.col("converted").fill_null(False) & (pl.col("revenue") > 0))
    cart_idx = names.index("cart_value")
    _run_supervised(
        ctx,
        TaskData(
            "session_revenue",
            "session",
            "regression",
            names,
            feat.matrix(buyers, names),
            buyers["revenue"].cast(pl.Float64).to_numpy(),
            _session_groups(buyers),
            BUILTIN_LABELS["session_revenue"],
            "cv" if buyers.height <= ctx.options.max_cv_rows else "holdout",
            baselines={
                "naive_mean": lambda xt, yt, xs: np.full(xs.shape[0], float(yt.mean())),
                "naive_cart_value": lambda xt, yt, xs: xs[:, cart_idx],
            },
            nonnegative=True,
            recipe={"source": "session_prefix", "converting_only": True},
        ),  # fmt: skip
    )
    _timed(ctx, "session_revenue", started)


def customer_dataset(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, horizon_days: int
) -> pl.DataFrame:
    """Features at ``cutoff`` joined to what happened in the horizon after it."""
    features = feat.customer_features(con, cutoff, horizon_days)
    labels = feat.customer_labels(con, cutoff, horizon_days)
    return features.join(labels, on="customer_id", how="inner").sort("customer_id")


def _customer_tasks(ctx: _Context) -> None:
    h = ctx.options.horizon_days
    tasks = ("customer_purchase", "customer_revenue", "customer_churn")
    kinds = {"customer_revenue": "regression"}
    why = ctx.missing("has_customer_ids", "has_complete_journeys")
    window = ctx.window
    if why is None and (window.anchor is None or window.span_days() < 3 * h):
        why = (
            f"the data spans {window.span_days():.0f} days; a {h}-day horizon needs at least "
            f"{3 * h} (history before a training cutoff, a training horizon, and a later "
            "evaluation horizon)"
        )
    if why is not None or window.anchor is None:
        for task in tasks:
            ctx.unavailable(task, "customer", kinds.get(task, "classification"), why or "")
        return
    started = time.perf_counter()
    test_cutoff = window.anchor - timedelta(days=h)
    train_cutoff = window.anchor - timedelta(days=2 * h)
    ctx.say(f"customer features at cutoffs {train_cutoff:%Y-%m-%d} and {test_cutoff:%Y-%m-%d}")
    train = customer_dataset(ctx.con, train_cutoff, h)
    test = customer_dataset(ctx.con, test_cutoff, h)
    names = list(feat.CUSTOMER_FEATURES)
    recency = names.index("recency_days")
    x_train, x_test = feat.matrix(train, names), feat.matrix(test, names)
    groups = np.asarray(train["customer_id"], dtype=object)
    common: dict[str, Any] = {
        "split": "time",
        "cutoff": test_cutoff,
        "train_cutoff": train_cutoff,
        "horizon_days": h,
    }
    _timed(ctx, "customer_features", started)

    def label(table: pl.DataFrame, column: str, negate: bool = False) -> FloatArray:
        values = table[column].cast(pl.Float64).to_numpy()
        return 1.0 - values if negate else values

    started = time.perf_counter()
    why = ctx.missing("has_purchases")
    if why:
        ctx.unavailable("customer_purchase", "customer", "classification", why)
    else:
        _run_supervised(
            ctx,
            TaskData(
                "customer_purchase",
                "customer",
                "classification",
                names,
                x_train,
                label(train, "purchased"),
                groups,
                BUILTIN_LABELS["customer_purchase"],
                x_test=x_test,
                y_test=label(test, "purchased"),
                baselines={"naive_recency": lambda xt, yt, xs: -xs[:, recency]},
                recipe={"source": "customer_horizon", "label": "purchased"},
                **common,
            ),  # fmt: skip
        )
    _timed(ctx, "customer_purchase", started)
    started = time.perf_counter()
    why = ctx.missing("has_purchases", "has_revenue")
    if why:
        ctx.unavailable("customer_revenue", "customer", "regression", why)
    else:
        last = names.index("revenue_last_period")
        _run_supervised(
            ctx,
            TaskData(
                "customer_revenue",
                "customer",
                "regression",
                names,
                x_train,
                label(train, "horizon_revenue"),
                groups,
                BUILTIN_LABELS["customer_revenue"],
                x_test=x_test,
                y_test=label(test, "horizon_revenue"),
                baselines={
                    "naive_last_period": lambda xt, yt, xs: xs[:, last],
                    "naive_mean": lambda xt, yt, xs: np.full(xs.shape[0], float(yt.mean())),
                },
                nonnegative=True,
                recipe={"source": "customer_horizon", "label": "horizon_revenue"},
                **common,
            ),  # fmt: skip
        )
    _timed(ctx, "customer_revenue", started)
    started = time.perf_counter()
    if ctx.has("has_page_views"):
        definition, column = BUILTIN_LABELS["customer_churn_visits"], "visited"
    elif ctx.has("has_purchases"):
        definition, column = BUILTIN_LABELS["customer_churn_orders"], "purchased"
    else:
        ctx.unavailable(
            "customer_churn", "customer", "classification", ctx.missing("has_purchases") or ""
        )
        return
    _run_supervised(
        ctx,
        TaskData(
            "customer_churn",
            "customer",
            "classification",
            names,
            x_train,
            label(train, column, negate=True),
            groups,
            definition,
            x_test=x_test,
            y_test=label(test, column, negate=True),
            baselines={"naive_recency": lambda xt, yt, xs: xs[:, recency]},
            recipe={"source": "customer_horizon", "label": column, "negate": True},
            **common,
        ),  # fmt: skip
    )
    _timed(ctx, "customer_churn", started)


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


def _segment_task(ctx: _Context) -> None:
    started = time.perf_counter()
    opts = ctx.options
    caps = {name: ctx.has(name) for name in ctx.caps}
    entity, table, candidates = segment_table(ctx.con, caps, opts.horizon_days)
    task = f"{entity}_segments"
    why = ctx.missing("has_complete_journeys")
    if why:
        # Behaviour profiles of sampled events describe the sampling, not the customers.
        ctx.unavailable(task, entity, "clustering", why)
        ctx.unavailable("customer_rfm", "customer", "rules", why)
        return
    if table.height < 50:
        ctx.unavailable(task, entity, "clustering", f"only {table.height} {entity}s to segment")
        return
    full = feat.matrix(table, candidates)
    full = np.nan_to_num(full, nan=0.0)
    # Constant columns (no carts in order data, no clock in the UCI file) carry no shape.
    names = [n for j, n in enumerate(candidates) if np.nanstd(full[:, j]) > 0]
    x_all = full[:, [candidates.index(n) for n in names]]
    rng = np.random.default_rng(opts.seed)
    sample = np.sort(
        rng.choice(x_all.shape[0], min(opts.segment_sample, x_all.shape[0]), replace=False)
    )
    scaler = Scaler.fit(x_all[sample])
    z = scaler.apply(x_all[sample])
    ctx.say(f"{task}: k-means for k = 2…8 on {sample.size:,} {entity}s (silhouette, stability)")
    kmeans, per_k = choose_k(z, seed=opts.seed)
    km_labels = kmeans.predict(z).astype(np.int64)
    km_profile = profile(x_all[sample], km_labels, names)
    km_names = name_segments(km_profile)
    chosen = next(r for r in per_k if int(r["k"]) == kmeans.n_clusters)
    version = f"{task}.kmeans.{art.training_hash(z, km_labels, names)[:10]}"
    meta_common = {
        "task": task,
        "entity": entity,
        "feature_names": names,
        "scaler_mean": scaler.mean.tolist(),
        "scaler_scale": scaler.scale.tolist(),
        "build_id": ctx.build_id,
        "trained_at": ctx.trained_at.isoformat(),
        "sample_rows": int(sample.size),
        "horizon_days": opts.horizon_days,
    }
    ctx.row(
        task, entity, "clustering", candidate="kmeans", status="trained", selected=True,
        params=json.dumps({"k": kmeans.n_clusters, "k_range": [2, 8], "n_init": 3}),
        silhouette=chosen["silhouette"], stability=chosen["stability"],
        n_clusters=kmeans.n_clusters, n_train=int(sample.size),
        metrics=json.dumps({"per_k": per_k, "profiles": km_profile, "names": km_names}),
        label_definition="unsupervised: scaled behaviour features " + ", ".join(names),
        split_method=f"fit on a seeded sample of {sample.size:,}; stability = mean ARI of "
        "3 bootstrap refits", model_version=version,
        training_data_hash=art.training_hash(z, km_labels, names),
    )  # fmt: skip
    km_meta = {
        **meta_common,
        "model_version": version,
        "candidate": "kmeans",
        "centers": kmeans.cluster_centers_.tolist(),
        "segment_names": {str(k): v for k, v in km_names.items()},
    }
    art.save_sidecar(ctx.artifacts_dir, km_meta)
    ctx.index[f"{task}.kmeans"] = f"{version}.meta.json"

    hd_rows = np.sort(rng.choice(z.shape[0], min(opts.hdbscan_sample, z.shape[0]), replace=False))
    ctx.say(f"{task}: HDBSCAN on {hd_rows.size:,} {entity}s; the rest assigned by XGBoost")
    hd_labels, hd_stats = fit_hdbscan(z[hd_rows], seed=opts.seed)
    hd_profile = profile(x_all[sample][hd_rows], hd_labels, names)
    hd_names = name_segments(hd_profile)
    classes = sorted(set(hd_labels.tolist()))
    version_hd = f"{task}.hdbscan.{art.training_hash(z[hd_rows], hd_labels, names)[:10]}"
    assigner_file = None
    if len(classes) >= 2:
        codes = np.searchsorted(classes, hd_labels)
        assigner = xgb.XGBClassifier(
            n_estimators=60, max_depth=5, learning_rate=0.2, tree_method="hist", n_jobs=2,
            random_state=opts.seed,
        )  # fmt: skip
        assigner.fit(z[hd_rows], codes)
        assigner_file = art.save_booster(
            ctx.artifacts_dir, f"{version_hd}.xgboost.json", assigner.get_booster()
        )
    ctx.row(
        task, entity, "clustering", candidate="hdbscan", status="trained",
        params=json.dumps({"min_cluster_size": hd_stats["min_cluster_size"], "min_samples": 10}),
        silhouette=hd_stats["silhouette"], stability=hd_stats["stability"],
        n_clusters=int(hd_stats["clusters"]), noise_share=hd_stats["noise_share"],
        n_train=int(hd_rows.size),
        metrics=json.dumps({"profiles": hd_profile, "names": hd_names, **hd_stats}),
        label_definition="unsupervised: scaled behaviour features " + ", ".join(names),
        split_method=f"HDBSCAN on a seeded sample of {hd_rows.size:,}; the rest assigned by an "
        "XGBoost classifier trained on the sample's labels (noise included)",
        model_version=version_hd,
        training_data_hash=art.training_hash(z[hd_rows], hd_labels, names),
    )  # fmt: skip
    hd_meta = {
        **meta_common,
        "model_version": version_hd,
        "candidate": "hdbscan",
        "classes": classes,
        "assigner_file": assigner_file,
        "segment_names": {str(k): v for k, v in hd_names.items()},
    }
    art.save_sidecar(ctx.artifacts_dir, hd_meta)
    ctx.index[f"{task}.hdbscan"] = f"{version_hd}.meta.json"
    if entity == "customer" and ctx.has("has_purchases") and ctx.has("has_complete_journeys"):
        ctx.row(
            "customer_rfm", entity, "rules", candidate="rfm_quintiles", status="trained",
            selected=True, params=json.dumps({"scores": "quintiles of buyers, 5 = best"}),
            label_definition="RFM tiers: Champions (R≥4, F≥4), Loyal (F≥4), New customers "
            "(R≥4, one order), At risk (R≤2, F≥3), Hibernating (R≤2, F≤2), Need attention "
            "(other buyers), No orders yet", split_method="descriptive (no fit)",
        )  # fmt: skip
    else:
        ctx.unavailable(
            "customer_rfm", "customer", "rules",
            ctx.missing("has_customer_ids", "has_purchases", "has_complete_journeys")
            or "no customers",
        )  # fmt: skip
    _timed(ctx, task, started)


def custom_label_view(mart: str) -> tuple[str, str]:
    """The query a custom label is written against, and its key column."""
    if mart == "sessions":
        return load_sql("session_profiles", "models"), "session_id"
    return "SELECT * FROM customers", "customer_id"


def custom_label_features(table: pl.DataFrame, key: str) -> list[str]:
    """Every numeric or boolean column of the mart except keys: what a model over it sees."""
    skip = {key, "customer_id", "session_id", "source_id", "label", "label_value"}
    return [
        name
        for name, dtype in table.schema.items()
        if name not in skip and (dtype.is_numeric() or dtype == pl.Boolean)
    ]


def custom_dataset(
    db_path: Path, con: duckdb.DuckDBPyConnection, label: CustomLabel
) -> tuple[pl.DataFrame, list[str], str]:
    """The label evaluated on a locked-down connection, joined to the mart's columns."""
    mart_sql, key = custom_label_view(label.mart)
    locked = locked_connection(db_path)
    try:
        values = evaluate_label(locked, label, mart_sql, key)
    finally:
        locked.close()
    table = feat.frame(con, mart_sql).join(values, on=key, how="inner").sort(key)
    table = table.filter(pl.col("label").is_not_null() & pl.col("label").is_not_nan())
    return table, custom_label_features(table, key), key


def _custom_task(ctx: _Context) -> None:
    label = ctx.options.label
    if label is None:
        return
    started = time.perf_counter()
    task = f"custom_{label.name}"
    entity = "session" if label.mart == "sessions" else "customer"
    table, names, key = custom_dataset(ctx.db_path, ctx.con, label)
    y = table["label"].to_numpy().astype(np.float64)
    kind = "classification" if set(np.unique(y).tolist()) <= {0.0, 1.0} else "regression"
    if table.height < 20:
        ctx.unavailable(task, entity, kind, f"only {table.height} rows have a label value")
        return
    groups = _session_groups(table) if entity == "session" else np.asarray(table[key], dtype=object)
    _run_supervised(
        ctx,
        TaskData(
            task,
            entity,
            kind,
            names,
            feat.matrix(table, names),
            y,
            groups,
            label.definition,
            "cv" if table.height <= ctx.options.max_cv_rows else "holdout",
            recipe={
                "source": "custom",
                "name": label.name,
                "expression": label.expression,
                "mart": label.mart,
            },
        ),  # fmt: skip
    )
    _timed(ctx, task, started)


# --------------------------------------------------------------------------------------------
# The protocol for one supervised task
# --------------------------------------------------------------------------------------------


def _splits(
    data: TaskData, opts: TrainOptions
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    n = data.y.size
    if data.split == "cv":
        if data.kind == "classification":
            splitter: Any = StratifiedGroupKFold(
                n_splits=opts.cv_folds, shuffle=True, random_state=opts.seed
            )
            return list(splitter.split(np.zeros(n), data.y.astype(np.int64), data.groups))
        return list(GroupKFold(n_splits=opts.cv_folds).split(np.zeros(n), data.y, data.groups))
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=opts.seed)
    train_idx, test_idx = next(splitter.split(np.zeros(n), data.y, data.groups))
    return [(train_idx, test_idx)]


def _split_words(data: TaskData, opts: TrainOptions) -> str:
    group = (
        "customer (identical rows for session tables)" if data.entity == "session" else "customer"
    )
    if data.split == "cv":
        strat = "stratified " if data.kind == "classification" else ""
        words = (
            f"{strat}group {opts.cv_folds}-fold by {group}; metrics on pooled out-of-fold "
            "predictions"
        )
        if _nested_pool(data, opts):
            words += (
                f"; nested: {', '.join(_nested_pool(data, opts))} chooses its setting by an "
                "inner 3-fold stratified group CV on each outer training fold only (never "
                "seeing that fold's test rows) and is the selected model, its outer-fold "
                "figures being the only ones that include the cost of choosing"
            )
        return words
    if data.split == "holdout":
        return f"group holdout 80/20 by {group}, test capped at {opts.max_test_rows:,} rows"
    return (
        f"time split: train at cutoff {data.train_cutoff:%Y-%m-%d}, evaluate at cutoff "
        f"{data.cutoff:%Y-%m-%d}, horizon {data.horizon_days} days"
    )


def _nested_pool(data: TaskData, opts: TrainOptions) -> list[str]:
    """Names of the nested candidates this task will fit."""
    pool = candidates_for(
        data.kind, fast=opts.fast, only=data.only or opts.only_candidates,
        extra=data.extra_candidates,
    )  # fmt: skip
    return [c.name for c in pool if c.nested]


def _check_classes(y: FloatArray, where: str) -> str | None:
    positives = int(y.sum())
    if positives < MIN_CLASS_ROWS or y.size - positives < MIN_CLASS_ROWS:
        return (
            f"{where}: {positives:,} positive and {y.size - positives:,} negative rows; "
            f"at least {MIN_CLASS_ROWS} of each are needed"
        )
    return None


def _run_supervised(ctx: _Context, data: TaskData) -> None:
    opts = ctx.options
    if data.y.size < 2 * MIN_CLASS_ROWS:
        ctx.unavailable(data.task, data.entity, data.kind, f"only {data.y.size} labelled rows")
        return
    if data.kind == "classification":
        why = _check_classes(data.y, "training data")
        if why is None and data.y_test is not None:
            why = _check_classes(data.y_test, "evaluation data")
        if why:
            ctx.unavailable(data.task, data.entity, data.kind, why)
            return
    verdict = audit_label(data.x, data.y, data.names, kind=data.kind, seed=opts.seed)
    common = {
        "label_definition": data.label_definition,
        "cutoff": data.cutoff,
        "train_cutoff": data.train_cutoff,
        "horizon_days": data.horizon_days,
        "split_method": _split_words(data, opts),
        "leakage_verdict": verdict.verdict,
        "leakage_score": verdict.score,
    }
    if not verdict.passed:
        ctx.say(f"{data.task}: refused — {verdict.reason}")
        ctx.row(
            data.task, data.entity, data.kind, status="refused", reason=verdict.reason, **common
        )
        return
    # Integer group codes: the same splits whether groups are customer ids or row hashes,
    # and storable without pickling when a refit is needed at scoring time.
    data.groups = np.unique(data.groups.astype(str), return_inverse=True)[1].astype(np.int64)
    pool = candidates_for(
        data.kind, fast=opts.fast, only=data.only or opts.only_candidates,
        extra=data.extra_candidates,
    )  # fmt: skip
    data_hash = art.training_hash(data.x, data.y, data.names)
    results: list[dict[str, Any]] = []
    fitted_on_split: dict[str, FittedModel] = {}
    eval_sets: dict[str, tuple[FloatArray, FloatArray]] = {}
    baseline_preds: dict[str, list[FloatArray]] = {name: [] for name in data.baselines}
    if data.split == "time":
        assert data.x_test is not None and data.y_test is not None
        folds = None
    else:
        folds = _splits(data, opts)
    for candidate in pool:
        t0 = time.perf_counter()
        ctx.say(f"{data.task}: {candidate.name}")
        truth: list[FloatArray] = []
        preds: list[FloatArray] = []
        thresholds: list[float] = []
        fold_scores: list[dict[str, float | None]] = []
        #: Nested candidates: the setting each outer training fold chose for itself.
        chosen: list[dict[str, Any]] = []
        rows_fitted = 0
        if folds is None:
            assert data.x_test is not None and data.y_test is not None
            plan = [(data.x, data.y, data.groups, data.x_test, data.y_test)]
        else:
            plan = []
            for train_idx, test_idx in folds:
                test_rows = test_idx
                if data.split == "holdout" and test_idx.size > opts.max_test_rows:
                    test_rows = np.sort(
                        np.random.default_rng(opts.seed).choice(
                            test_idx, opts.max_test_rows, replace=False
                        )
                    )
                plan.append(
                    (
                        data.x[train_idx], data.y[train_idx], data.groups[train_idx],
                        data.x[test_rows], data.y[test_rows],
                    )
                )  # fmt: skip
        for i, (xt, yt, gt, xs, ys) in enumerate(plan):
            fitted = fit_candidate(
                candidate, xt, yt, gt, seed=opts.seed, nonnegative=data.nonnegative
            )
            rows_fitted = max(rows_fitted, fitted.rows_fitted)
            p = fitted.predict(xs)
            truth.append(ys)
            preds.append(p)
            if candidate.nested:
                chosen.append({"outer_fold": i, "params": fitted.params, "trials": fitted.trials})
            if data.kind == "classification":
                thresholds.append(float(fitted.threshold or 0.5))
                m = classification_metrics(ys, p, fitted.threshold or 0.5)
                fold_scores.append(
                    {k: m[k] for k in ("roc_auc", "pr_auc", "brier", "f1", "lift_at_10")}
                )
            else:
                fold_scores.append({"mae": regression_metrics(ys, p)["mae"]})
            if candidate.name == pool[0].name:
                for name, fn in data.baselines.items():
                    baseline_preds[name].append(fn(xt, yt, xs))
            if i == len(plan) - 1:
                fitted_on_split[candidate.name] = fitted
                eval_sets[candidate.name] = (xs, ys)
        y_all = np.concatenate(truth)
        p_all = np.concatenate(preds)
        if data.kind == "classification":
            # Pooled out-of-fold predictions, judged at the F1 threshold each fold chose on
            # its own training side: the mean of those thresholds stands for the run.
            metrics = classification_metrics(y_all, p_all, float(np.mean(thresholds)))
            hits = np.concatenate([pr >= th for pr, th in zip(preds, thresholds, strict=True)])
            tp = int(np.sum(hits & (y_all == 1)))
            fp = int(np.sum(hits & (y_all == 0)))
            fn_count = int(np.sum(~hits & (y_all == 1)))
            tn = int(np.sum(~hits & (y_all == 0)))
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn_count) if tp + fn_count else 0.0
            metrics.update(
                {
                    "f1": 2 * precision * recall / (precision + recall)
                    if precision + recall
                    else 0.0,
                    "precision": precision,
                    "recall": recall,
                    "accuracy": (tp + tn) / y_all.size,
                    "confusion": {"tp": tp, "fp": fp, "fn": fn_count, "tn": tn},
                }
            )
        else:
            metrics = dict(regression_metrics(y_all, p_all))
        metrics["folds"] = fold_scores
        if folds is not None and len(fold_scores) > 1 and data.kind == "classification":
            # The mean over the outer folds, next to the pooled figures: the usual
            # cross-validated estimate, and the one published results quote.
            for key in ("roc_auc", "pr_auc", "brier", "f1", "lift_at_10"):
                values = [float(v) for f in fold_scores if (v := f.get(key)) is not None]
                metrics[f"{key}_fold_mean"] = float(np.mean(values)) if values else None
        metrics["rows_fitted"] = rows_fitted
        metrics["fit_seconds"] = time.perf_counter() - t0
        results.append({"candidate": candidate, "metrics": metrics, "chosen": chosen})

    baseline_metrics: dict[str, dict[str, Any]] = {}
    y_all = np.concatenate(
        [eval_sets[pool[0].name][1]]
        if folds is None
        else [data.y[t] for _, t in _eval_rows(folds, data, opts)]
    )
    for name, parts in baseline_preds.items():
        if data.kind == "regression":
            baseline_metrics[name] = dict(regression_metrics(y_all, np.concatenate(parts)))
        else:
            # A ranking rule, not a probability: only its ranking metrics mean something.
            ranked = classification_metrics(y_all, _to_unit(np.concatenate(parts)), 0.5)
            baseline_metrics[name] = {
                k: ranked[k] for k in ("roc_auc", "pr_auc", "lift_at_10", "prevalence", "n")
            }

    def score(r: dict[str, Any]) -> float:
        m = r["metrics"]
        if data.kind == "classification":
            return -1.0 if m["pr_auc"] is None else float(m["pr_auc"])
        return -float(m["mae"])

    # A nested candidate chose its setting inside each training fold; picking the best of
    # the fixed candidates by their outer figures would be one more choice made with sight
    # of the test folds, so where a nested candidate runs, it is the selected model.
    nested = [r for r in results if r["candidate"].nested]
    best = max(nested or results, key=score)
    selected: Candidate = best["candidate"]
    ctx.say(f"{data.task}: selected {selected.name}")

    # The model that scores: for a time split or a holdout it is the evaluated model itself;
    # after cross-validation, the selected candidate refitted on every row.
    if folds is None or data.split == "holdout":
        final = fitted_on_split[selected.name]
        final_rows = np.arange(data.y.size) if folds is None else folds[0][0]
    else:
        final = fit_candidate(
            selected, data.x, data.y, data.groups, seed=opts.seed, nonnegative=data.nonnegative
        )
        final_rows = np.arange(data.y.size)
    explain_rows = final_rows[
        subsample(data.y[final_rows], 300_000, opts.seed, stratify=data.kind == "classification")
    ]
    explainer = fit_explainer(
        data.kind, data.x[explain_rows], data.y[explain_rows], opts.seed,
        tweedie=data.nonnegative,
    )  # fmt: skip
    version = f"{data.task}.{selected.name}.{data_hash[:10]}"
    importance: dict[str, Any] = {}
    for name in {selected.name, "xgboost"} & set(fitted_on_split):
        xs, ys = eval_sets[name]
        importance[name] = permutation_importance(
            fitted_on_split[name].predict, xs, ys, data.names, kind=data.kind, seed=opts.seed
        )
    _save_task_artifacts(
        ctx, data, final, explainer, version, data_hash, best["metrics"], common, final_rows
    )

    for r in results:
        cand: Candidate = r["candidate"]
        m = r["metrics"]
        is_selected = cand.name == selected.name
        params: dict[str, Any] = cand.params
        if cand.nested:
            params = {
                "search_space": cand.params,
                "chosen_per_outer_fold": [
                    {"outer_fold": c["outer_fold"], **c["params"]} for c in r["chosen"]
                ],
                "final": final.params if is_selected else None,
            }
            m = {
                **m,
                "inner_search": [
                    {"outer_fold": c["outer_fold"], "trials": c["trials"]} for c in r["chosen"]
                ],
                "inner_search_final": final.trials if is_selected else None,
            }
        extra: dict[str, Any] = {}
        for bname, bm in baseline_metrics.items():
            if data.kind == "regression":
                extra[f"baseline_mae_{bname.removeprefix('naive_')}"] = bm["mae"]
                extra[f"baseline_r2_{bname.removeprefix('naive_')}"] = bm["r2"]
            else:
                extra["baseline_roc_auc"] = bm["roc_auc"]
                extra["baseline_pr_auc"] = bm["pr_auc"]
        ctx.row(
            data.task, data.entity, data.kind, candidate=cand.name, status="trained",
            selected=is_selected, params=json.dumps(params),
            roc_auc=m.get("roc_auc"), pr_auc=m.get("pr_auc"), brier=m.get("brier"),
            f1=m.get("f1"), precision=m.get("precision"), recall=m.get("recall"),
            accuracy=m.get("accuracy"), threshold=m.get("threshold"),
            lift_at_10=m.get("lift_at_10"), prevalence=m.get("prevalence"),
            mae=m.get("mae"), rmse=m.get("rmse"), r2=m.get("r2"),
            n_train=int(data.y.size), n_test=int(m.get("n", 0)),
            rows_fitted=int(m["rows_fitted"]), fit_seconds=m["fit_seconds"],
            curves=json.dumps(m.get("curves")), confusion=json.dumps(m.get("confusion")),
            folds=json.dumps(m["folds"]),
            feature_importance=json.dumps(importance.get(cand.name)),
            metrics=json.dumps({k: v for k, v in m.items() if k not in ("curves",)}, default=float),
            training_data_hash=data_hash,
            model_version=version if is_selected else f"{data.task}.{cand.name}.{data_hash[:10]}",
            notes=cand.notes, **extra, **common,
        )  # fmt: skip
    for bname, bm in baseline_metrics.items():
        ctx.row(
            data.task, data.entity, data.kind, candidate=bname, status="baseline",
            mae=bm.get("mae"), rmse=bm.get("rmse"), r2=bm.get("r2"), n_test=int(bm["n"]),
            roc_auc=bm.get("roc_auc"), pr_auc=bm.get("pr_auc"), lift_at_10=bm.get("lift_at_10"),
            prevalence=bm.get("prevalence"),
            notes={"naive_last_period": "predict the spend of the previous horizon",
                   "naive_mean": "predict the training mean",
                   "naive_cart_value": "predict the value of the cart before checkout",
                   "naive_recency": "rank customers by days since their last visit or order",
                   }.get(bname),
            **common,
        )  # fmt: skip


def _to_unit(score: FloatArray) -> FloatArray:
    """Rescale a ranking score into [0, 1] (rank-preserving), for the ranking metrics."""
    low, high = float(np.min(score)), float(np.max(score))
    if high <= low:
        return np.full(score.size, 0.5)
    out: FloatArray = (score - low) / (high - low)
    return out


def _eval_rows(
    folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    data: TaskData,
    opts: TrainOptions,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    out = []
    for train_idx, test_idx in folds:
        rows = test_idx
        if data.split == "holdout" and test_idx.size > opts.max_test_rows:
            rows = np.sort(
                np.random.default_rng(opts.seed).choice(test_idx, opts.max_test_rows, replace=False)
            )
        out.append((train_idx, rows))
    return out


def _save_task_artifacts(
    ctx: _Context,
    data: TaskData,
    final: FittedModel,
    explainer: xgb.Booster,
    version: str,
    data_hash: str,
    metrics: dict[str, Any],
    common: dict[str, Any],
    final_rows: npt.NDArray[np.int64],
) -> None:
    directory = ctx.artifacts_dir
    explainer_file = art.save_booster(directory, f"{version}.explainer.json", explainer)
    model_file = None
    refit_file = None
    if final.candidate.name == "xgboost":
        final_booster = final.booster()
        assert final_booster is not None
        model_file = art.save_booster(directory, f"{version}.xgboost.json", final_booster)
    else:
        refit_file = art.save_refit_rows(
            directory,
            f"{version}.rows.npz",
            data.x[final_rows],
            data.y[final_rows],
            data.groups[final_rows],
        )
    meta = {
        "model_version": version,
        "task": data.task,
        "entity": data.entity,
        "kind": data.kind,
        "candidate": final.candidate.name,
        "params": final.params,
        "seed": ctx.options.seed,
        "format": "xgboost-json" if model_file else "refit",
        "model_file": model_file,
        "refit_rows_file": refit_file,
        "refit_rows_hash": art.training_hash(data.x[final_rows], data.y[final_rows], data.names),
        "explainer_file": explainer_file,
        "calibration": final.calibration,
        "calibration_method": (
            "platt on the nested search's inner out-of-fold log-odds"
            if final.candidate.nested
            else "platt on log-odds, cross-fitted inside training"
        ),
        "threshold": final.threshold,
        "nonnegative": data.nonnegative,
        "feature_names": data.names,
        "label_definition": data.label_definition,
        "cutoff": common["cutoff"].isoformat() if common["cutoff"] else None,
        "train_cutoff": common["train_cutoff"].isoformat() if common["train_cutoff"] else None,
        "horizon_days": data.horizon_days,
        "split_method": common["split_method"],
        "split": data.split,
        "training_data_hash": data_hash,
        "training_rows": int(data.y.size),
        "recipe": data.recipe,
        "metrics": {k: v for k, v in metrics.items() if k not in ("curves",)},
        "leakage_verdict": common["leakage_verdict"],
        "build_id": ctx.build_id,
        "train_id": ctx.train_id,
        "trained_at": ctx.trained_at.isoformat(),
    }
    art.save_sidecar(directory, meta)
    ctx.index[data.task] = f"{version}.meta.json"


# --------------------------------------------------------------------------------------------
# Writing model_runs
# --------------------------------------------------------------------------------------------

RUN_COLUMNS: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "train_id": pl.String(),
    "task": pl.String(),
    "entity": pl.String(),
    "kind": pl.String(),
    "candidate": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "selected": pl.Boolean(),
    "params": pl.String(),
    "roc_auc": pl.Float64(),
    "pr_auc": pl.Float64(),
    "brier": pl.Float64(),
    "f1": pl.Float64(),
    "precision": pl.Float64(),
    "recall": pl.Float64(),
    "accuracy": pl.Float64(),
    "threshold": pl.Float64(),
    "lift_at_10": pl.Float64(),
    "prevalence": pl.Float64(),
    "mae": pl.Float64(),
    "rmse": pl.Float64(),
    "r2": pl.Float64(),
    "baseline_mae_last_period": pl.Float64(),
    "baseline_r2_last_period": pl.Float64(),
    "baseline_mae_mean": pl.Float64(),
    "baseline_r2_mean": pl.Float64(),
    "baseline_mae_cart_value": pl.Float64(),
    "baseline_roc_auc": pl.Float64(),
    "baseline_pr_auc": pl.Float64(),
    "baseline_r2_cart_value": pl.Float64(),
    "silhouette": pl.Float64(),
    "stability": pl.Float64(),
    "n_clusters": pl.Int64(),
    "noise_share": pl.Float64(),
    "n_train": pl.Int64(),
    "n_test": pl.Int64(),
    "rows_fitted": pl.Int64(),
    "fit_seconds": pl.Float64(),
    "curves": pl.String(),
    "confusion": pl.String(),
    "folds": pl.String(),
    "feature_importance": pl.String(),
    "metrics": pl.String(),
    "label_definition": pl.String(),
    "cutoff": pl.Datetime("us"),
    "train_cutoff": pl.Datetime("us"),
    "horizon_days": pl.Int64(),
    "split_method": pl.String(),
    "training_data_hash": pl.String(),
    "model_version": pl.String(),
    "leakage_verdict": pl.String(),
    "leakage_score": pl.Float64(),
    "notes": pl.String(),
    "build_id": pl.String(),
    "trained_at": pl.Datetime("us"),
}


def _existing_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = con.sql("SELECT * FROM model_runs").pl().to_dicts()
    except duckdb.Error:
        return []
    return found


def _write_runs(con: duckdb.DuckDBPyConnection, runs: list[dict[str, Any]]) -> None:
    records = [{name: run.get(name) for name in RUN_COLUMNS} for run in runs]
    table = pl.DataFrame(records, schema=RUN_COLUMNS, orient="row")
    table = table.with_columns(
        [pl.col(c).fill_nan(None) for c, t in RUN_COLUMNS.items() if t == pl.Float64()]
    )
    con.register("model_runs_frame", table)
    con.execute("CREATE OR REPLACE TABLE model_runs AS SELECT * FROM model_runs_frame")
    con.unregister("model_runs_frame")
