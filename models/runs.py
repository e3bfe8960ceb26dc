"""The ``model_runs`` record: one typed row per candidate, baseline or unavailable task.

``model_runs`` is a contract (README, ``shopsight report``, the Models page): its columns
are :data:`RUN_COLUMNS`, in that order. :class:`RunRecord` has exactly those fields, so a
misspelt metric name is a type error instead of a silently empty column.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

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
    # Added by issue 9 (items 11, 12): the verdict against the naive baseline
    # (models.verdicts) and the data minimums the task was held to (models.minimums).
    "verdict": pl.String(),
    "verdict_reason": pl.String(),
    "min_rows": pl.Int64(),
    "min_positives": pl.Int64(),
    "n_positives": pl.Int64(),
}


@dataclass(frozen=True)
class TaskProvenance:
    """What every trained, refused or baseline row of one supervised task repeats."""

    label_definition: str | None = None
    cutoff: datetime | None = None
    train_cutoff: datetime | None = None
    horizon_days: int | None = None
    split_method: str | None = None
    leakage_verdict: str | None = None
    leakage_score: float | None = None
    min_rows: int | None = None
    min_positives: int | None = None
    n_positives: int | None = None


@dataclass(frozen=True)
class RunRecord:
    """One row of ``model_runs``; the identity fields are filled in by the training run."""

    task: str
    entity: str
    kind: str
    status: str
    candidate: str | None = None
    reason: str | None = None
    selected: bool = False
    params: str | None = None
    roc_auc: float | None = None
    pr_auc: float | None = None
    brier: float | None = None
    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    accuracy: float | None = None
    threshold: float | None = None
    lift_at_10: float | None = None
    prevalence: float | None = None
    mae: float | None = None
    rmse: float | None = None
    r2: float | None = None
    baseline_mae_last_period: float | None = None
    baseline_r2_last_period: float | None = None
    baseline_mae_mean: float | None = None
    baseline_r2_mean: float | None = None
    baseline_mae_cart_value: float | None = None
    baseline_roc_auc: float | None = None
    baseline_pr_auc: float | None = None
    baseline_r2_cart_value: float | None = None
    silhouette: float | None = None
    stability: float | None = None
    n_clusters: int | None = None
    noise_share: float | None = None
    n_train: int | None = None
    n_test: int | None = None
    rows_fitted: int | None = None
    fit_seconds: float | None = None
    curves: str | None = None
    confusion: str | None = None
    folds: str | None = None
    feature_importance: str | None = None
    metrics: str | None = None
    label_definition: str | None = None
    cutoff: datetime | None = None
    train_cutoff: datetime | None = None
    horizon_days: int | None = None
    split_method: str | None = None
    training_data_hash: str | None = None
    model_version: str | None = None
    leakage_verdict: str | None = None
    leakage_score: float | None = None
    notes: str | None = None
    run_id: str | None = None
    train_id: str | None = None
    build_id: str | None = None
    trained_at: datetime | None = None
    verdict: str | None = None
    verdict_reason: str | None = None
    min_rows: int | None = None
    min_positives: int | None = None
    n_positives: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        """A stored row (columns this version does not know are dropped)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in known})

    def as_row(self) -> dict[str, Any]:
        """The row in ``model_runs`` column order."""
        return {name: getattr(self, name) for name in RUN_COLUMNS}


def existing_runs(con: duckdb.DuckDBPyConnection) -> list[RunRecord]:
    """The runs already in the warehouse (none when it was never trained)."""
    try:
        found = con.sql("SELECT * FROM model_runs").pl().to_dicts()
    except duckdb.Error:
        return []
    return [RunRecord.from_row(row) for row in found]


def write_runs(con: duckdb.DuckDBPyConnection, runs: list[RunRecord]) -> None:
    """Replace ``model_runs`` with ``runs`` (NaN stored as NULL: a figure that is not one)."""
    records = [run.as_row() for run in runs]
    table = pl.DataFrame(records, schema=RUN_COLUMNS, orient="row")
    table = table.with_columns(
        [pl.col(c).fill_nan(None) for c, t in RUN_COLUMNS.items() if t == pl.Float64()]
    )
    con.register("model_runs_frame", table)
    con.execute("CREATE OR REPLACE TABLE model_runs AS SELECT * FROM model_runs_frame")
    con.unregister("model_runs_frame")
