"""The ``model_runs`` rows of one trained task: a row per candidate and per naive baseline."""

from __future__ import annotations

import json
from typing import Any

from models.fitting import FittedModel
from models.runs import RunRecord, TaskProvenance
from models.task_data import CandidateResult, TaskData

BASELINE_NOTES = {
    "naive_last_period": "predict the spend of the previous horizon",
    "naive_mean": "predict the training mean",
    "naive_cart_value": "predict the value of the cart before checkout",
    "naive_recency": "rank customers by days since their last visit or order",
}


def _nested_record(
    result: CandidateResult, final: FittedModel, is_selected: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A nested candidate's params (search space, each outer fold's choice, the final
    setting) and metrics (with every setting's inner score)."""
    params = {
        "search_space": result.candidate.params,
        "chosen_per_outer_fold": [
            {"outer_fold": c["outer_fold"], **c["params"]} for c in result.chosen
        ],
        "final": final.params if is_selected else None,
    }
    metrics = {
        **result.metrics,
        "inner_search": [
            {"outer_fold": c["outer_fold"], "trials": c["trials"]} for c in result.chosen
        ],
        "inner_search_final": final.trials if is_selected else None,
    }
    return params, metrics


def candidate_run(
    data: TaskData,
    result: CandidateResult,
    best: CandidateResult,
    final: FittedModel,
    version: str,
    data_hash: str,
    provenance: TaskProvenance,
) -> RunRecord:
    """One candidate's row: its figures, parameters, and (when selected) the scoring version."""
    cand = result.candidate
    is_selected = cand.name == best.candidate.name
    params: dict[str, Any] = cand.params
    m = result.metrics
    if cand.nested:
        params, m = _nested_record(result, final, is_selected)
    return RunRecord(
        data.task,
        data.entity,
        data.kind,
        status="trained",
        candidate=cand.name,
        selected=is_selected,
        params=json.dumps(params),
        roc_auc=m.get("roc_auc"),
        pr_auc=m.get("pr_auc"),
        brier=m.get("brier"),
        f1=m.get("f1"),
        precision=m.get("precision"),
        recall=m.get("recall"),
        accuracy=m.get("accuracy"),
        threshold=m.get("threshold"),
        lift_at_10=m.get("lift_at_10"),
        prevalence=m.get("prevalence"),
        mae=m.get("mae"),
        rmse=m.get("rmse"),
        r2=m.get("r2"),
        n_train=int(data.y.size),
        n_test=int(m.get("n", 0)),
        rows_fitted=int(m["rows_fitted"]),
        fit_seconds=m["fit_seconds"],
        curves=json.dumps(m.get("curves")),
        confusion=json.dumps(m.get("confusion")),
        folds=json.dumps(m["folds"]),
        metrics=json.dumps({k: v for k, v in m.items() if k != "curves"}, default=float),
        training_data_hash=data_hash,
        model_version=version if is_selected else f"{data.task}.{cand.name}.{data_hash[:10]}",
        notes=cand.notes,
        **provenance.__dict__,
    )


def baseline_run(
    data: TaskData, name: str, metrics: dict[str, Any], provenance: TaskProvenance
) -> RunRecord:
    """A naive baseline's row: the figures every candidate is compared with."""
    return RunRecord(
        data.task,
        data.entity,
        data.kind,
        status="baseline",
        candidate=name,
        mae=metrics.get("mae"),
        rmse=metrics.get("rmse"),
        r2=metrics.get("r2"),
        n_test=int(metrics["n"]),
        roc_auc=metrics.get("roc_auc"),
        pr_auc=metrics.get("pr_auc"),
        lift_at_10=metrics.get("lift_at_10"),
        prevalence=metrics.get("prevalence"),
        notes=BASELINE_NOTES.get(name),
        **provenance.__dict__,
    )
