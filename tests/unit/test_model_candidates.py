"""Contract tests over the model candidates (an extension point: a new candidate is added to
``models.candidates`` and must keep these promises).

Every candidate refits deterministically: fitted twice on the same rows with the same seed
it predicts the same (so a run can be reproduced from its recorded settings), and the
scoring path (``models.score.load_model``: XGBoost from its JSON, any other candidate from
its skops file, whose every type must be on the trusted list) reproduces the trained
model's predictions without a pickle (ADR 0005).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from models import artifacts as art
from models.candidates import CLASSIFIERS, NESTED_CLASSIFIERS, REGRESSORS, Candidate, fit_estimator
from models.features import AGGREGATE_SESSION_FEATURES
from models.fitting import FittedModel, fit_candidate
from models.group_folds import stratified_group_folds
from models.score import load_model

ALL = (*CLASSIFIERS, *REGRESSORS, *NESTED_CLASSIFIERS)
#: Candidates whose two fits take seconds (the nested ensemble alone 10-18 s): `run.sh test`
#: runs them, `run.sh test-fast` leaves them out.
SLOW_TO_FIT = {"nested_ensemble", "random_forest", "xgboost", "mlp"}
CASES = [pytest.param(c, marks=pytest.mark.slow) if c.name in SLOW_TO_FIT else c for c in ALL]


def _rows(candidate: Candidate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded rows with a learnable signal and some missing values (marts hold NULLs)."""
    rng = np.random.default_rng(5)
    n = 500
    width = len(AGGREGATE_SESSION_FEATURES) if candidate.nested else 4
    x = np.abs(rng.normal(size=(n, width))) * 10
    if candidate.nested:
        # The nested candidate's encoding reads Online Shoppers' columns (a month 1–12).
        month = AGGREGATE_SESSION_FEATURES.index("month_number")
        x[:, month] = rng.integers(1, 13, size=n)
    else:
        x[rng.random((n, width)) < 0.05] = np.nan
    signal = np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1]) + rng.normal(scale=5, size=n)
    if candidate.kind == "classification":
        y = (signal > np.median(signal)).astype(float)
    else:
        y = np.maximum(signal, 0.0) * (rng.random(n) < 0.6)  # zero-heavy, like revenue
    return x, y, rng.integers(0, 200, size=n)


@pytest.mark.parametrize("candidate", CASES, ids=lambda c: f"{c.kind}-{c.name}")
def test_every_candidate_refits_deterministically(candidate, tmp_path):
    x, y, groups = _rows(candidate)
    train, held_out = np.arange(y.size) < 400, np.arange(y.size) >= 400
    first = fit_candidate(candidate, x[train], y[train], groups[train], seed=7, nonnegative=True)
    second = fit_candidate(candidate, x[train], y[train], groups[train], seed=7, nonnegative=True)
    expected = first.predict(x[held_out])
    assert expected.shape == (100,) and np.all(np.isfinite(expected))
    assert np.unique(expected).size > 1, "a constant prediction proves nothing"
    np.testing.assert_array_equal(second.predict(x[held_out]), expected)
    assert second.params == first.params
    assert (second.calibration, second.threshold) == (first.calibration, first.threshold)
    meta = _sidecar(tmp_path, first, x[train])
    scored = load_model(tmp_path, meta).predict(x[held_out])
    if meta["format"] == "xgboost-json":
        # The loaded booster calibrates its float32 margin directly; the trained wrapper went
        # through its float32 probability and back to log-odds: the same model, within
        # float32 rounding.
        np.testing.assert_allclose(scored, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(scored, expected)


def _sidecar(directory, fitted: FittedModel, x: np.ndarray) -> dict:
    """What ``models.task_artifacts`` writes for a selected model, for this fit."""
    names = [f"f{j}" for j in range(x.shape[1])]
    meta = {
        "kind": fitted.candidate.kind,
        "candidate": fitted.candidate.name,
        "params": fitted.params,
        "seed": 7,
        "nonnegative": True,
        "feature_names": names,
        "calibration": fitted.calibration,
        "threshold": fitted.threshold,
        "model_version": f"t.{fitted.candidate.name}.x",
    }
    if fitted.candidate.name == "xgboost":
        booster = fitted.booster()
        assert booster is not None
        meta.update(
            format="xgboost-json", model_file=art.save_booster(directory, "m.json", booster)
        )
    else:
        meta.update(format="skops", model_file=art.save_model(directory, "m.skops", fitted.model))
    return meta


def test_the_calibrated_vote_loads_from_its_trusted_types(tmp_path):
    # The nested candidate's other shape (XGBoost soft-voted with a forest), which the small
    # rows above may not choose: its file holds our vote and the forest's trees.
    candidate = next(c for c in NESTED_CLASSIFIERS if c.name == "nested_ensemble")
    x, y, _ = _rows(candidate)
    params = {
        "resolved": True,
        "xgboost": {"n_estimators": 20, "max_depth": 3, "learning_rate": 0.1},
        "forest": {"n_estimators": 20, "min_samples_leaf": 5, "max_features": "sqrt"},
        "member_calibration": [[1.0, 0.0], [0.8, 0.1]],
    }
    model = fit_estimator(candidate, params, x, y.astype(np.int64), 7)
    assert type(model.steps[-1][1]).__name__ == "CalibratedVote"
    loaded = art.load_model_file(tmp_path, art.save_model(tmp_path, "v.skops", model))
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize("case", range(40))
def test_stratified_group_folds_are_scikit_learns_exactly(case):
    # Random shapes: 2, 3 or 5 folds; binary (rare or common positives) or three classes;
    # from nearly one row per group to many rows per group; many seeds.
    rng = np.random.default_rng(case)
    n = int(rng.integers(40, 600))
    n_splits = int(rng.choice([2, 3, 5]))
    if case % 5 == 0:
        y = rng.integers(0, 3, n)
    else:
        y = (rng.random(n) < rng.uniform(0.08, 0.6)).astype(np.int64)
    groups = rng.integers(0, int(rng.integers(n // 8 + n_splits, n + 1)), n)
    seed = int(rng.integers(0, 1000))
    reference = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    expected = list(reference.split(np.zeros(n), y, groups))
    got = stratified_group_folds(y, groups, n_splits, seed)
    assert len(got) == len(expected) == n_splits
    for (train, test), (want_train, want_test) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(test, want_test)
        np.testing.assert_array_equal(train, want_train)
