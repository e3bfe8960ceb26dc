"""Fitting one candidate inside a training set: subsample, fit, calibrate, pick a threshold.

Calibration and the decision threshold are learned inside the *training* data, never on
evaluation data. Up to :data:`CROSSFIT_MAX_ROWS` training rows, the candidate's raw scores
are cross-fitted (3 folds by group) and a Platt map (a logistic curve on the raw score's
log-odds) is fitted to those out-of-fold scores; the model that predicts is then fitted on
all training rows. Larger training sets hold back 20 % of their groups instead. A Platt map
is strictly increasing, so it changes probabilities, never the ranking: ROC-AUC and PR-AUC
are the candidate's own. The F1-maximising threshold is chosen on the same out-of-fold
scores. No resampling or class weights are used: every model sees the natural prevalence.

A *nested* candidate (:attr:`Candidate.nested`) carries a search space instead of fixed
parameters: :func:`nested_search` chooses its setting by an inner cross-validation on the
training set it is given, and nothing else. Inside an outer cross-validation that makes the
outer folds' figures honest estimates of the whole procedure, the choosing included.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb
from joblib import Parallel, delayed
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupShuffleSplit

from models.candidates import (
    Candidate,
    ShoppersEncoding,
    fit_estimator,
    logit,
    raw_scores,
    sigmoid,
    vote_in_order,
)
from models.evaluate import choose_threshold
from models.group_folds import Fold as Split
from models.group_folds import stratified_group_folds

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
    #: Nested candidates: every setting the inner search tried, with its inner score.
    trials: list[dict[str, Any]] | None = None

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


@dataclass(frozen=True)
class SearchResult:
    """What :func:`nested_search` chose on one training set.

    ``params`` is the resolved setting (what ``Candidate.make`` builds); ``oof`` the chosen
    setting's inner out-of-fold log-odds of the rows in ``held_out`` (every row an inner
    fold validated), which calibrate the final model and place its threshold without
    another round of fits.
    """

    params: dict[str, Any]
    oof: FloatArray
    held_out: npt.NDArray[np.bool_]
    trials: list[dict[str, Any]]


#: Inner fits run on this many threads, each XGBoost fit on one: two single-threaded fits
#: side by side use both cores without OpenMP's spinning barriers, which on a shared 2-core
#: machine turned one 2-thread fit of a few thousand rows from 0.3 s into 5 s.
SEARCH_THREADS = 2


def _inner_pr_auc(y: npt.NDArray[np.int64], oof: FloatArray, splits: list[Any]) -> float:
    return float(np.mean([average_precision_score(y[v], oof[v]) for _, v in splits]))


def _inner_splits(
    space: dict[str, Any], x: FloatArray, y: npt.NDArray[np.int64], groups: Any, seed: int
) -> list[Split]:
    """Inner folds stratified by the label and grouped like the outer ones; a fold without
    both classes on each side is dropped."""
    splits = [
        (a, v)
        for a, v in stratified_group_folds(y, np.asarray(groups), space["inner_folds"], seed)
        if np.unique(y[a]).size == 2 and np.unique(y[v]).size == 2
    ]
    if len(splits) < 2:
        raise ValueError("too few rows of each class for an inner cross-validation")
    return splits


def _grid(space: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(space["xgboost_grid"])
    values = itertools.product(*(space["xgboost_grid"][n] for n in names))
    return [dict(zip(names, v, strict=True)) for v in values]


@dataclass(frozen=True)
class _BoostSearch:
    """The best XGBoost setting of the grid, its inner out-of-fold log-odds, and every
    setting's inner score."""

    score: float
    setting: dict[str, Any]
    oof: FloatArray
    trials: list[dict[str, Any]]


def _search_boost(
    space: dict[str, Any],
    encoded: FloatArray,
    y: npt.NDArray[np.int64],
    splits: list[Split],
    seed: int,
) -> _BoostSearch:
    """Each setting fitted on each inner training part, stopping early on its validation
    part; scored by the mean inner PR-AUC; its trees the mean early-stopping round."""
    boost = dict(space["xgboost"])
    rounds, stop, metric = (
        boost.pop("max_rounds"),
        boost.pop("early_stopping_rounds"),
        boost.pop("eval_metric"),
    )

    def inner_fit(setting: dict[str, Any], fit_rows: Any, val_rows: Any) -> tuple[Any, int]:
        model = xgb.XGBClassifier(
            **boost,
            **setting,
            n_estimators=rounds,
            early_stopping_rounds=stop,
            eval_metric=metric,
            tree_method="hist",
            n_jobs=1,
            random_state=seed,
        )
        eval_set = [(encoded[val_rows], y[val_rows])]
        model.fit(encoded[fit_rows], y[fit_rows], eval_set=eval_set, verbose=False)
        # Predictions stop at the best round the validation part chose.
        margin = np.asarray(model.predict(encoded[val_rows], output_margin=True), np.float64)
        return margin, int(model.best_iteration) + 1

    grid = _grid(space)
    done = Parallel(n_jobs=SEARCH_THREADS, prefer="threads")(
        delayed(inner_fit)(s, a, v) for s in grid for a, v in splits
    )
    trials: list[dict[str, Any]] = []
    best: _BoostSearch | None = None
    for i, setting in enumerate(grid):
        oof = np.zeros(y.size)
        trees = []
        for j, (_, v) in enumerate(splits):
            margin, best_round = done[i * len(splits) + j]
            oof[v] = margin
            trees.append(best_round)
        score = _inner_pr_auc(y, oof, splits)
        resolved = {**boost, **setting, "n_estimators": int(round(float(np.mean(trees))))}
        trials.append({"xgboost": resolved, "inner_pr_auc": round(score, 5)})
        if best is None or score > best.score:
            best = _BoostSearch(score, resolved, oof, trials)
    assert best is not None
    return best


def _forest_vote(
    space: dict[str, Any],
    encoded: FloatArray,
    y: npt.NDArray[np.int64],
    splits: list[Split],
    boost_oof: FloatArray,
    seen: npt.NDArray[np.bool_],
    seed: int,
) -> tuple[FloatArray, list[list[float]]]:
    """The calibrated soft vote of the chosen XGBoost and a random forest, out of fold, and
    the members' Platt maps (fitted on the inner out-of-fold scores)."""
    forest_oof = np.zeros(y.size)
    for a, v in splits:
        forest = RandomForestClassifier(**space["forest"], n_jobs=2, random_state=seed)
        vote_in_order(forest.fit(encoded[a], y[a]))
        forest_oof[v] = logit(np.asarray(forest.predict_proba(encoded[v])[:, 1], np.float64))
    maps = [platt(boost_oof[seen], y[seen]), platt(forest_oof[seen], y[seen])]
    shares = sigmoid(maps[0][0] * boost_oof + maps[0][1]) + sigmoid(
        maps[1][0] * forest_oof + maps[1][1]
    )
    return logit(shares / 2), maps


def nested_search(
    candidate: Candidate,
    x: FloatArray,
    y: npt.NDArray[np.int64],
    groups: npt.ArrayLike,
    seed: int,
) -> SearchResult:
    """Choose a nested candidate's setting by inner cross-validation on ``(x, y)`` only.

    Inner folds are stratified by the label and grouped like the outer ones (identical rows
    stay together). Each XGBoost setting of the grid is fitted on each inner training part
    with early stopping on that fold's validation part; its score is the mean inner PR-AUC
    (the selection metric of every task) and its number of trees the mean early-stopping
    round. The best setting is then soft-voted with a random forest, both calibrated by
    Platt maps fitted to their inner out-of-fold scores; the vote is kept only if its inner
    PR-AUC is higher. Ties keep the earlier setting of the grid, and XGBoost alone.
    """
    space = candidate.params
    splits = _inner_splits(space, x, y, groups, seed)
    encoded = ShoppersEncoding().fit(x).transform(x)
    boost = _search_boost(space, encoded, y, splits, seed)
    trials = boost.trials
    params: dict[str, Any] = {
        "resolved": True,
        "encoding": space["encoding"],
        "xgboost": boost.setting,
        "forest": None,
        "member_calibration": None,
        "inner_pr_auc": round(boost.score, 5),
    }
    seen = np.zeros(y.size, dtype=bool)
    for _, v in splits:
        seen[v] = True
    vote, maps = _forest_vote(space, encoded, y, splits, boost.oof, seen, seed)
    vote_score = _inner_pr_auc(y, vote, splits)
    trials.append({"vote_with_forest": space["forest"], "inner_pr_auc": round(vote_score, 5)})
    oof = boost.oof
    if vote_score > boost.score:
        params.update(
            forest=space["forest"], member_calibration=maps, inner_pr_auc=round(vote_score, 5)
        )
        oof = vote
    return SearchResult(params, oof, seen, trials)


def _fit_nested(
    candidate: Candidate,
    x: FloatArray,
    labels: npt.NDArray[np.int64],
    groups: npt.NDArray[Any],
    seed: int,
) -> FittedModel:
    """Search inside ``(x, labels)``, fit the chosen setting on all of it, calibrate it on
    the search's inner out-of-fold scores and place the F1 threshold on them."""
    rows = subsample(labels, candidate.max_rows, seed, stratify=True)
    result = nested_search(candidate, x[rows], labels[rows], groups[rows], seed)
    model = fit_estimator(candidate, result.params, x[rows], labels[rows], seed)
    fitted = FittedModel(
        candidate, result.params, model, rows_fitted=rows.size, trials=result.trials
    )
    oof, truth = result.oof[result.held_out], labels[rows][result.held_out]
    fitted.calibration = platt(oof, truth)
    a, b = fitted.calibration
    fitted.threshold = choose_threshold(truth, sigmoid(a * oof + b))
    return fitted


def fit_candidate(
    candidate: Candidate,
    x: FloatArray,
    y: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    seed: int,
    params: dict[str, Any] | None = None,
    nonnegative: bool = False,
    crossfit_max_rows: int = CROSSFIT_MAX_ROWS,
) -> FittedModel:
    """Fit ``candidate`` on a training set; calibrate it on held-out training groups.

    Classifiers of up to ``crossfit_max_rows`` training rows are calibrated on cross-fitted
    scores (four fits), larger ones on 20 % of their groups held back (one fit).
    Deterministic for a given (candidate, params, seed, rows) (a contract test checks every
    candidate), so a run can be reproduced from its recorded settings.
    """
    if candidate.nested:
        if params is not None:
            raise ValueError(
                f"{candidate.name} chooses its own setting; a recorded one is loaded from "
                "its model file"
            )
        labels_nested = np.asarray(y, dtype=np.float64).astype(np.int64)
        return _fit_nested(candidate, x, labels_nested, np.asarray(groups), seed)
    params = dict(candidate.params if params is None else params)
    target = np.asarray(y, dtype=np.float64)
    if candidate.kind == "regression":
        rows = subsample(target, candidate.max_rows, seed, stratify=False)
        model = fit_estimator(candidate, params, x[rows], target[rows], seed)
        return FittedModel(candidate, params, model, rows_fitted=rows.size, nonnegative=nonnegative)
    labels = target.astype(np.int64)
    if labels.size <= crossfit_max_rows:
        return _fit_crossfitted(candidate, params, x, labels, np.asarray(groups), seed)
    return _fit_holdout_calibrated(candidate, params, x, labels, np.asarray(groups), seed)


def _fit_crossfitted(
    candidate: Candidate,
    params: dict[str, Any],
    x: FloatArray,
    labels: npt.NDArray[np.int64],
    groups: npt.NDArray[Any],
    seed: int,
) -> FittedModel:
    """Out-of-fold raw scores of the training rows calibrate the final fit on all of them."""
    held_out = np.zeros(labels.size)
    done = np.zeros(labels.size, dtype=bool)
    probe: FittedModel | None = None
    for inner_fit, inner_cal in stratified_group_folds(labels, groups, CROSSFIT_FOLDS, seed):
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


def _fit_holdout_calibrated(
    candidate: Candidate,
    params: dict[str, Any],
    x: FloatArray,
    labels: npt.NDArray[np.int64],
    groups: npt.NDArray[Any],
    seed: int,
) -> FittedModel:
    """Large training sets: 20 % of the groups held back to calibrate and place the threshold."""
    splitter = GroupShuffleSplit(n_splits=1, test_size=CALIBRATION_SHARE, random_state=seed)
    fit_idx, cal_idx = next(splitter.split(x, labels, groups))
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
