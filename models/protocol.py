"""How one supervised task is split, fitted, evaluated and selected (docs/models.md).

:func:`run_supervised` takes a :class:`TaskData` (what to train, from the task modules) and:
checks the classes, runs the leakage audit, splits by group or time, fits every candidate on
every training side, pools the evaluation, scores the naive baselines, selects (PR-AUC or
MAE; a nested candidate when one ran), fits the model that scores and its explainer, saves
the artifacts and records every candidate and baseline in ``model_runs``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from models import artifacts as art
from models.candidates import Candidate, candidates_for, fit_explainer
from models.evaluate import (
    classification_metrics,
    confusion_counts,
    permutation_importance,
    regression_metrics,
)
from models.fitting import FittedModel, fit_candidate, subsample
from models.group_folds import Fold
from models.leakage import audit_label
from models.minimums import MIN_POSITIVES, MIN_ROWS, task_counts
from models.run_rows import baseline_run, candidate_run
from models.runs import RunRecord, TaskProvenance
from models.splits import split_rows, split_words
from models.task_artifacts import save_task_artifacts
from models.task_data import CandidateResult, TaskData
from models.train_context import TrainContext, TrainOptions

FloatArray = npt.NDArray[np.float64]

#: The per-fold figures kept in ``model_runs.folds`` (and averaged over outer folds).
FOLD_KEYS = ("roc_auc", "pr_auc", "brier", "f1", "lift_at_10")


@dataclass
class TrainSide:
    """One training side and the rows it is judged on."""

    x: FloatArray
    y: FloatArray
    groups: npt.NDArray[Any]
    x_eval: FloatArray
    y_eval: FloatArray


def pool_for(data: TaskData, opts: TrainOptions) -> list[Candidate]:
    return candidates_for(
        data.kind,
        fast=opts.fast,
        only=data.only or opts.only_candidates,
        extra=data.extra_candidates,
    )


def run_supervised(ctx: TrainContext, data: TaskData) -> None:
    """The protocol for one supervised task; every outcome ends up in ``model_runs``."""
    opts = ctx.options
    counts = task_counts(data)
    minimums = TaskProvenance(
        label_definition=data.label_definition,
        min_rows=MIN_ROWS,
        min_positives=MIN_POSITIVES,
        n_positives=counts.positives,
    )
    if counts.below_floor:
        # Too little labelled data to evaluate anything: withheld.
        ctx.say(f"{data.task}: unavailable — {counts.below_floor}")
        reason = counts.below_floor
        ctx.record(_row(data, minimums, status="unavailable", reason=reason, n_train=counts.rows))
        return
    verdict = audit_label(data.x, data.y, data.names, kind=data.kind, seed=opts.seed)
    nested = [c.name for c in pool_for(data, opts) if c.nested]
    provenance = replace(
        minimums,
        cutoff=data.cutoff,
        train_cutoff=data.train_cutoff,
        horizon_days=data.horizon_days,
        split_method=split_words(data, opts, nested),
        leakage_verdict=verdict.verdict,
        leakage_score=verdict.score,
    )
    if not verdict.passed:
        ctx.say(f"{data.task}: refused — {verdict.reason}")
        ctx.record(_row(data, provenance, status="refused", reason=verdict.reason))
        return
    # Integer group codes: the same splits whether groups are customer ids or row hashes,
    # so the folds never depend on how an id is spelt.
    data.groups = np.unique(data.groups.astype(str), return_inverse=True)[1].astype(np.int64)
    folds = None if data.split == "time" else split_rows(data, opts)
    sides = training_sides(data, folds, opts)
    results = [evaluate_candidate(ctx, data, c, sides, folds) for c in pool_for(data, opts)]
    baselines = baseline_metrics(data, sides)
    best = select(results, data.kind)
    ctx.say(f"{data.task}: selected {best.candidate.name}")
    _publish(ctx, data, folds, results, best, baselines, provenance)


def _row(data: TaskData, provenance: TaskProvenance, **values: Any) -> RunRecord:
    return RunRecord(data.task, data.entity, data.kind, **{**provenance.__dict__, **values})


def training_sides(data: TaskData, folds: list[Fold] | None, opts: TrainOptions) -> list[TrainSide]:
    """Each training side with its evaluation rows (a holdout's test rows capped, seeded)."""
    if folds is None:
        assert data.x_test is not None and data.y_test is not None
        return [TrainSide(data.x, data.y, data.groups, data.x_test, data.y_test)]
    return [
        TrainSide(data.x[t], data.y[t], data.groups[t], data.x[e], data.y[e])
        for t, e in eval_rows(folds, data.split, opts)
    ]


def eval_rows(folds: list[Fold], split: str, opts: TrainOptions) -> list[Fold]:
    """The folds with a holdout's test side capped at ``max_test_rows`` (seeded sample)."""
    out = []
    for train_idx, test_idx in folds:
        rows = test_idx
        if split == "holdout" and test_idx.size > opts.max_test_rows:
            rng = np.random.default_rng(opts.seed)
            rows = np.sort(rng.choice(test_idx, opts.max_test_rows, replace=False))
        out.append((train_idx, rows))
    return out


def evaluate_candidate(
    ctx: TrainContext,
    data: TaskData,
    candidate: Candidate,
    sides: list[TrainSide],
    folds: list[Fold] | None,
) -> CandidateResult:
    """Fit ``candidate`` on every training side; pool its predictions into the figures."""
    opts = ctx.options
    t0 = time.perf_counter()
    ctx.say(f"{data.task}: {candidate.name}")
    preds: list[FloatArray] = []
    thresholds: list[float] = []
    fold_scores: list[dict[str, float | None]] = []
    chosen: list[dict[str, Any]] = []
    rows_fitted = 0
    fitted: FittedModel | None = None
    for i, side in enumerate(sides):
        fitted = fit_candidate(
            candidate,
            side.x,
            side.y,
            side.groups,
            seed=opts.seed,
            nonnegative=data.nonnegative,
            crossfit_max_rows=opts.crossfit_row_limit(),
        )
        rows_fitted = max(rows_fitted, fitted.rows_fitted)
        p = fitted.predict(side.x_eval)
        preds.append(p)
        if candidate.nested:
            chosen.append({"outer_fold": i, "params": fitted.params, "trials": fitted.trials})
        if data.kind == "classification":
            thresholds.append(float(fitted.threshold or 0.5))
            m = classification_metrics(side.y_eval, p, fitted.threshold or 0.5)
            fold_scores.append({k: m[k] for k in FOLD_KEYS})
        else:
            fold_scores.append({"mae": regression_metrics(side.y_eval, p)["mae"]})
    assert fitted is not None
    truth = [side.y_eval for side in sides]
    if data.kind == "classification":
        metrics = pooled_classification(truth, preds, thresholds)
    else:
        metrics = dict(regression_metrics(np.concatenate(truth), np.concatenate(preds)))
    metrics["folds"] = fold_scores
    if folds is not None and len(fold_scores) > 1 and data.kind == "classification":
        metrics.update(fold_means(fold_scores))
    metrics["rows_fitted"] = rows_fitted
    metrics["fit_seconds"] = time.perf_counter() - t0
    last = sides[-1]
    return CandidateResult(candidate, metrics, chosen, fitted, (last.x_eval, last.y_eval))


def pooled_classification(
    truth: list[FloatArray], preds: list[FloatArray], thresholds: list[float]
) -> dict[str, Any]:
    """Pooled out-of-fold predictions, judged at the F1 threshold each fold chose on its own
    training side: the mean of those thresholds stands for the run."""
    y_all = np.concatenate(truth)
    metrics = classification_metrics(y_all, np.concatenate(preds), float(np.mean(thresholds)))
    hits = np.concatenate([p >= t for p, t in zip(preds, thresholds, strict=True)])
    metrics.update(confusion_counts(y_all, hits))
    return metrics


def fold_means(fold_scores: list[dict[str, float | None]]) -> dict[str, float | None]:
    """The mean over the outer folds, next to the pooled figures: the usual cross-validated
    estimate, and the one published results quote."""
    out: dict[str, float | None] = {}
    for key in FOLD_KEYS:
        values = [float(v) for f in fold_scores if (v := f.get(key)) is not None]
        out[f"{key}_fold_mean"] = float(np.mean(values)) if values else None
    return out


def baseline_metrics(data: TaskData, sides: list[TrainSide]) -> dict[str, dict[str, Any]]:
    """The naive rules' figures on the same evaluation rows as the candidates."""
    y_all = np.concatenate([side.y_eval for side in sides])
    out: dict[str, dict[str, Any]] = {}
    for name, rule in data.baselines.items():
        predicted = np.concatenate([rule(s.x, s.y, s.x_eval) for s in sides])
        if data.kind == "regression":
            out[name] = dict(regression_metrics(y_all, predicted))
        else:
            # A ranking rule, not a probability: only its ranking metrics mean something.
            ranked = classification_metrics(y_all, to_unit(predicted), 0.5)
            out[name] = {
                k: ranked[k] for k in ("roc_auc", "pr_auc", "lift_at_10", "prevalence", "n")
            }
    return out


def to_unit(score: FloatArray) -> FloatArray:
    """Rescale a ranking score into [0, 1] (rank-preserving), for the ranking metrics."""
    low, high = float(np.min(score)), float(np.max(score))
    if high <= low:
        return np.full(score.size, 0.5)
    out: FloatArray = (score - low) / (high - low)
    return out


def select(results: list[CandidateResult], kind: str) -> CandidateResult:
    """Highest PR-AUC (classes) or lowest MAE (amounts).

    A nested candidate chose its setting inside each training fold; picking the best of the
    fixed candidates by their outer figures would be one more choice made with sight of the
    test folds, so where a nested candidate runs, it is the selected model.
    """

    def score(r: CandidateResult) -> float:
        if kind == "classification":
            return -1.0 if r.metrics["pr_auc"] is None else float(r.metrics["pr_auc"])
        return -float(r.metrics["mae"])

    nested = [r for r in results if r.candidate.nested]
    return max(nested or results, key=score)


def _publish(
    ctx: TrainContext,
    data: TaskData,
    folds: list[Fold] | None,
    results: list[CandidateResult],
    best: CandidateResult,
    baselines: dict[str, dict[str, Any]],
    provenance: TaskProvenance,
) -> None:
    """Fit the model that scores, save its artifacts, record every run of the task."""
    opts = ctx.options
    data_hash = art.training_hash(data.x, data.y, data.names)
    final, final_rows = final_model(data, folds, best, opts)
    explain_rows = final_rows[
        subsample(data.y[final_rows], 300_000, opts.seed, stratify=data.kind == "classification")
    ]
    explainer = fit_explainer(
        data.kind,
        data.x[explain_rows],
        data.y[explain_rows],
        opts.seed,
        tweedie=data.nonnegative,
    )
    version = f"{data.task}.{best.candidate.name}.{data_hash[:10]}"
    importance = _importance(data, results, best, opts)
    save_task_artifacts(
        ctx, data, final, explainer, version, data_hash, best.metrics, provenance, final_rows
    )
    extra = baseline_columns(baselines, data.kind)
    for result in results:
        run = candidate_run(data, result, best, final, version, data_hash, provenance)
        shown = json.dumps(importance.get(result.candidate.name))
        ctx.record(replace(run, feature_importance=shown, **extra))
    for name, bm in baselines.items():
        ctx.record(baseline_run(data, name, bm, provenance))


def final_model(
    data: TaskData, folds: list[Fold] | None, best: CandidateResult, opts: TrainOptions
) -> tuple[FittedModel, npt.NDArray[np.int64]]:
    """The model that scores, and the rows it was fitted on.

    For a time split or a holdout it is the evaluated model itself; after cross-validation,
    the selected candidate refitted on every row.
    """
    if folds is None or data.split == "holdout":
        rows = np.arange(data.y.size) if folds is None else folds[0][0]
        return best.last_fit, rows
    final = fit_candidate(
        best.candidate, data.x, data.y, data.groups, seed=opts.seed, nonnegative=data.nonnegative
    )
    return final, np.arange(data.y.size)


def _importance(
    data: TaskData, results: list[CandidateResult], best: CandidateResult, opts: TrainOptions
) -> dict[str, Any]:
    """Permutation importance on held-out rows, for the selected model and XGBoost."""
    out: dict[str, Any] = {}
    for result in results:
        if result.candidate.name not in {best.candidate.name, "xgboost"}:
            continue
        xs, ys = result.last_eval
        out[result.candidate.name] = permutation_importance(
            result.last_fit.predict, xs, ys, data.names, kind=data.kind, seed=opts.seed
        )
    return out


def baseline_columns(baselines: dict[str, dict[str, Any]], kind: str) -> dict[str, Any]:
    """The naive baselines' figures, repeated on every candidate's row for comparison."""
    extra: dict[str, Any] = {}
    for name, bm in baselines.items():
        if kind == "regression":
            extra[f"baseline_mae_{name.removeprefix('naive_')}"] = bm["mae"]
            extra[f"baseline_r2_{name.removeprefix('naive_')}"] = bm["r2"]
        else:
            extra["baseline_roc_auc"] = bm["roc_auc"]
            extra["baseline_pr_auc"] = bm["pr_auc"]
    return extra
