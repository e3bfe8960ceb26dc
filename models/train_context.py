"""What one ``shopsight train`` run knows while it trains: options, capabilities, the runs.

Split from :mod:`models.train` so the task modules and the protocol share it without
importing the orchestration that calls them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from models import features as feat
from models.labels import CustomLabel
from models.runs import RunRecord
from warehouse.engine import load_sql

Progress = Callable[[str], None]


@dataclass
class TrainOptions:
    """What ``shopsight train`` does; the defaults are the documented protocol."""

    horizon_days: int = 30
    label: CustomLabel | None = None
    artifacts_dir: Path | None = None
    #: Demo mode: only the fast candidates (logistic regression / linear, XGBoost), and one
    #: group holdout instead of cross-validation above :attr:`fast_max_cv_rows` rows.
    fast: bool = False
    only_candidates: tuple[str, ...] | None = None
    seed: int = 7
    cv_folds: int = 5
    #: Tables up to this many rows are cross-validated; larger ones get one group holdout.
    max_cv_rows: int = 60_000
    #: Fast mode's limit: a 48k-session demo table gets an 80/20 group holdout, calibrated on
    #: 20 % of the training groups (one fit per candidate), instead of 5 folds of 3 cross-fits
    #: each and a refit (24 fits), which was most of the demo's training time (issue 14).
    #: Small tables, such as the converting sessions' order values, keep cross-validation:
    #: a 20 % holdout of them is too few rows to judge a model by.
    fast_max_cv_rows: int = 10_000
    #: Evaluation rows per candidate (a seeded sample of larger test sets).
    max_test_rows: int = 100_000
    segment_sample: int = 50_000
    hdbscan_sample: int = 15_000
    prefix_events: tuple[int, ...] = (1, 3, 5)
    #: False: train only the custom label, keeping the built-in models' runs and artifacts.
    builtin: bool = True

    def cv_row_limit(self) -> int:
        """Tables up to this many rows are cross-validated; larger ones get a group holdout."""
        return min(self.max_cv_rows, self.fast_max_cv_rows) if self.fast else self.max_cv_rows

    def crossfit_row_limit(self) -> int:
        """Training sets up to this many rows calibrate on cross-fitted scores (four fits);
        larger ones on 20 % of their groups held back (one fit). Fast mode draws the line
        where it stops cross-validating."""
        from models.fitting import CROSSFIT_MAX_ROWS

        return min(CROSSFIT_MAX_ROWS, self.fast_max_cv_rows) if self.fast else CROSSFIT_MAX_ROWS


class TrainContext:
    """The warehouse connection, its capabilities and everything the run has recorded."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db_path: Path,
        options: TrainOptions,
        artifacts_dir: Path,
        progress: Progress | None,
    ) -> None:
        self.con = con
        self.db_path = db_path
        self.options = options
        self.artifacts_dir = artifacts_dir
        self.progress = progress
        self.caps = {
            str(name): (bool(avail), str(reason))
            for name, avail, reason in feat.rows(con, load_sql("capability_list"))
        }
        self.build_id = str(feat.frame(con, load_sql("current_build"))["build_id"][0])
        self.window = feat.data_window(con)
        self.train_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        self.trained_at = datetime.now(UTC).replace(tzinfo=None)
        self.runs: list[RunRecord] = []
        #: task -> sidecar of the model that scores it (``artifacts/index.json``).
        self.index: dict[str, str] = {}
        self.task_seconds: dict[str, float] = {}

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def has(self, name: str) -> bool:
        return self.caps.get(name, (False, ""))[0]

    def reason(self, name: str, default: str = "unknown") -> str:
        """Why a capability is (un)available, in the warehouse's words."""
        return self.caps.get(name, (False, default))[1]

    def missing(self, *names: str) -> str | None:
        why = [f"{n}: {self.reason(n)}" for n in names if not self.has(n)]
        return "; ".join(why) if why else None

    def record(self, run: RunRecord) -> RunRecord:
        """Add ``run`` to ``model_runs``, stamped with this training run's identity."""
        stamped = replace(
            run,
            run_id=f"{self.train_id}:{run.task}:{run.candidate or '-'}",
            train_id=self.train_id,
            build_id=self.build_id,
            trained_at=self.trained_at,
        )
        self.runs.append(stamped)
        return stamped

    def unavailable(self, task: str, entity: str, kind: str, reason: str) -> None:
        self.say(f"{task}: unavailable — {reason}")
        self.record(RunRecord(task, entity, kind, status="unavailable", reason=reason))

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Add the wall time of the block to ``task_seconds[name]`` (benchmarks read it)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.task_seconds[name] = self.task_seconds.get(name, 0.0) + elapsed
