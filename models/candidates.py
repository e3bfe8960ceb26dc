"""The candidate models of every task, with fixed, documented parameters.

Each candidate is named in the business's words and built from a plain parameter dict, so a
fitted model can be described in ``model_runs`` and rebuilt deterministically (same params,
same seed, same training rows) instead of being pickled. Each carries a row budget: the
slow learners (SVM, MLP, random forest) train on a stratified subsample of large tables,
and ``model_runs`` records how many rows each one saw.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from models.features import AGGREGATE_SESSION_FEATURES

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


class ShoppersEncoding(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Per-row encodings of Online Shoppers' columns, appended to them inside the model.

    Expects the columns of :data:`models.features.AGGREGATE_SESSION_FEATURES`, in that order,
    and appends :data:`SHOPPERS_ENCODED`: ``page_values > 0`` (the data's README: PageValues
    nearly encodes the label, and a tree finds the zero/non-zero cut more reliably as one
    column), seconds per page of each page type, pages and seconds in all, the product
    pages' share, and the month one-hot (November converts at 25 %, its neighbours at 21 %
    and 13 %, February at 2 %: one cut on the month number cannot isolate a month). Each
    value comes from its own row only, so nothing is learned and nothing crosses a split.

    The encoding lives in the model, not in the warehouse: the model's inputs stay the 18
    columns a what-if slider moves, and moving product pages moves seconds per product page
    with it instead of holding a stale ratio.
    """

    def fit(self, x: FloatArray, y: object = None) -> ShoppersEncoding:
        width = np.asarray(x).shape[1]
        if width != len(AGGREGATE_SESSION_FEATURES):
            raise ValueError(
                f"ShoppersEncoding expects the {len(AGGREGATE_SESSION_FEATURES)} Online "
                f"Shoppers columns, got {width}"
            )
        self.n_features_in_ = width
        return self

    def transform(self, x: FloatArray) -> FloatArray:
        values = np.asarray(x, dtype=np.float64)
        col = {name: values[:, j] for j, name in enumerate(AGGREGATE_SESSION_FEATURES)}
        pages = col["administrative"] + col["informational"] + col["product_related"]
        seconds = (
            col["administrative_duration"]
            + col["informational_duration"]
            + col["product_related_duration"]
        )
        extra = [
            (col["page_values"] > 0).astype(np.float64),
            *(
                _per(col[f"{kind}_duration"], col[kind])
                for kind in ("administrative", "informational", "product_related")
            ),
            pages,
            seconds,
            _per(col["product_related"], pages),
            *((col["month_number"] == month).astype(np.float64) for month in range(1, 13)),
        ]
        out: FloatArray = np.column_stack([values, *extra])
        return out


def _per(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``, 0 where the denominator is not positive (no pages)."""
    safe = np.where(denominator > 0, denominator, 1.0)
    out: FloatArray = np.where(denominator > 0, numerator / safe, 0.0)
    return out


#: Names of the columns :class:`ShoppersEncoding` appends, in order.
SHOPPERS_ENCODED: tuple[str, ...] = (
    "page_values_positive",
    "administrative_seconds_per_page",
    "informational_seconds_per_page",
    "product_related_seconds_per_page",
    "pages",
    "seconds",
    "product_related_share",
    *(f"month_{m}" for m in range(1, 13)),
)


def sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return out


def logit(p: FloatArray) -> FloatArray:
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    out: FloatArray = np.log(clipped / (1 - clipped))
    return out


class CalibratedVote(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Soft voting of calibrated members: each member's log-odds through its own Platt map
    ``sigmoid(a · s + b)``, the resulting probabilities averaged.

    The maps are parameters, not learned here: the nested search fits them on the members'
    inner out-of-fold scores (inside the training data), so averaging puts XGBoost's
    probabilities and a forest's vote shares on one scale before they are mixed.
    """

    def __init__(self, members: list[Any], maps: list[list[float]]) -> None:
        self.members = members
        self.maps = maps

    def fit(self, x: FloatArray, y: Any) -> CalibratedVote:
        for member in self.members:
            member.fit(x, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, x: FloatArray) -> FloatArray:
        shares = [
            sigmoid(a * logit(np.asarray(m.predict_proba(x)[:, 1], dtype=np.float64)) + b)
            for m, (a, b) in zip(self.members, self.maps, strict=True)
        ]
        p = np.mean(shares, axis=0)
        out: FloatArray = np.column_stack([1.0 - p, p])
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
    #: ``params`` is a search space: each training set chooses its own setting by an inner
    #: cross-validation on that training set only (:func:`models.fitting.nested_search`).
    #: Not in the default pool; a task asks for it by name.
    nested: bool = False


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


def _nested_ensemble(p: dict[str, Any], seed: int) -> Any:
    """A resolved setting of the nested search: the encoding, then XGBoost alone or a
    calibrated soft vote of XGBoost and a random forest."""
    if "resolved" not in p:
        raise ValueError("nested_ensemble is built from a setting its nested search chose")
    booster = xgb.XGBClassifier(**p["xgboost"], tree_method="hist", n_jobs=1, random_state=seed)
    model: Any = booster
    if p.get("forest"):
        forest = RandomForestClassifier(**p["forest"], n_jobs=2, random_state=seed)
        model = CalibratedVote([booster, forest], p["member_calibration"])
    return Pipeline([("encode", ShoppersEncoding()), ("model", model)])


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

#: The search space of ``nested_ensemble`` (Online Shoppers' pre-aggregated sessions). A
#: generic XGBoost grid (depth, minimum child weight, column share), each setting's number
#: of trees found by early stopping on the inner validation fold; then a calibrated soft
#: vote with a random forest, kept only if it beats the best XGBoost on the inner folds.
NESTED_ENSEMBLE_SPACE: dict[str, Any] = {
    "encoding": "online_shoppers",
    "inner_folds": 3,
    "selection": "mean inner-fold PR-AUC",
    "xgboost": {
        "learning_rate": 0.05,
        "subsample": 0.8,
        "max_rounds": 1000,
        "early_stopping_rounds": 50,
        "eval_metric": "logloss",
    },
    "xgboost_grid": {
        "max_depth": [3, 4, 6],
        "min_child_weight": [1, 5],
        "colsample_bytree": [0.5, 0.8],
    },
    "forest": {"n_estimators": 150, "min_samples_leaf": 5, "max_features": "sqrt"},
}

#: Candidates a task adds by name (``TaskData.extra_candidates``); never in the default pool.
NESTED_CLASSIFIERS: tuple[Candidate, ...] = (
    Candidate(
        "nested_ensemble",
        "classification",
        NESTED_ENSEMBLE_SPACE,
        _nested_ensemble,
        max_rows=60_000,
        notes="per-row encodings; XGBoost tuned, and optionally soft-voted with a random "
        "forest, by an inner 3-fold group CV inside each training set",
        nested=True,
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
    kind: str,
    *,
    fast: bool = False,
    only: tuple[str, ...] | None = None,
    extra: tuple[str, ...] = (),
) -> list[Candidate]:
    """The candidates of a task kind, optionally only the fast ones or a named subset.

    ``extra`` names nested candidates the task adds to the pool (skipped in fast mode, and
    subject to ``only`` like the rest).
    """
    pool = CLASSIFIERS if kind == "classification" else REGRESSORS
    chosen = [c for c in pool if (c.fast or not fast) and (only is None or c.name in only)]
    chosen += [
        c
        for c in NESTED_CLASSIFIERS
        if c.kind == kind and c.name in extra and not fast and (only is None or c.name in only)
    ]
    return chosen


def get_candidate(kind: str, name: str) -> Candidate:
    pool = (*CLASSIFIERS, *NESTED_CLASSIFIERS) if kind == "classification" else REGRESSORS
    for c in pool:
        if c.name == name:
            return c
    raise KeyError(f"no {kind} candidate named {name!r}")


#: XGBoost fits of at most this many rows run on one thread unless the machine is quiet
#: (see :func:`fit_estimator`).
SINGLE_THREAD_ROWS = 50_000


def machine_is_quiet() -> bool:
    """Whether every core but the one this process uses is idle, by the 1-minute load
    average (which counts this process's own busy thread too).

    Measured on the 2-core machine (39k rows, 300 trees, identical predictions either way):
    with a load of 3 a two-thread fit took 5-21 s against 1.8-3.3 s on one thread, OpenMP's
    spinning barriers waiting on a core another process holds; on a quiet machine two
    threads were 1.1-1.5x faster (issue 14). Where the load cannot be read, it is not quiet.
    """
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return cores > 1 and load <= cores - 0.75


def thread_limits() -> threadpool_limits:
    """The thread pools while models train or score: BLAS on one thread (its spinning
    workers fought XGBoost's over two cores: a 1k-row fit went from 0.1 s to over 30 s), and
    OpenMP (XGBoost, k-means) on one thread too unless the machine is quiet.

    Measured under a load of 5 on two cores: k-means for k = 2…8 on 5,000 rows took 7-21 s
    with OpenMP's default two threads and 0.3-0.5 s with one; a 100-tree XGBoost fit of 39k
    rows 5-8 s against 1 s. Results do not depend on the thread count.
    """
    if machine_is_quiet():
        return threadpool_limits(limits=1, user_api="blas")
    return threadpool_limits(limits={"blas": 1, "openmp": 1})


def fit_estimator(
    candidate: Candidate, params: dict[str, Any], x: FloatArray, y: Any, seed: int
) -> Any:
    """Build ``candidate`` with ``params`` and fit it.

    Small XGBoost fits (:data:`SINGLE_THREAD_ROWS`) run single-threaded unless the machine is
    quiet (:func:`machine_is_quiet`); the trees are the same either way. The MLP stops early
    on a validation split of its training rows; scikit-learn still warns when ``max_iter``
    ends a run first, which says nothing about the honesty of the result (the held-out
    metrics do), so that one warning is silenced here and nowhere else.
    """
    model = candidate.make(params, seed)
    small = np.asarray(x).shape[0] <= SINGLE_THREAD_ROWS
    if isinstance(model, xgb.XGBModel) and small and not machine_is_quiet():
        # Same trees with one thread or two ("hist" is deterministic either way), but on a
        # shared 2-core machine OpenMP's spinning barriers made a 2-thread fit of 10k rows
        # 3-5x slower than a 1-thread one (Online Shoppers' 300-tree candidate: 86 s for its
        # 20 fits against ~20 s).
        model.set_params(n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(x, y)
    return vote_in_order(model)


def vote_in_order(model: Any) -> Any:
    """Make a fitted forest (alone, last in a pipeline, or in a vote) predict on one thread.

    scikit-learn adds a forest's tree votes in whatever order its threads finish, so on two
    threads the last bit of a probability changed from call to call, and with it a
    calibration map and an F1 threshold: a refit did not reproduce the trained model.
    Fitting still uses both threads (the trees do not depend on the thread count).
    """
    inner = model.steps[-1][1] if isinstance(model, Pipeline) else model
    members = inner.members if isinstance(inner, CalibratedVote) else [inner]
    for member in members:
        if isinstance(member, RandomForestClassifier | RandomForestRegressor):
            member.set_params(n_jobs=1)
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
