"""The leakage audit: is a label just a formula of the features?

Before any metric is published, a depth-3 decision tree is fitted from the features to the
label. If that tiny tree reaches ROC-AUC ≥ 0.99 (classes) or R² ≥ 0.99 (amounts) on rows
it was not fitted on (5-fold out-of-fold predictions), the label can be rebuilt by a
handful of if-then rules over the features, so a model "predicting" it learns the rule, not
behaviour: the label is withheld and the reason, with the rule's features, is recorded.
This is what catches the seed app's "conversion" (clicks > 5 and viewed-price sum > 50)
and the UCI file's ``price 2`` proxy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

THRESHOLD = 0.99
AUDIT_DEPTH = 3
#: The audit tree is judged on out-of-fold predictions of this many folds.
AUDIT_FOLDS = 5
#: The audit tree is fitted on at most this many rows (it is a sanity check, not a model).
MAX_AUDIT_ROWS = 200_000


@dataclass(frozen=True)
class AuditVerdict:
    passed: bool
    metric: str
    score: float
    features_used: tuple[str, ...]
    reason: str
    #: How the score was judged: "5-fold out of sample" (or "in sample" when too few rows).
    judged: str = f"{AUDIT_FOLDS}-fold out of sample"

    @property
    def verdict(self) -> str:
        status = "passed" if self.passed else "refused"
        return f"{status}: depth-{AUDIT_DEPTH} tree {self.metric} {self.score:.3f} ({self.judged})"


def _folds(target: FloatArray, kind: str, seed: int) -> list[tuple[IntArray, IntArray]] | None:
    """The audit's folds (stratified for classes); ``None`` when a class is too rare."""
    if kind == "classification":
        rarest = int(np.min(np.unique(target, return_counts=True)[1]))
        if rarest < AUDIT_FOLDS:
            return None
        splitter = StratifiedKFold(AUDIT_FOLDS, shuffle=True, random_state=seed)
        return list(splitter.split(target, target.astype(np.int64)))
    if target.size < 2 * AUDIT_FOLDS:
        return None
    return list(KFold(AUDIT_FOLDS, shuffle=True, random_state=seed).split(target))


def _tree(kind: str, seed: int) -> DecisionTreeClassifier | DecisionTreeRegressor:
    if kind == "classification":
        return DecisionTreeClassifier(max_depth=AUDIT_DEPTH, random_state=seed)
    return DecisionTreeRegressor(max_depth=AUDIT_DEPTH, random_state=seed)


def _predict(tree: DecisionTreeClassifier | DecisionTreeRegressor, x: FloatArray) -> FloatArray:
    if isinstance(tree, DecisionTreeClassifier):
        proba = tree.predict_proba(x)
        # A fold whose training side held one class predicts that class for certain.
        column = list(tree.classes_).index(1) if 1 in tree.classes_ else None
        return proba[:, column] if column is not None else np.zeros(x.shape[0])
    out: FloatArray = tree.predict(x)
    return out


def _score(target: FloatArray, predicted: FloatArray, kind: str) -> float:
    if kind == "classification":
        return float(roc_auc_score(target.astype(np.int64), predicted))
    return float(r2_score(target, predicted))


def audit_label(
    x: FloatArray, y: npt.ArrayLike, names: list[str], *, kind: str, seed: int = 0
) -> AuditVerdict:
    """Fit a depth-3 tree from ``x`` to ``y``; refuse the label when it fits almost perfectly.

    The tree is judged out of sample: its score is that of pooled 5-fold out-of-fold
    predictions, so a tree that merely memorises a few rows (on 50 rows an in-sample
    depth-3 tree reaches a high ROC-AUC on a random label) does not pass for a rule, while
    a label that is a formula of the features is rebuilt on rows the tree never saw. The
    features named in the reason are those of the tree fitted on every row.
    """
    target = np.asarray(y, dtype=np.float64)
    features = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=-1.0)
    if target.size > MAX_AUDIT_ROWS:
        rows = np.random.default_rng(seed).choice(target.size, MAX_AUDIT_ROWS, replace=False)
        features, target = features[rows], target[rows]
    if features.shape[1] == 0 or target.size < 2:
        return AuditVerdict(True, "n/a", 0.0, (), "no features to rebuild the label from")
    metric = "ROC-AUC" if kind == "classification" else "R²"
    if kind == "classification" and np.unique(target).size < 2:
        return AuditVerdict(False, metric, float("nan"), (), "the label has one class")
    tree = _tree(kind, seed).fit(features, target)
    folds = _folds(target, kind, seed)
    judged = f"{AUDIT_FOLDS}-fold out of sample"
    if folds is None:
        # Too few rows for folds (a task this small is withheld before it gets here).
        predicted, judged = _predict(tree, features), "in sample: too few rows for folds"
    else:
        predicted = np.zeros(target.size)
        for train_idx, test_idx in folds:
            fold_tree = _tree(kind, seed).fit(features[train_idx], target[train_idx])
            predicted[test_idx] = _predict(fold_tree, features[test_idx])
    score = _score(target, predicted, kind)
    used_idx = sorted({int(i) for i in tree.tree_.feature if i >= 0})
    used = tuple(names[i] for i in used_idx)
    if score >= THRESHOLD:
        reason = (
            f"label withheld: a depth-{AUDIT_DEPTH} decision tree rebuilds it from "
            f"{', '.join(used) or 'the features'} with {metric} {score:.3f} (≥ {THRESHOLD}, "
            f"{judged}); the label is a formula of the features, so a model would learn "
            "that formula, not behaviour"
        )
        return AuditVerdict(False, metric, score, used, reason, judged)
    reason = (
        f"a depth-{AUDIT_DEPTH} tree reaches only {metric} {score:.3f} (< {THRESHOLD}, "
        f"{judged}): the label is not a formula of the features"
    )
    return AuditVerdict(True, metric, score, used, reason, judged)
