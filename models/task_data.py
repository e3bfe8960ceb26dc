"""What a supervised task is (its rows, label and split), and what fitting it produced.

The task modules (:mod:`models.session_tasks`, :mod:`models.customer_tasks`,
:mod:`models.custom_task`) build a :class:`TaskData`; :mod:`models.protocol` fits,
evaluates and selects over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from models.candidates import Candidate
from models.fitting import FittedModel

FloatArray = npt.NDArray[np.float64]
#: A naive rule: (training x, training y, evaluation x) -> a prediction or ranking score.
Baseline = Callable[[FloatArray, FloatArray, FloatArray], FloatArray]


@dataclass
class TaskData:
    """One supervised task's rows: features, label and groups (and a later test set)."""

    task: str
    entity: str
    kind: str
    names: list[str]
    x: FloatArray
    y: FloatArray
    groups: npt.NDArray[Any]
    label_definition: str
    split: str  # "cv" | "holdout" | "time"
    cutoff: datetime | None = None
    train_cutoff: datetime | None = None
    horizon_days: int | None = None
    x_test: FloatArray | None = None
    y_test: FloatArray | None = None
    baselines: dict[str, Baseline] = field(default_factory=dict)
    nonnegative: bool = False
    only: tuple[str, ...] | None = None
    #: Nested candidates this task adds to the pool (``models.candidates.NESTED_CLASSIFIERS``).
    extra_candidates: tuple[str, ...] = ()
    recipe: dict[str, Any] = field(default_factory=dict)


@dataclass
class CandidateResult:
    """A candidate's figures over every training side, and its fit on the last one."""

    candidate: Candidate
    metrics: dict[str, Any]
    #: Nested candidates: the setting each outer training fold chose for itself.
    chosen: list[dict[str, Any]]
    last_fit: FittedModel
    last_eval: tuple[FloatArray, FloatArray]
