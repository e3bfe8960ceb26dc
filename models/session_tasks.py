"""What to train on sessions: conversion, conversion after the first k events, order value."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from models import features as feat
from models.labels import BUILTIN_LABELS
from models.protocol import run_supervised
from models.task_data import FloatArray, TaskData
from models.train_context import TrainContext


def session_groups(table: pl.DataFrame) -> npt.NDArray[Any]:
    """Sessions of one customer stay on one side of every split; anonymous sessions are
    their own group."""
    return np.asarray(
        table.select(pl.coalesce(pl.col("customer_id"), pl.col("session_id"))).to_series(),
        dtype=object,
    )


def _converted(table: pl.DataFrame) -> FloatArray:
    return table["converted"].cast(pl.Float64).fill_null(0.0).to_numpy()


def _split(ctx: TrainContext, rows: int) -> str:
    return "cv" if rows <= ctx.options.cv_row_limit() else "holdout"


def session_tasks(ctx: TrainContext) -> None:
    """Every session task the capabilities allow; the others recorded as unavailable."""
    prefix_tasks = [f"session_conversion_k{k}" for k in ctx.options.prefix_events]
    why = ctx.missing("has_purchases", "has_page_views", "has_complete_journeys")
    if why:
        for task in ["session_conversion", *prefix_tasks]:
            ctx.unavailable(task, "session", "classification", why)
        ctx.unavailable("session_revenue", "session", "regression", why)
        return
    with ctx.timed("session_conversion"):
        table, names = _conversion(ctx)
    if ctx.has("is_session_aggregate"):
        reason = (
            "sessions arrive pre-aggregated (is_session_aggregate): there is no event order "
            "to cut into prefixes"
        )
        for task in prefix_tasks:
            ctx.unavailable(task, "session", "classification", reason)
        revenue_why = "has_revenue: " + ctx.reason("has_revenue", "no revenue amounts")
        ctx.unavailable("session_revenue", "session", "regression", revenue_why)
        return
    with ctx.timed("session_conversion_prefixes"):
        for k in ctx.options.prefix_events:
            _prefix_conversion(ctx, names, k)
    with ctx.timed("session_revenue"):
        _order_value(ctx, table, names)


def _conversion(ctx: TrainContext) -> tuple[pl.DataFrame, list[str]]:
    """Conversion from the pre-signal behaviour (or Online Shoppers' own columns)."""
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
        groups = session_groups(table)
        recipe = {"source": "session_prefix"}
        extra = ()
    data = TaskData(
        task="session_conversion",
        entity="session",
        kind="classification",
        names=names,
        x=feat.matrix(table, names),
        y=_converted(table),
        groups=groups,
        label_definition=BUILTIN_LABELS["session_conversion"],
        split=_split(ctx, table.height),
        extra_candidates=extra,
        recipe=recipe,
    )
    run_supervised(ctx, data)
    return table, names


def _prefix_conversion(ctx: TrainContext, names: list[str], k: int) -> None:
    """Conversion seen after a session's first ``k`` events (XGBoost only)."""
    prefix = feat.session_features(
        ctx.con, has_clock_time=ctx.has("has_clock_time"), first_events=k
    )
    data = TaskData(
        task=f"session_conversion_k{k}",
        entity="session",
        kind="classification",
        names=names,
        x=feat.matrix(prefix, names),
        y=_converted(prefix),
        groups=session_groups(prefix),
        label_definition=BUILTIN_LABELS["session_conversion_prefix"] + f" (k = {k})",
        split=_split(ctx, prefix.height),
        only=("xgboost",),
        recipe={"source": "session_prefix", "first_events": k},
    )
    run_supervised(ctx, data)


def _order_value(ctx: TrainContext, table: pl.DataFrame, names: list[str]) -> None:
    """Revenue of converting sessions, next to the mean and the cart value before checkout."""
    why = ctx.missing("has_revenue")
    if why:
        ctx.unavailable("session_revenue", "session", "regression", why)
        return
    buyers = table.filter(pl.col("converted").fill_null(False) & (pl.col("revenue") > 0))
    cart_idx = names.index("cart_value")
    data = TaskData(
        task="session_revenue",
        entity="session",
        kind="regression",
        names=names,
        x=feat.matrix(buyers, names),
        y=buyers["revenue"].cast(pl.Float64).to_numpy(),
        groups=session_groups(buyers),
        label_definition=BUILTIN_LABELS["session_revenue"],
        split=_split(ctx, buyers.height),
        baselines={
            "naive_mean": lambda xt, yt, xs: np.full(xs.shape[0], float(yt.mean())),
            "naive_cart_value": lambda xt, yt, xs: xs[:, cart_idx],
        },
        nonnegative=True,
        recipe={"source": "session_prefix", "converting_only": True},
    )
    run_supervised(ctx, data)
