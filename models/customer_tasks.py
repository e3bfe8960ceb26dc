"""What to train on customers: purchase, revenue and churn over a horizon, split by time.

Features at the training cutoff (anchor − 2h) with labels from the horizon after it; the
evaluation is at the later cutoff (anchor − h). A task needs 3h days of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import polars as pl

from models import features as feat
from models.labels import BUILTIN_LABELS
from models.protocol import run_supervised
from models.task_data import Baseline, FloatArray, TaskData
from models.train_context import TrainContext

CUSTOMER_TASKS = ("customer_purchase", "customer_revenue", "customer_churn")


def customer_dataset(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, horizon_days: int
) -> pl.DataFrame:
    """Features at ``cutoff`` joined to what happened in the horizon after it."""
    features = feat.customer_features(con, cutoff, horizon_days)
    labels = feat.customer_labels(con, cutoff, horizon_days)
    return features.join(labels, on="customer_id", how="inner").sort("customer_id")


@dataclass
class Horizons:
    """The customer tables at the training and the evaluation cutoff."""

    train: pl.DataFrame
    test: pl.DataFrame
    names: list[str]
    cutoff: datetime
    train_cutoff: datetime
    horizon_days: int

    def task(
        self,
        task: str,
        kind: str,
        column: str,
        definition: str,
        baselines: dict[str, Baseline],
        *,
        negate: bool = False,
        nonnegative: bool = False,
    ) -> TaskData:
        """A time-split task whose label is ``column`` (or its complement) in the horizon."""

        def label(table: pl.DataFrame) -> FloatArray:
            values = table[column].cast(pl.Float64).to_numpy()
            return 1.0 - values if negate else values

        recipe: dict[str, Any] = {"source": "customer_horizon", "label": column}
        if negate:
            recipe["negate"] = True
        return TaskData(
            task=task,
            entity="customer",
            kind=kind,
            names=self.names,
            x=feat.matrix(self.train, self.names),
            y=label(self.train),
            groups=np.asarray(self.train["customer_id"], dtype=object),
            label_definition=definition,
            split="time",
            cutoff=self.cutoff,
            train_cutoff=self.train_cutoff,
            horizon_days=self.horizon_days,
            x_test=feat.matrix(self.test, self.names),
            y_test=label(self.test),
            baselines=baselines,
            nonnegative=nonnegative,
            recipe=recipe,
        )


def _too_short(ctx: TrainContext) -> str | None:
    h = ctx.options.horizon_days
    window = ctx.window
    if window.anchor is None or window.span_days() < 3 * h:
        return (
            f"the data spans {window.span_days():.0f} days; a {h}-day horizon needs at least "
            f"{3 * h} (history before a training cutoff, a training horizon, and a later "
            "evaluation horizon)"
        )
    return None


def customer_tasks(ctx: TrainContext) -> None:
    """Every customer task the capabilities and the data's span allow."""
    why = ctx.missing("has_customer_ids", "has_complete_journeys") or _too_short(ctx)
    if why is not None or ctx.window.anchor is None:
        for task in CUSTOMER_TASKS:
            kind = "regression" if task == "customer_revenue" else "classification"
            ctx.unavailable(task, "customer", kind, why or "")
        return
    h = ctx.options.horizon_days
    test_cutoff = ctx.window.anchor - timedelta(days=h)
    train_cutoff = ctx.window.anchor - timedelta(days=2 * h)
    with ctx.timed("customer_features"):
        ctx.say(f"customer features at cutoffs {train_cutoff:%Y-%m-%d} and {test_cutoff:%Y-%m-%d}")
        horizons = Horizons(
            customer_dataset(ctx.con, train_cutoff, h),
            customer_dataset(ctx.con, test_cutoff, h),
            list(feat.CUSTOMER_FEATURES),
            test_cutoff,
            train_cutoff,
            h,
        )
    with ctx.timed("customer_purchase"):
        _purchase(ctx, horizons)
    with ctx.timed("customer_revenue"):
        _revenue(ctx, horizons)
    with ctx.timed("customer_churn"):
        _churn(ctx, horizons)


def _purchase(ctx: TrainContext, horizons: Horizons) -> None:
    why = ctx.missing("has_purchases")
    if why:
        ctx.unavailable("customer_purchase", "customer", "classification", why)
        return
    recency = horizons.names.index("recency_days")
    baselines: dict[str, Baseline] = {"naive_recency": lambda xt, yt, xs: -xs[:, recency]}
    definition = BUILTIN_LABELS["customer_purchase"]
    data = horizons.task("customer_purchase", "classification", "purchased", definition, baselines)
    run_supervised(ctx, data)


def _revenue(ctx: TrainContext, horizons: Horizons) -> None:
    why = ctx.missing("has_purchases", "has_revenue")
    if why:
        ctx.unavailable("customer_revenue", "customer", "regression", why)
        return
    last = horizons.names.index("revenue_last_period")
    baselines: dict[str, Baseline] = {
        "naive_last_period": lambda xt, yt, xs: xs[:, last],
        "naive_mean": lambda xt, yt, xs: np.full(xs.shape[0], float(yt.mean())),
    }
    definition = BUILTIN_LABELS["customer_revenue"]
    data = horizons.task(
        "customer_revenue",
        "regression",
        "horizon_revenue",
        definition,
        baselines,
        nonnegative=True,
    )
    run_supervised(ctx, data)


def _churn(ctx: TrainContext, horizons: Horizons) -> None:
    """No visit in the horizon (event logs), or no purchase (order data: no page views)."""
    if ctx.has("has_page_views"):
        definition, column = BUILTIN_LABELS["customer_churn_visits"], "visited"
    elif ctx.has("has_purchases"):
        definition, column = BUILTIN_LABELS["customer_churn_orders"], "purchased"
    else:
        why = ctx.missing("has_purchases") or ""
        ctx.unavailable("customer_churn", "customer", "classification", why)
        return
    recency = horizons.names.index("recency_days")
    baselines: dict[str, Baseline] = {"naive_recency": lambda xt, yt, xs: xs[:, recency]}
    data = horizons.task(
        "customer_churn", "classification", column, definition, baselines, negate=True
    )
    run_supervised(ctx, data)
