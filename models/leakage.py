"""The leakage audit: is a label just a formula of the features?

Before any metric is published, a depth-3 decision tree is fitted from the features to the
label. If that tiny tree reaches ROC-AUC ≥ 0.99 (classes) or R² ≥ 0.99 (amounts), the label
can be rebuilt by a handful of if-then rules over the features, so a model "predicting" it
learns the rule, not behaviour: the label is withheld and the reason, with the rule's
features, is recorded. This is what catches the seed app's "conversion" (clicks > 5 and
viewed-price sum > 50) and the UCI file's ``price 2`` proxy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

FloatArray = npt.NDArray[np.float64]

THRESHOLD = 0.99
AUDIT_DEPTH = 3
#: The audit tree is fitted on at most this many rows (it is a sanity check, not a model).
MAX_AUDIT_ROWS = 200_000


@dataclass(frozen=True)
class AuditVerdict:
    passed: bool
    metric: str
    score: float
    features_used: tuple[str, ...]
    reason: str

    @property
    def verdict(self) -> str:
        status = "passed" if self.passed else "refused"
        return f"{status}: depth-{AUDIT_DEPTH} tree {self.metric} {self.score:.3f}"


def audit_label(
    x: FloatArray, y: npt.ArrayLike, names: list[str], *, kind: str, seed: int = 0
) -> AuditVerdict:
    """Fit a depth-3 tree from ``x`` to ``y``; refuse the label when it fits almost perfectly.

    The tree is scored on the rows it was fitted on: a rule that reproduces the label
    in-sample is exactly what we are looking for, and in-sample is the strictest test.
    """
    target = np.asarray(y, dtype=np.float64)
    features = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=-1.0)
    if target.size > MAX_AUDIT_ROWS:
        rows = np.random.default_rng(seed).choice(target.size, MAX_AUDIT_ROWS, replace=False)
        features, target = features[rows], target[rows]
    if features.shape[1] == 0 or target.size < 2:
        return AuditVerdict(True, "n/a", 0.0, (), "no features to rebuild the label from")
    if kind == "classification":
        if np.unique(target).size < 2:
            return AuditVerdict(False, "ROC-AUC", float("nan"), (), "the label has one class")
        tree = DecisionTreeClassifier(max_depth=AUDIT_DEPTH, random_state=seed)
        tree.fit(features, target.astype(np.int64))
        score = float(roc_auc_score(target.astype(np.int64), tree.predict_proba(features)[:, 1]))
        metric = "ROC-AUC"
        splits = tree.tree_.feature
    else:
        tree_r = DecisionTreeRegressor(max_depth=AUDIT_DEPTH, random_state=seed)
        tree_r.fit(features, target)
        score = float(r2_score(target, tree_r.predict(features)))
        metric = "R²"
        splits = tree_r.tree_.feature
    used_idx = sorted({int(i) for i in splits if i >= 0})
    used = tuple(names[i] for i in used_idx)
    if score >= THRESHOLD:
        reason = (
            f"label withheld: a depth-{AUDIT_DEPTH} decision tree rebuilds it from "
            f"{', '.join(used) or 'the features'} with {metric} {score:.3f} (≥ {THRESHOLD}); "
            "the label is a formula of the features, so a model would learn that formula, "
            "not behaviour"
        )
        return AuditVerdict(False, metric, score, used, reason)
    reason = (
        f"a depth-{AUDIT_DEPTH} tree reaches only {metric} {score:.3f} (< {THRESHOLD}): the "
        "label is not a formula of the features"
    )
    return AuditVerdict(True, metric, score, used, reason)
