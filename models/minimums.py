"""How much labelled data a supervised task needs: a floor to train at all, and a minimum
for its figures to be trusted.

- Below the **floor** (:data:`FLOOR_PER_CLASS` of each class, twice that in rows) nothing
  can be evaluated: the task is unavailable, with the counts.
- Every task is held to the **minimum** of :data:`MIN_ROWS` rows and :data:`MIN_POSITIVES`
  positives (classification: of the rarer class; regression: non-zero targets), on its
  training data and, for a time split, on its evaluation data too. The counts and the
  minimums are stored with its metrics (``model_runs.n_positives``, ``min_rows``,
  ``min_positives``); a model trained below the minimum is ``weak`` (:mod:`models.verdicts`):
  its figures are too uncertain to tell it from its naive baseline.

Why these numbers (docs/models.md): with 50 cases of the rarer class, the standard error
of a ROC-AUC near 0.75 is about 0.04 (Hanley and McNeil), a 95 % interval of ±0.08 — just
narrow enough to tell a model from a coin toss (0.5) and from the 0.6 floor of the verdicts;
the leakage audit's 5 folds then hold 10 of them each. With 200 rows each fold holds 40.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.task_data import FloatArray, TaskData

MIN_ROWS = 200
MIN_POSITIVES = 50
FLOOR_PER_CLASS = 10


@dataclass(frozen=True)
class Counts:
    """What a task's labels hold: the weakest side's counts, and what falls short."""

    #: Rows of the training data.
    rows: int
    #: The smallest count, over the training and evaluation data, of the rarer class
    #: (classification) or of non-zero targets (regression).
    positives: int
    #: Why nothing can be trained (below the floor), if so.
    below_floor: str | None


def _side(y: FloatArray, kind: str, where: str) -> tuple[int, str | None]:
    """(limiting count, why below the floor) of one side's labels."""
    if kind != "classification":
        if y.size < 2 * FLOOR_PER_CLASS:
            return int(np.sum(y != 0)), f"only {y.size} labelled rows"
        return int(np.sum(y != 0)), None
    positives = int(np.sum(y > 0.5))
    negatives = int(y.size) - positives
    if min(positives, negatives) < FLOOR_PER_CLASS:
        return min(positives, negatives), (
            f"{where}: {positives:,} positive and {negatives:,} negative rows; "
            f"at least {FLOOR_PER_CLASS} of each are needed"
        )
    return min(positives, negatives), None


def task_counts(data: TaskData) -> Counts:
    """The task's counts over its training and (time split) evaluation data."""
    if data.y.size < 2 * FLOOR_PER_CLASS:
        return Counts(int(data.y.size), 0, f"only {data.y.size} labelled rows")
    positives, why = _side(data.y, data.kind, "training data")
    if why is None and data.y_test is not None:
        test_positives, why = _side(data.y_test, data.kind, "evaluation data")
        positives = min(positives, test_positives)
    return Counts(int(data.y.size), positives, why)


def shortfall(n_rows: int | None, n_positives: int | None, kind: str) -> str | None:
    """Why stored counts fall short of the minimums, in words; ``None`` when they do not."""
    if n_rows is None or n_positives is None:
        return None
    if n_rows >= MIN_ROWS and n_positives >= MIN_POSITIVES:
        return None
    what = "with a non-zero target" if kind == "regression" else "in the rarer class"
    return (
        f"too little data to tell it from its naive baseline: {n_positives:,} of "
        f"{n_rows:,} rows {what} (minimum {MIN_POSITIVES}, and {MIN_ROWS} rows)"
    )
