"""How much labelled data a supervised task needs before its figures mean anything.

Every supervised task is held to :data:`MIN_ROWS` rows and :data:`MIN_POSITIVES` positives
(classification: of *each* class; regression: of non-zero targets), on its training data
and, for a time split, on its evaluation data too. Below that the task is withheld
(``unavailable``, with the counts and the minimums); above it, the counts and the minimums
are stored next to its metrics (``model_runs.n_positives``, ``min_rows``, ``min_positives``).

Why these numbers (docs/models.md): with 50 cases of the rarer class, the standard error
of a ROC-AUC near 0.75 is about 0.04 (Hanley and McNeil), so a 95 % interval of ±0.08 —
just narrow enough to tell a model from a coin toss (0.5) and from the 0.6 floor of
:mod:`models.verdicts`; the out-of-sample leakage audit's 5 folds then hold 10 of them each.
Fewer than 200 rows leave too few for the 5 folds to hold 40 each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.task_data import FloatArray, TaskData

MIN_ROWS = 200
MIN_POSITIVES = 50


@dataclass(frozen=True)
class Counts:
    """What a task's labels hold, and whether that meets the minimums."""

    rows: int
    positives: int
    #: Classification: negative rows; regression: zero targets.
    others: int
    shortfall: str | None


def _count(y: FloatArray, kind: str, where: str) -> Counts:
    rows = int(y.size)
    if kind == "classification":
        positives = int(np.sum(y > 0.5))
        others = rows - positives
        words = f"{positives:,} positive and {others:,} negative rows"
        short = rows < MIN_ROWS or min(positives, others) < MIN_POSITIVES
        need = f"at least {MIN_ROWS} rows and {MIN_POSITIVES} of each class are needed"
    else:
        positives = int(np.sum(y != 0))
        others = rows - positives
        words = f"{rows:,} rows, {positives:,} with a non-zero target"
        short = rows < MIN_ROWS or positives < MIN_POSITIVES
        need = f"at least {MIN_ROWS} rows and {MIN_POSITIVES} non-zero targets are needed"
    return Counts(rows, positives, others, f"{where}: {words}; {need}" if short else None)


def task_counts(data: TaskData) -> Counts:
    """The training data's counts; the shortfall names the evaluation data when only that
    side (a time split's later horizon) falls short."""
    train = _count(data.y, data.kind, "training data")
    if train.shortfall is None and data.y_test is not None:
        test = _count(data.y_test, data.kind, "evaluation data")
        if test.shortfall is not None:
            return Counts(train.rows, train.positives, train.others, test.shortfall)
    return train
