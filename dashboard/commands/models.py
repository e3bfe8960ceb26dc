"""``train``, ``score`` and ``report``: models fitted, applied and compared."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.commands.output import EXIT_OK, UsageError, num, progress
from dashboard.commands.paths import existing_warehouse


@dataclass(frozen=True)
class TrainRequest:
    db: Path
    horizon_days: int = 30
    label: str | None = None
    label_name: str | None = None
    label_on: str | None = None
    artifacts: Path | None = None
    fast: bool = False
    label_only: bool = False


def _check_train_request(request: TrainRequest) -> None:
    if request.horizon_days < 1:
        raise UsageError("--horizon-days must be at least 1")
    if request.label_only and request.label is None:
        raise UsageError("--label-only needs --label and --label-name")
    if (request.label is None) != (request.label_name is None):
        raise UsageError("--label and --label-name go together")


def run_train(request: TrainRequest) -> int:
    """Fit, audit and evaluate every model the data allows; print the selected ones."""
    _check_train_request(request)
    db = existing_warehouse(request.db)
    from models.labels import validate_label
    from models.train import TrainOptions, train_models

    label = None
    if request.label is not None and request.label_name is not None:
        mart = request.label_on or _default_label_mart(db)
        label = validate_label(request.label_name, request.label, mart)
    options = TrainOptions(
        horizon_days=request.horizon_days,
        label=label,
        artifacts_dir=request.artifacts,
        fast=request.fast,
        builtin=not request.label_only,
    )
    summary = train_models(db, options, progress=progress)
    _train_summary_table(summary.runs)
    print(
        f"trained in {summary.seconds:,.1f} s; artifacts in {summary.artifacts_dir}; "
        f"details: `shopsight report --db {db}`"
    )
    return EXIT_OK


def _default_label_mart(db: Path) -> str:
    from warehouse.info import warehouse_info

    return "customers" if warehouse_info(db)["capabilities"].get("has_customer_ids") else "sessions"


def _headline(run: dict[str, Any]) -> str:
    if run["kind"] == "classification":
        return (
            f"ROC-AUC {num(run['roc_auc'])}  PR-AUC {num(run['pr_auc'])}  "
            f"Brier {num(run['brier'])}  F1 {num(run['f1'])}"
        )
    if run["kind"] == "regression":
        return f"MAE {num(run['mae'], 2)}  R² {num(run['r2'])}"
    if run["kind"] == "clustering":
        return (
            f"{run['n_clusters']} segments  silhouette {num(run['silhouette'])}  "
            f"stability {num(run['stability'])}"
        )
    return str(run.get("split_method") or "")


def _train_summary_table(runs: list[dict[str, Any]]) -> None:
    print(f"{'task':<26}{'status':<12}{'selected':<22}{'headline':<40}")
    seen: set[str] = set()
    for run in runs:
        task = run["task"]
        if run["status"] in ("unavailable", "refused"):
            print(f"{task:<26}{run['status']:<12}{'—':<22}{str(run['reason'])[:90]}")
            continue
        if not run.get("selected") or task in seen:
            continue
        seen.add(task)
        print(f"{task:<26}{'trained':<12}{str(run['candidate']):<22}{_headline(run)}")


def run_score(db: Path, artifacts: Path | None = None) -> int:
    """Write session_scores, customer_scores and segments."""
    from models.score import score_models

    summary = score_models(existing_warehouse(db), artifacts, progress=progress)
    print(
        f"scored {summary.session_rows:,} sessions and {summary.customer_rows:,} customers; "
        f"{summary.segment_rows:,} segments written in {summary.seconds:,.1f} s"
    )
    return EXIT_OK


def run_report(db: Path, *, as_json: bool = False) -> int:
    """Print the model comparison read from model_runs."""
    from models.report import format_report, report

    tasks = report(existing_warehouse(db))
    if as_json:
        json.dump(tasks, sys.stdout, indent=2, default=str)
        print()
    else:
        print(format_report(tasks))
    return EXIT_OK
