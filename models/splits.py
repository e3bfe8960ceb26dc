"""How a supervised task's rows are split: by group (cross-validation or a holdout) or by time.

Sessions of one customer, and Online Shoppers' identical rows, stay on one side of every
split; customer horizons split by time (train at an earlier cutoff, evaluate at a later one).
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from models.group_folds import Fold, stratified_group_folds
from models.task_data import TaskData
from models.train_context import TrainOptions


def split_rows(data: TaskData, opts: TrainOptions) -> list[Fold]:
    """Stratified group k-fold (classes), group k-fold (amounts), or one 80/20 group holdout."""
    n = data.y.size
    if data.split == "cv":
        if data.kind == "classification":
            return stratified_group_folds(
                data.y.astype(np.int64), data.groups, opts.cv_folds, opts.seed
            )
        return list(GroupKFold(n_splits=opts.cv_folds).split(np.zeros(n), data.y, data.groups))
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=opts.seed)
    train_idx, test_idx = next(splitter.split(np.zeros(n), data.y, data.groups))
    return [(train_idx, test_idx)]


def split_words(data: TaskData, opts: TrainOptions, nested: list[str]) -> str:
    """The split in words, as ``model_runs.split_method`` stores it (with what ``--fast``
    skipped)."""
    words = _split_words(data, opts, nested)
    return f"{words}; {_fast_note(data, opts)}" if opts.fast else words


def _fast_note(data: TaskData, opts: TrainOptions) -> str:
    """What the demo's fast mode did differently from the full protocol."""
    parts = ["--fast: the fast candidates only"]
    if data.split == "holdout" and data.y.size <= opts.max_cv_rows:
        parts.append(f"a group holdout instead of {opts.cv_folds}-fold CV")
    if data.kind == "classification":
        parts.append(
            f"training sides over {opts.crossfit_row_limit():,} rows calibrated on 20 % of "
            "their groups held back instead of cross-fitted scores"
        )
    return ", ".join(parts)


def _split_words(data: TaskData, opts: TrainOptions, nested: list[str]) -> str:
    group = (
        "customer (identical rows for session tables)" if data.entity == "session" else "customer"
    )
    if data.split == "cv":
        strat = "stratified " if data.kind == "classification" else ""
        words = (
            f"{strat}group {opts.cv_folds}-fold by {group}; metrics on pooled out-of-fold "
            "predictions"
        )
        if nested:
            words += (
                f"; nested: {', '.join(nested)} chooses its setting by an "
                "inner 3-fold stratified group CV on each outer training fold only (never "
                "seeing that fold's test rows) and is the selected model, its outer-fold "
                "figures being the only ones that include the cost of choosing"
            )
        return words
    if data.split == "holdout":
        return f"group holdout 80/20 by {group}, test capped at {opts.max_test_rows:,} rows"
    return (
        f"time split: train at cutoff {data.train_cutoff:%Y-%m-%d}, evaluate at cutoff "
        f"{data.cutoff:%Y-%m-%d}, horizon {data.horizon_days} days"
    )
