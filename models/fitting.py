"""Fitting one candidate inside a training set: subsample, fit, calibrate, pick a threshold.

Calibration and the decision threshold are learned inside the *training* data, never on
evaluation data. Up to :data:`CROSSFIT_MAX_ROWS` training rows, the candidate's raw scores
are cross-fitted (3 folds by group) and a Platt map (a logistic curve on the raw score's
log-odds) is fitted to those out-of-fold scores; the model that predicts is then fitted on
all training rows. Larger training sets hold back 20 % of their groups instead. A Platt map
is strictly increasing, so it changes probabilities, never the ranking: ROC-AUC and PR-AUC
are the candidate's own. The F1-maximising threshold is chosen on the same out-of-fold
scores. No resampling or class weights are used: every model sees the natural prevalence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

from models.candidates import Candidate, fit_estimator, raw_scores
from models.evaluate import choose_threshold

FloatArray = npt.NDArray[np.float64]

#: Share of training groups held back to calibrate probabilities on large training sets.
CALIBRATION_SHARE = 0.2
#: Training sets up to this size are cross-fitted for calibration (3 extra fits).
CROSSFIT_MAX_ROWS = 60_000
CROSSFIT_FOLDS = 3


@dataclass
class FittedModel:
    """A fitted candidate with its calibration map and decision threshold.

    ``model`` is a scikit-learn estimator or XGBoost's scikit-learn wrapper while training,
    or a bare ``xgboost.Booster`` when loaded from its JSON artifact.
    """

    candidate: Candidate
    params: dict[str, Any]
    model: Any
    #: Platt map ``sigmoid(a · s + b)`` of the raw score's log-odds ``s`` (``[a, b]``).
    calibration: list[float] | None = None
    threshold: float | None = None
    rows_fitted: int = 0
    nonnegative: bool = False

    @property
    def kind(self) -> str:
        return self.candidate.kind

    def raw(self, x: FloatArray) -> FloatArray:
        if isinstance(self.model, xgb.Booster):
            out: FloatArray = np.asarray(self.model.inplace_predict(x), dtype=np.float64)
            return out
        if self.kind == "classification":
            return raw_scores(self.model, x)
        return np.asarray(self.model.predict(x), dtype=np.float64)

    def predict(self, x: FloatArray) -> FloatArray:
        """Calibrated probabilities (classification) or amounts (regression)."""
        if self.kind == "classification" and self.calibration:
            a, b = self.calibration
            if isinstance(self.model, xgb.Booster):
                # The margin is the log-odds itself: skip the probability round trip.
                margin = np.asarray(
                    self.model.inplace_predict(x, predict_type="margin"), dtype=np.float64
                )
            else:
                margin = log_odds(self.raw(x), self)
            calibrated: FloatArray = 1.0 / (1.0 + np.exp(-(a * margin + b)))
            return calibrated
        raw = self.raw(x)
        if self.kind == "classification":
            return np.clip(raw, 0.0, 1.0)
        return np.maximum(raw, 0.0) if self.nonnegative else raw

    def booster(self) -> xgb.Booster | None:
        if isinstance(self.model, xgb.Booster):
            return self.model
        if hasattr(self.model, "get_booster"):
            found: xgb.Booster = self.model.get_booster()
            return found
        return None


def outputs_probability(fitted: FittedModel) -> bool:
    """Whether the raw score is a probability (else a margin, e.g. an SVM's)."""
    if isinstance(fitted.model, xgb.Booster):
        return True
    return hasattr(fitted.model, "predict_proba")


def log_odds(raw: FloatArray, fitted: FittedModel) -> FloatArray:
    if not outputs_probability(fitted):
        return raw
    p = np.clip(raw, 1e-6, 1 - 1e-6)
    out: FloatArray = np.log(p / (1 - p))
    return out


def platt(score: FloatArray, y: npt.NDArray[np.int64]) -> list[float]:
    """Fit ``P(y=1) = sigmoid(a·score + b)``; a flat or inverted fit keeps the identity."""
    model = LogisticRegression(C=1e4, max_iter=1000).fit(score.reshape(-1, 1), y)
    a, b = float(model.coef_[0, 0]), float(model.intercept_[0])
    return [a, b] if a > 0 else [1.0, 0.0]


def subsample(y: npt.ArrayLike, limit: int, seed: int, *, stratify: bool) -> npt.NDArray[np.int64]:
    """Row indices: all rows, or ``limit`` of them keeping the class shares (seeded)."""
    target = np.asarray(y)
    n = target.size
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    if not stratify:
        return np.sort(rng.choice(n, limit, replace=False)).astype(np.int64)
    picked = []
    for value in np.unique(target):
        members = np.flatnonzero(target == value)
        take = max(1, int(round(limit * members.size / n)))
        picked.append(rng.choice(members, min(take, members.size), replace=False))
    return np.sort(np.concatenate(picked)).astype(np.int64)


def fit_candidate(
    candidate: Candidate,
    x: FloatArray,
    y: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    seed: int,
    params: dict[str, Any] | None = None,
    nonnegative: bool = False,
) -> FittedModel:
    """Fit ``candidate`` on a training set; calibrate it on held-out training groups.

    Deterministic for a given (candidate, params, seed, rows): this is what lets a selected
    scikit-learn model be refitted at scoring time instead of being pickled.
    """
    params = dict(candidate.params if params is None else params)
    target = np.asarray(y, dtype=np.float64)
    if candidate.kind == "regression":
        rows = subsample(target, candidate.max_rows, seed, stratify=False)
        model = fit_estimator(candidate, params, x[rows], target[rows], seed)
        return FittedModel(candidate, params, model, rows_fitted=rows.size, nonnegative=nonnegative)
    labels = target.astype(np.int64)
    group_values = np.asarray(groups)
    if labels.size <= CROSSFIT_MAX_ROWS:
        # Out-of-fold raw scores of the training rows, then the final fit on all of them.
        folds = StratifiedGroupKFold(n_splits=CROSSFIT_FOLDS, shuffle=True, random_state=seed)
        held_out = np.zeros(labels.size)
        done = np.zeros(labels.size, dtype=bool)
        probe: FittedModel | None = None
        for inner_fit, inner_cal in folds.split(x, labels, group_values):
            if np.unique(labels[inner_fit]).size < 2:
                continue
            rows = inner_fit[subsample(labels[inner_fit], candidate.max_rows, seed, stratify=True)]
            probe = FittedModel(
                candidate, params, fit_estimator(candidate, params, x[rows], labels[rows], seed)
            )
            held_out[inner_cal] = log_odds(probe.raw(x[inner_cal]), probe)
            done[inner_cal] = True
        rows = subsample(labels, candidate.max_rows, seed, stratify=True)
        model = fit_estimator(candidate, params, x[rows], labels[rows], seed)
        fitted = FittedModel(candidate, params, model, rows_fitted=rows.size)
        if probe is not None and np.unique(labels[done]).size == 2:
            fitted.calibration = platt(held_out[done], labels[done])
            a, b = fitted.calibration
            oof = 1.0 / (1.0 + np.exp(-(a * held_out[done] + b)))
            fitted.threshold = choose_threshold(labels[done], oof)
        else:
            fitted.threshold = 0.5
        return fitted
    splitter = GroupShuffleSplit(n_splits=1, test_size=CALIBRATION_SHARE, random_state=seed)
    fit_idx, cal_idx = next(splitter.split(x, labels, group_values))
    if np.unique(labels[cal_idx]).size < 2 or np.unique(labels[fit_idx]).size < 2:
        fit_idx, cal_idx = np.arange(labels.size), np.arange(0)
    rows = fit_idx[subsample(labels[fit_idx], candidate.max_rows, seed, stratify=True)]
    model = fit_estimator(candidate, params, x[rows], labels[rows], seed)
    fitted = FittedModel(candidate, params, model, rows_fitted=rows.size)
    if cal_idx.size:
        fitted.calibration = platt(log_odds(fitted.raw(x[cal_idx]), fitted), labels[cal_idx])
        fitted.threshold = choose_threshold(labels[cal_idx], fitted.predict(x[cal_idx]))
    else:
        fitted.threshold = choose_threshold(labels, fitted.predict(x))
    return fitted
