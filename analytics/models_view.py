"""The model comparison, read from ``model_runs`` (nothing typed in): per task its
candidates and metrics, curves, confusion, feature importance, label, cutoff, split,
leakage verdict, and how early scoring improves as more events are seen."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

CLASSIFICATION_METRICS = (
    ("roc_auc", "ROC-AUC"),
    ("pr_auc", "PR-AUC"),
    ("brier", "Brier"),
    ("f1", "F1"),
    ("lift_at_10", "Lift @10%"),
    ("prevalence", "Prevalence"),
)
REGRESSION_METRICS = (("mae", "MAE"), ("rmse", "RMSE"), ("r2", "R²"))
CLUSTERING_METRICS = (
    ("silhouette", "Silhouette"),
    ("stability", "Stability"),
    ("n_clusters", "Clusters"),
    ("noise_share", "Noise share"),
)
TASK_TITLES = {
    "session_conversion": "Session conversion",
    "session_revenue": "Revenue of a converting session",
    "customer_purchase": "Customer purchase propensity",
    "customer_revenue": "Customer revenue over the horizon",
    "customer_churn": "Churn",
    "customer_segments": "Customer segments",
    "session_segments": "Session segments",
    "customer_rfm": "RFM tiers",
}


@dataclass
class TaskView:
    task: str
    title: str
    kind: str
    status: str
    reason: str | None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    selected: dict[str, Any] | None = None

    @property
    def metric_columns(self) -> tuple[tuple[str, str], ...]:
        if self.kind == "regression":
            return REGRESSION_METRICS
        if self.kind == "clustering":
            return CLUSTERING_METRICS
        return CLASSIFICATION_METRICS


def _json(value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def model_tasks(reader: WarehouseReader) -> list[TaskView]:
    """Every task of the latest training, in a stable order; [] before any training."""
    tables = {r[0] for r in reader.rows("SELECT table_name FROM information_schema.tables")}
    if "model_runs" not in tables:
        return []
    runs = reader.frame(load_sql("latest_model_runs", "analytics")).to_dicts()
    tasks: dict[str, TaskView] = {}
    for run in runs:
        for key in ("curves", "confusion", "feature_importance", "metrics", "params", "folds"):
            run[key] = _json(run.get(key))
        task = run["task"]
        view = tasks.get(task)
        if view is None:
            view = TaskView(
                task=task,
                title=TASK_TITLES.get(task, _title_for(task)),
                kind=str(run.get("kind") or ""),
                status=str(run.get("status") or ""),
                reason=run.get("reason"),
            )
            tasks[task] = view
        if run.get("status") == "unavailable":
            view.status, view.reason = "unavailable", run.get("reason")
            continue
        view.status = "trained"
        view.candidates.append(run)
        if run.get("selected"):
            view.selected = run
    return sorted(tasks.values(), key=lambda t: (_order(t.task), t.task))


def early_scoring(tasks: list[TaskView]) -> list[dict[str, Any]]:
    """Accuracy of session conversion scored after the first k events, as k grows."""
    points: list[dict[str, Any]] = []
    for view in tasks:
        match = re.fullmatch(r"session_conversion_k(\d+)", view.task)
        if match and view.selected:
            points.append(
                {
                    "k": int(match.group(1)),
                    "roc_auc": view.selected.get("roc_auc"),
                    "pr_auc": view.selected.get("pr_auc"),
                }
            )
    full = next((v for v in tasks if v.task == "session_conversion" and v.selected), None)
    points.sort(key=lambda p: int(p["k"]))
    if full is not None and points:
        assert full.selected is not None
        points.append(
            {
                "k": "whole session",
                "roc_auc": full.selected.get("roc_auc"),
                "pr_auc": full.selected.get("pr_auc"),
            }
        )
    return points


def _title_for(task: str) -> str:
    match = re.fullmatch(r"session_conversion_k(\d+)", task)
    if match:
        return f"Session conversion after {match.group(1)} event(s)"
    if task.startswith("custom_"):
        return f"Custom label: {task.removeprefix('custom_')}"
    return task.replace("_", " ").capitalize()


def _order(task: str) -> int:
    order = list(TASK_TITLES)
    if task in order:
        return order.index(task)
    if task.startswith("session_conversion_k"):
        return 1
    return len(order)
