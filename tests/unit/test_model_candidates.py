"""Contract tests over the model candidates (an extension point: a new candidate is added to
``models.candidates`` and must keep these promises).

Every candidate refits deterministically: fitted twice on the same rows with the same seed
it predicts the same, and the scoring path (``models.score.load_model``: XGBoost from its
JSON, any other candidate refitted from the stored rows) reproduces the trained model's
predictions. That is what lets ADR 0004 store no pickles.
"""

from __future__ import annotations

import numpy as np
import pytest

from models import artifacts as art
from models.candidates import CLASSIFIERS, NESTED_CLASSIFIERS, REGRESSORS, Candidate
from models.features import AGGREGATE_SESSION_FEATURES
from models.fitting import FittedModel, fit_candidate
from models.score import load_model

ALL = (*CLASSIFIERS, *REGRESSORS, *NESTED_CLASSIFIERS)


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


@pytest.mark.parametrize("candidate", ALL, ids=lambda c: f"{c.kind}-{c.name}")
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
    meta = _sidecar(tmp_path, first, x[train], y[train], groups[train])
    scored = load_model(tmp_path, meta).predict(x[held_out])
    if meta["format"] == "xgboost-json":
        # The loaded booster calibrates its float32 margin directly; the trained wrapper went
        # through its float32 probability and back to log-odds: the same model, within
        # float32 rounding.
        np.testing.assert_allclose(scored, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(scored, expected)


def _sidecar(
    directory, fitted: FittedModel, x: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> dict:
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
        art.save_refit_rows(directory, "m.rows.npz", x, y, groups)
        meta.update(
            format="refit",
            refit_rows_file="m.rows.npz",
            refit_rows_hash=art.training_hash(x, y, names),
        )
    return meta
