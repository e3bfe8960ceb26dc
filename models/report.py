"""``shopsight report``: the model comparison, read from ``model_runs`` (never typed in)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from common.errors import ShopSightError
from models.runs import RunRecord
from models.verdicts import with_verdicts
from warehouse.errors import WarehouseNotFoundError

#: The metric names of the ``report --json`` contract (README), then the rest.
CONTRACT_METRICS = ("roc_auc", "pr_auc", "brier", "f1", "mae", "r2", "silhouette")
EXTRA_METRICS = (
    "lift_at_10",
    "prevalence",
    "precision",
    "recall",
    "threshold",
    "rmse",
    "baseline_mae_last_period",
    "baseline_mae_mean",
    "baseline_mae_cart_value",
    "baseline_r2_last_period",
    "baseline_r2_mean",
    "baseline_roc_auc",
    "baseline_pr_auc",
    "stability",
    "n_clusters",
    "noise_share",
    "n_train",
    "n_test",
    "rows_fitted",
    "fit_seconds",
)


def load_runs(db_path: Path | str) -> list[dict[str, Any]]:
    db_path = Path(db_path)
    if not db_path.exists():
        raise WarehouseNotFoundError(db_path)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {
            r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if "model_runs" not in tables:
            raise ShopSightError(
                f"{db_path}: no model_runs table; run `shopsight train --db {db_path}` first"
            )
        runs: list[dict[str, Any]] = (
            con.sql("SELECT * FROM model_runs ORDER BY run_id").pl().to_dicts()
        )
    finally:
        con.close()
    if runs and "verdict" not in runs[0]:
        # Trained before verdicts were stored: judge the stored figures the same way.
        runs = [r.as_row() for r in with_verdicts([RunRecord.from_row(row) for row in runs])]
    return runs


#: What every task's entry says about its verdict and the data it was held to.
VERDICT_KEYS = ("verdict", "verdict_reason", "min_rows", "min_positives", "n_positives", "n_train")


#: Means over the outer folds of cross-validated classification (from ``model_runs.metrics``).
FOLD_MEAN_METRICS = tuple(
    f"{name}_fold_mean" for name in ("roc_auc", "pr_auc", "brier", "f1", "lift_at_10")
)


def _metrics(run: dict[str, Any]) -> dict[str, Any]:
    out = {name: run.get(name) for name in CONTRACT_METRICS + EXTRA_METRICS}
    stored = json.loads(run["metrics"]) if run.get("metrics") else {}
    if isinstance(stored, dict) and stored.get("roc_auc_fold_mean") is not None:
        out.update({name: stored.get(name) for name in FOLD_MEAN_METRICS})
        out["outer_folds"] = len(stored.get("folds") or [])
    return out


def report(db_path: Path | str) -> dict[str, dict[str, Any]]:
    """One object per task: status, the selected model and its metrics, every candidate."""
    out: dict[str, dict[str, Any]] = {}
    for run in load_runs(db_path):
        task = str(run["task"])
        entry = out.setdefault(
            task,
            {
                "task": task,
                "entity": run["entity"],
                "kind": run["kind"],
                "status": run["status"],
                "reason": run.get("reason"),
                "selected_model": None,
                "model_version": None,
                "metrics": {name: None for name in CONTRACT_METRICS},
                "label_definition": run.get("label_definition"),
                "cutoff": str(run["cutoff"]) if run.get("cutoff") else None,
                "train_cutoff": str(run["train_cutoff"]) if run.get("train_cutoff") else None,
                "horizon_days": run.get("horizon_days"),
                "split_method": run.get("split_method"),
                "leakage_verdict": run.get("leakage_verdict"),
                "training_data_hash": None,
                "candidates": [],
                **{key: run.get(key) for key in VERDICT_KEYS},
            },
        )
        if run["status"] in ("trained", "baseline"):
            entry["status"] = "trained"
            entry["candidates"].append(
                {
                    "candidate": run["candidate"],
                    "status": run["status"],
                    "selected": bool(run["selected"]),
                    "metrics": _metrics(run),
                    "params": json.loads(run["params"]) if run.get("params") else None,
                    "verdict": run.get("verdict"),
                    "verdict_reason": run.get("verdict_reason"),
                }
            )
        if run.get("selected"):
            entry["selected_model"] = run["candidate"]
            entry["model_version"] = run.get("model_version")
            entry["training_data_hash"] = run.get("training_data_hash")
            entry["metrics"] = _metrics(run)
            entry.update({key: run.get(key) for key in VERDICT_KEYS})
    return out


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _verdict_lines(entry: dict[str, Any]) -> list[str]:
    """The task's verdict and, for a supervised task, its data against the minimums."""
    lines = []
    if entry.get("min_rows") is not None:
        positives = (
            "non-zero targets" if entry["kind"] == "regression" else "rows of the rarer class"
        )
        rows, found = entry.get("n_train"), entry.get("n_positives")
        lines.append(
            f"    data: {'—' if rows is None else f'{rows:,}'} rows (minimum "
            f"{entry['min_rows']}), {'—' if found is None else f'{found:,}'} {positives} "
            f"(minimum {entry['min_positives']})"
        )
    if entry.get("verdict") and entry["status"] == "trained":
        lines.append(f"    verdict: {entry['verdict']} — {entry.get('verdict_reason') or ''}")
    elif entry.get("verdict"):
        lines.append(f"    verdict: {entry['verdict']}")
    return lines


def format_report(tasks: dict[str, dict[str, Any]]) -> str:
    """A plain-text comparison table per task."""
    lines: list[str] = []
    for task, entry in tasks.items():
        lines.append(f"{task} [{entry['entity']}, {entry['kind']}]: {entry['status']}")
        if entry["status"] != "trained":
            lines.append(f"    {entry['reason']}")
            lines.extend(_verdict_lines(entry))
            continue
        lines.append(f"    label: {entry['label_definition']}")
        lines.append(f"    split: {entry['split_method']}")
        if entry.get("leakage_verdict"):
            lines.append(f"    leakage audit: {entry['leakage_verdict']}")
        lines.extend(_verdict_lines(entry))
        if entry["kind"] == "classification":
            header = (
                f"    {'candidate':<22}{'ROC-AUC':>9}{'PR-AUC':>9}{'Brier':>8}{'F1':>7}"
                f"{'lift@10':>9}{'rows':>9}"
            )
            lines.append(header)
            for c in entry["candidates"]:
                m = c["metrics"]
                mark = "*" if c["selected"] else " "
                lines.append(
                    f"   {mark}{c['candidate']:<22}{_fmt(m['roc_auc']):>9}{_fmt(m['pr_auc']):>9}"
                    f"{_fmt(m['brier']):>8}{_fmt(m['f1']):>7}{_fmt(m['lift_at_10'], 2):>9}"
                    f"{_fmt(m['rows_fitted']):>9}"
                )
            lines.append(f"    prevalence {_fmt(entry['metrics']['prevalence'])}")
            chosen = entry["metrics"]
            if chosen.get("roc_auc_fold_mean") is not None:
                lines.append(
                    f"    {entry['selected_model']}, mean of the {chosen['outer_folds']} outer "
                    f"folds: ROC-AUC {_fmt(chosen['roc_auc_fold_mean'], 4)}  PR-AUC "
                    f"{_fmt(chosen['pr_auc_fold_mean'], 4)}  Brier "
                    f"{_fmt(chosen['brier_fold_mean'])}  F1 {_fmt(chosen['f1_fold_mean'])}  "
                    f"lift@10 {_fmt(chosen['lift_at_10_fold_mean'], 2)}"
                )
        elif entry["kind"] == "regression":
            lines.append(f"    {'candidate':<22}{'MAE':>12}{'RMSE':>12}{'R²':>8}")
            for c in entry["candidates"]:
                m = c["metrics"]
                mark = "*" if c["selected"] else " "
                lines.append(
                    f"   {mark}{c['candidate']:<22}{_fmt(m['mae'], 2):>12}{_fmt(m['rmse'], 2):>12}"
                    f"{_fmt(m['r2']):>8}"
                )
        else:
            for c in entry["candidates"]:
                m = c["metrics"]
                lines.append(
                    f"    {c['candidate']:<12} clusters {_fmt(m['n_clusters'])}  silhouette "
                    f"{_fmt(m['silhouette'])}  stability {_fmt(m['stability'])}"
                    + (f"  noise {_fmt(m['noise_share'])}" if m["noise_share"] is not None else "")
                )
        lines.append("")
    return "\n".join(lines)
