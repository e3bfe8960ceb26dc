"""The model comparison, read from ``model_runs`` (nothing typed in): per task its
candidates and metrics, curves, confusion, feature importance, label, cutoff, split,
leakage verdict, the model's verdict against its naive baseline, and how early scoring
improves as more events are seen.

Row counts are named as ``shopsight report`` counts them: *training rows* are the rows the
largest single fit saw (``rows_fitted``, the report's "rows"), *evaluation rows* the held-out
rows the metrics were computed on (``n_test``), *labelled rows* every row with a label
(``n_train``). Under cross-validation every labelled row is held out once, so labelled and
evaluation rows are equal while no fit ever saw its own evaluation rows.
"""

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


#: The verdicts ``model_runs.verdict`` may hold (recorded by training, when present).
VERDICTS = ("useful", "weak", "withheld")

#: Row counts of a run, in the words the page shows, and the column each comes from.
ROW_COUNTS = (
    ("Training rows (largest fit)", "rows_fitted"),
    ("Evaluation rows (held out)", "n_test"),
    ("Labelled rows", "n_train"),
)

#: The clause a built-in label adds for Online Shoppers' pre-aggregated sessions.
_SHOPPERS_CLAUSE = re.compile(r";\s*Online Shoppers:\s*its Revenue column")


#: The metrics a model is held against its naive baselines on: (column, label, higher
#: is better), per kind of task.
_BASELINE_METRICS = {
    "classification": (("roc_auc", "ROC-AUC", True), ("pr_auc", "PR-AUC", True)),
    "regression": (("mae", "MAE", False), ("r2", "R²", True)),
}


@dataclass(frozen=True)
class BaselineComparison:
    """The selected model against the best naive baseline on one metric."""

    metric: str
    model: float
    baseline: float
    baseline_name: str
    higher_is_better: bool

    @property
    def beats(self) -> bool:
        """Whether the model does better than the baseline at all."""
        if self.higher_is_better:
            return self.model > self.baseline
        return self.model < self.baseline


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

    @property
    def verdict(self) -> str | None:
        """``useful``, ``weak`` or ``withheld`` where training recorded one, else ``None``."""
        found = (self.selected or {}).get("verdict")
        return str(found) if found in VERDICTS else None

    @property
    def verdict_reason(self) -> str | None:
        found = (self.selected or {}).get("verdict_reason")
        return str(found) if found else None

    def baseline_comparisons(self) -> list[BaselineComparison]:
        """The selected model against the best naive baseline on each main metric (ROC-AUC
        and PR-AUC for classifiers, MAE and R² for regressions); [] without baselines."""
        if self.selected is None:
            return []
        out = []
        for key, label, higher in _BASELINE_METRICS.get(self.kind, ()):
            model = self.selected.get(key)
            baselines = [
                run
                for run in self.candidates
                if run.get("status") == "baseline" and run.get(key) is not None
            ]
            if model is None or not baselines:
                continue
            best = (max if higher else min)(baselines, key=lambda run: float(run[key]))
            out.append(
                BaselineComparison(label, float(model), float(best[key]), best["candidate"], higher)
            )
        return out


def _json(value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def label_for_data(text: str | None, session_aggregate: bool) -> str | None:
    """A stored label definition in the words of the data at hand: the built-in conversion
    label names Online Shoppers' Revenue column, which only that kind of data has."""
    if not text:
        return text
    if session_aggregate:
        return _SHOPPERS_CLAUSE.sub("; here: the source's Revenue column", text)
    return _SHOPPERS_CLAUSE.sub("", text)


def row_counts(run: dict[str, Any]) -> list[tuple[str, int]]:
    """The run's row counts that training recorded, named (see the module's docstring).
    Labelled rows are left out where they are just the training rows (a time split, whose
    evaluation rows come from a later cutoff)."""
    found = {key: run.get(key) for _, key in ROW_COUNTS}
    if found["n_train"] == found["rows_fitted"]:
        found["n_train"] = None
    return [(label, int(value)) for label, key in ROW_COUNTS if (value := found[key]) is not None]


def _session_aggregate(reader: WarehouseReader, tables: set[str]) -> bool:
    if "capabilities" not in tables:
        return False
    found = reader.rows(
        "SELECT available FROM capabilities WHERE name = $name", {"name": "is_session_aggregate"}
    )
    return bool(found and found[0][0])


def model_tasks(reader: WarehouseReader) -> list[TaskView]:
    """Every task of the latest training, in a stable order; [] before any training."""
    tables = {r[0] for r in reader.rows("SELECT table_name FROM information_schema.tables")}
    if "model_runs" not in tables:
        return []
    runs = reader.frame(load_sql("latest_model_runs", "analytics")).to_dicts()
    aggregate = _session_aggregate(reader, tables)
    tasks: dict[str, TaskView] = {}
    for run in runs:
        for key in ("curves", "confusion", "feature_importance", "metrics", "params", "folds"):
            run[key] = _json(run.get(key))
        run["label_definition"] = label_for_data(run.get("label_definition"), aggregate)
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
