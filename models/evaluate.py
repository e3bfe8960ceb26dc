"""Metrics of the modelling protocol (docs/models.md), computed alike for every task and model.

Classification is judged on probabilities at the data's natural prevalence: ROC-AUC, PR-AUC
(average precision), Brier score, a reliability curve, lift in the top 10 %, and F1 at a
threshold chosen on training data (never on the data it is reported on). Regression is MAE,
RMSE and R² next to naive baselines. Clustering is silhouette plus bootstrap stability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    adjusted_rand_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    mean_absolute_error,
    precision_recall_curve,
    r2_score,
    roc_auc_score,
    roc_curve,
    root_mean_squared_error,
    silhouette_score,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Points kept per stored curve: enough to draw it, small enough for a table cell.
CURVE_POINTS = 101


def choose_threshold(y_true: npt.ArrayLike, prob: npt.ArrayLike) -> float:
    """The probability threshold that maximises F1 on (training-side) predictions.

    Parameters
    ----------
    y_true, prob
        Labels and calibrated probabilities of data the model was *not* evaluated on (the
        calibration split inside training), so the F1 reported later is not tuned on the
        test data.
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(prob, dtype=np.float64)
    if y.sum() == 0 or y.sum() == y.size:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if thresholds.size else 0
    return float(thresholds[best]) if thresholds.size else 0.5


def lift_at(y_true: npt.ArrayLike, prob: npt.ArrayLike, share: float = 0.10) -> float:
    """Positive rate among the top ``share`` of scores divided by the overall positive rate."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    if y.size == 0 or y.mean() == 0:
        return float("nan")
    top = max(1, int(round(share * y.size)))
    # A stable sort on -p keeps ties in input order, so the figure is reproducible.
    order = np.argsort(-p, kind="stable")[:top]
    return float(y[order].mean() / y.mean())


def _thin(x: FloatArray, y: FloatArray) -> list[list[float]]:
    if x.size <= CURVE_POINTS:
        idx = np.arange(x.size)
    else:
        idx = np.unique(np.linspace(0, x.size - 1, CURVE_POINTS).round().astype(np.int64))
    return [[round(float(x[i]), 5), round(float(y[i]), 5)] for i in idx]


def reliability_curve(
    y_true: npt.ArrayLike, prob: npt.ArrayLike, bins: int = 10
) -> list[dict[str, float]]:
    """Mean predicted probability against observed rate in equal-width probability bins."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    curve = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            curve.append(
                {
                    "bin": b,
                    "predicted": round(float(p[mask].mean()), 5),
                    "observed": round(float(y[mask].mean()), 5),
                    "count": int(mask.sum()),
                }
            )
    return curve


def classification_metrics(
    y_true: npt.ArrayLike, prob: npt.ArrayLike, threshold: float
) -> dict[str, Any]:
    """Every classification figure of the protocol, plus curve points and the confusion matrix.

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``brier``, ``lift_at_10``, ``f1``, ``precision``, ``recall``,
        ``accuracy``, ``threshold``, ``prevalence``, ``n``, ``confusion`` (tp, fp, fn, tn) and
        ``curves`` (roc, pr, calibration).
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    both = 0 < y.sum() < y.size
    counts = confusion_counts(y, p >= threshold)
    curves: dict[str, Any] = {"calibration": reliability_curve(y, p)}
    if both:
        fpr, tpr, _ = roc_curve(y, p)
        prec, rec, _ = precision_recall_curve(y, p)
        curves["roc"] = _thin(fpr, tpr)
        curves["pr"] = _thin(rec[::-1], prec[::-1])
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)),
        "lift_at_10": lift_at(y, p, 0.10),
        "f1": counts["f1"],
        "precision": counts["precision"],
        "recall": counts["recall"],
        "accuracy": counts["accuracy"],
        "threshold": float(threshold),
        "prevalence": float(y.mean()) if y.size else None,
        "n": int(y.size),
        "confusion": counts["confusion"],
        "curves": curves,
    }


def confusion_counts(y_true: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, Any]:
    """The confusion matrix of 0/1 decisions, and F1, precision, recall and accuracy from it.

    Precision, recall and F1 are 0 where undefined (nothing predicted, or no positives), and
    accuracy is None for no rows: a figure that is not one is not shown as a score.
    """
    y = np.asarray(y_true, dtype=np.int64)
    hits = np.asarray(predicted, dtype=bool).astype(np.int64)
    tn, fp, fn, tp = (int(c) for c in confusion_matrix(y, hits, labels=[0, 1]).ravel())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        # The harmonic mean of the two figures above (not 2tp / (2tp + fp + fn), which
        # differs in the last bit): the value model_runs has always stored.
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "precision": precision,
        "recall": recall,
        "accuracy": (tp + tn) / y.size if y.size else None,
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def regression_metrics(y_true: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, float]:
    """MAE, RMSE and R² (scikit-learn's); R² is NaN, not a made-up 0 or 1, for a constant
    target."""
    y = np.asarray(y_true, dtype=np.float64)
    f = np.asarray(predicted, dtype=np.float64)
    constant = y.size < 2 or float(np.sum((y - y.mean()) ** 2)) == 0.0
    return {
        "mae": float(mean_absolute_error(y, f)),
        "rmse": float(root_mean_squared_error(y, f)),
        "r2": float("nan") if constant else float(r2_score(y, f)),
        "n": float(y.size),
    }


def silhouette(features: FloatArray, labels: IntArray, *, seed: int, sample: int = 10_000) -> float:
    """Silhouette on a sample (the full matrix is quadratic); noise (-1) is left out."""
    keep = labels >= 0
    x, lab = features[keep], labels[keep]
    if np.unique(lab).size < 2 or lab.size < 3:
        return float("nan")
    size = min(sample, lab.size)
    return float(silhouette_score(x, lab, sample_size=size, random_state=seed))


def bootstrap_stability(reference: IntArray, refits: list[tuple[IntArray, IntArray]]) -> float:
    """Mean adjusted Rand index between a reference clustering and bootstrap refits.

    Parameters
    ----------
    reference
        Labels of the reference fit for every point of the evaluation set.
    refits
        ``(indices, labels)`` pairs: a refit's labels for the given evaluation-set points.
    """
    scores = [adjusted_rand_score(reference[idx], lab) for idx, lab in refits]
    return float(np.mean(scores)) if scores else float("nan")


def permutation_importance(
    predict: Any,
    x: FloatArray,
    y: npt.ArrayLike,
    names: list[str],
    *,
    kind: str,
    seed: int,
    repeats: int = 2,
    max_rows: int = 3_000,
) -> list[dict[str, float | str]]:
    """Drop in PR-AUC (classification) or rise in MAE (regression) when one feature is shuffled.

    Computed on held-out rows only, so it says what the model relies on for data it has not
    seen, not what it memorised.
    """
    rng = np.random.default_rng(seed)
    target = np.asarray(y, dtype=np.float64)
    if target.size > max_rows:
        rows = rng.choice(target.size, max_rows, replace=False)
        x, target = x[rows], target[rows]

    def score(matrix: FloatArray) -> float:
        out = np.asarray(predict(matrix), dtype=np.float64)
        if kind == "classification":
            if target.sum() == 0 or target.sum() == target.size:
                return 0.0
            return float(average_precision_score(target, out))
        return -float(np.mean(np.abs(target - out)))

    base = score(x)
    result: list[dict[str, float | str]] = []
    for j, name in enumerate(names):
        drops = []
        for _ in range(repeats):
            shuffled = x.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            drops.append(base - score(shuffled))
        result.append({"feature": name, "importance": round(float(np.mean(drops)), 6)})
    result.sort(key=lambda item: -float(item["importance"]))
    return result
