"""The candidate models of every task, with fixed, documented parameters.

Each candidate is named in the business's words and built from a plain parameter dict, so a
fitted model can be described in ``model_runs`` and rebuilt deterministically (same params,
same seed, same training rows) instead of being pickled. Each carries a row budget: the
slow learners (SVM, MLP, random forest) train on a stratified subsample of large tables,
and ``model_runs`` records how many rows each one saw.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

FloatArray = npt.NDArray[np.float64]


class SignedLog(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """``sign(x) · log1p(|x|)``: tames the long tails of counts and money for linear models,
    SVMs and networks (trees do not care). Stateless; follows the estimator contract."""

    def fit(self, x: FloatArray, y: object = None) -> SignedLog:
        self.n_features_in_ = np.asarray(x).shape[1]
        return self

    def transform(self, x: FloatArray) -> FloatArray:
        values = np.asarray(x, dtype=np.float64)
        out: FloatArray = np.sign(values) * np.log1p(np.abs(values))
        return out


@dataclass(frozen=True)
class Candidate:
    """One model family for one kind of task."""

    name: str
    kind: str  # "classification" | "regression"
    params: dict[str, Any]
    make: Callable[[dict[str, Any], int], Any]
    #: Most training rows it is given; larger tables are subsampled (stratified).
    max_rows: int
    #: Seconds-scale learners stay in the demo's fast mode.
    fast: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _filler() -> SimpleImputer:
    # Marts hold NULLs (no order yet: no average order value). Trees and XGBoost route
    # missing values themselves; linear models, SVMs and networks get the training median.
    return SimpleImputer(strategy="median", keep_empty_features=True)


def _logistic(p: dict[str, Any], seed: int) -> Any:
    return Pipeline(
        [
            ("fill", _filler()),
            ("log", SignedLog()),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=seed)),
        ]
    )


def _tree(p: dict[str, Any], seed: int) -> Any:
    return DecisionTreeClassifier(
        max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"], random_state=seed
    )


def _forest(p: dict[str, Any], seed: int) -> Any:
    return RandomForestClassifier(
        n_estimators=p["n_estimators"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=p["max_features"],
        n_jobs=2,
        random_state=seed,
    )


def _xgb_classifier(p: dict[str, Any], seed: int) -> Any:
    return xgb.XGBClassifier(**p, tree_method="hist", n_jobs=2, random_state=seed)


def _svm(p: dict[str, Any], seed: int) -> Any:
    return Pipeline(
        [
            ("fill", _filler()),
            ("log", SignedLog()),
            ("scale", StandardScaler()),
            ("model", SVC(C=p["C"], kernel=p["kernel"], gamma="scale", random_state=seed)),
        ]
    )


def _mlp(p: dict[str, Any], seed: int) -> Any:
    return Pipeline(
        [
            ("fill", _filler()),
            ("log", SignedLog()),
            ("scale", StandardScaler()),
            (
                "model",
                MLPClassifier(
                    hidden_layer_sizes=tuple(p["hidden_layer_sizes"]),
                    alpha=p["alpha"],
                    early_stopping=True,
                    max_iter=p["max_iter"],
                    random_state=seed,
                ),
            ),
        ]
    )


def _ridge(p: dict[str, Any], seed: int) -> Any:
    return Pipeline(
        [
            ("fill", _filler()),
            ("log", SignedLog()),
            ("scale", StandardScaler()),
            ("model", Ridge(alpha=p["alpha"])),
        ]
    )


def _forest_regressor(p: dict[str, Any], seed: int) -> Any:
    return RandomForestRegressor(
        n_estimators=p["n_estimators"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=p["max_features"],
        n_jobs=2,
        random_state=seed,
    )


def _xgb_regressor(p: dict[str, Any], seed: int) -> Any:
    return xgb.XGBRegressor(**p, tree_method="hist", n_jobs=2, random_state=seed)


XGB_CLASSIFIER_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "max_depth": 4,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 3,
}

CLASSIFIERS: tuple[Candidate, ...] = (
    Candidate(
        "logistic_regression",
        "classification",
        {"C": 1.0, "max_iter": 2000},
        _logistic,
        max_rows=200_000,
        fast=True,
        notes="signed log, standardised",
    ),
    Candidate(
        "decision_tree",
        "classification",
        {"max_depth": 6, "min_samples_leaf": 20},
        _tree,
        max_rows=500_000,
    ),
    Candidate(
        "random_forest",
        "classification",
        {"n_estimators": 150, "min_samples_leaf": 5, "max_features": "sqrt"},
        _forest,
        max_rows=40_000,
    ),
    Candidate("xgboost", "classification", XGB_CLASSIFIER_PARAMS, _xgb_classifier, 300_000, True),
    Candidate(
        "svm",
        "classification",
        {"C": 1.0, "kernel": "rbf"},
        _svm,
        max_rows=3_000,
        notes="RBF kernel on a subsample; decision values calibrated like every candidate",
    ),
    Candidate(
        "mlp",
        "classification",
        {"hidden_layer_sizes": [32, 16], "alpha": 1e-3, "max_iter": 200},
        _mlp,
        max_rows=30_000,
        notes="the seed design's neural network: two hidden layers, early stopping",
    ),
)

REGRESSORS: tuple[Candidate, ...] = (
    Candidate("linear", "regression", {"alpha": 1.0}, _ridge, 300_000, True, "ridge"),
    Candidate(
        "random_forest",
        "regression",
        {"n_estimators": 150, "min_samples_leaf": 5, "max_features": 0.5},
        _forest_regressor,
        max_rows=40_000,
    ),
    Candidate(
        "xgboost",
        "regression",
        {
            "n_estimators": 300,
            "learning_rate": 0.05,
            "max_depth": 4,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "objective": "reg:tweedie",
            "tweedie_variance_power": 1.5,
        },
        _xgb_regressor,
        max_rows=300_000,
        fast=True,
        notes="Tweedie loss: a point mass at zero plus a skewed positive part",
    ),
)


#: The reasons' model: a compact XGBoost fitted to the same training rows as the selected
#: model. Exact TreeSHAP costs O(trees · leaves · depth²) per row: 300 trees of depth 4 explain
#: ~2k rows/s on two cores, 100 trees of depth 3 about ten times more, which is what makes
#: three reasons for each of a million sessions affordable.
EXPLAINER_PARAMS: dict[str, Any] = {
    "n_estimators": 100,
    "learning_rate": 0.15,
    "max_depth": 3,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
}


def fit_explainer(kind: str, x: FloatArray, y: Any, seed: int, *, tweedie: bool) -> xgb.Booster:
    """The compact XGBoost model whose TreeSHAP contributions become a score's reasons."""
    if kind == "classification":
        model: Any = xgb.XGBClassifier(
            **EXPLAINER_PARAMS, tree_method="hist", n_jobs=2, random_state=seed
        )
    else:
        objective = {"objective": "reg:tweedie", "tweedie_variance_power": 1.5} if tweedie else {}
        model = xgb.XGBRegressor(
            **EXPLAINER_PARAMS, **objective, tree_method="hist", n_jobs=2, random_state=seed
        )
    model.fit(x, y)
    booster: xgb.Booster = model.get_booster()
    return booster


def candidates_for(
    kind: str, *, fast: bool = False, only: tuple[str, ...] | None = None
) -> list[Candidate]:
    """The candidates of a task kind, optionally only the fast ones or a named subset."""
    pool = CLASSIFIERS if kind == "classification" else REGRESSORS
    chosen = [c for c in pool if (c.fast or not fast) and (only is None or c.name in only)]
    return chosen


def get_candidate(kind: str, name: str) -> Candidate:
    for c in CLASSIFIERS if kind == "classification" else REGRESSORS:
        if c.name == name:
            return c
    raise KeyError(f"no {kind} candidate named {name!r}")


def fit_estimator(
    candidate: Candidate, params: dict[str, Any], x: FloatArray, y: Any, seed: int
) -> Any:
    """Build ``candidate`` with ``params`` and fit it.

    The MLP stops early on a validation split of its training rows; scikit-learn still warns
    when ``max_iter`` ends a run first, which says nothing about the honesty of the result
    (the held-out metrics do), so that one warning is silenced here and nowhere else.
    """
    model = candidate.make(params, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(x, y)
    return model


def raw_scores(model: Any, x: FloatArray) -> FloatArray:
    """A classifier's score before calibration: P(y=1) where it has one, else its margin."""
    if hasattr(model, "predict_proba"):
        try:
            out: FloatArray = np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)
            return out
        except AttributeError:  # an SVC without probability=True
            pass
    return np.asarray(model.decision_function(x), dtype=np.float64)
