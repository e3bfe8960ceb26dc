"""``shopsight train``: fit, audit, evaluate and select every model the data allows.

For each task the capabilities allow (the others are recorded as unavailable, with the
reason), the flow is the protocol of docs/models.md:

1. build point-in-time features and the label (what to train: :mod:`models.session_tasks`,
   :mod:`models.customer_tasks`, :mod:`models.segment_task`, :mod:`models.custom_task`);
2. the leakage audit (:mod:`models.leakage`): a label a depth-3 tree rebuilds is withheld;
3. split by group (sessions grouped by customer) or by time (customer horizons): train at an
   earlier cutoff, evaluate at a later one (:mod:`models.splits`);
4. fit every candidate (:mod:`models.candidates`), calibrated on held-out training groups;
5. evaluate at natural prevalence; select by PR-AUC (classes) or MAE (amounts)
   (:mod:`models.protocol`);
6. write every candidate's metrics to ``model_runs`` (:mod:`models.runs`), each with its
   verdict against the naive baselines (:mod:`models.verdicts`), and the selected model's
   artifacts (:mod:`models.task_artifacts`).

Everything is written into a derived version of the warehouse (never the file the ``--db``
link points at), swapped in atomically when training succeeds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import artifacts as art
from models.candidates import thread_limits
from models.custom_task import custom_dataset, custom_task, prepare_custom
from models.customer_tasks import customer_dataset, customer_tasks
from models.runs import RUN_COLUMNS, existing_runs, write_runs
from models.segment_task import CUSTOMER_SEGMENT_FEATURES, segment_table, segment_task
from models.session_tasks import session_tasks
from models.train_context import Progress, TrainContext, TrainOptions
from models.verdicts import with_verdicts
from warehouse.versions import derived_version

__all__ = [
    "CUSTOMER_SEGMENT_FEATURES",
    "RUN_COLUMNS",
    "TrainOptions",
    "TrainSummary",
    "custom_dataset",
    "customer_dataset",
    "segment_table",
    "train_models",
]


@dataclass
class TrainSummary:
    train_id: str
    artifacts_dir: Path
    #: ``model_runs`` rows as dicts (column -> value), for the CLI's table and benchmarks.
    runs: list[dict[str, Any]]
    seconds: float
    task_seconds: dict[str, float]


def train_models(
    db_path: Path | str, options: TrainOptions | None = None, progress: Progress | None = None
) -> TrainSummary:
    """Fit every model the warehouse's capabilities allow and record them in ``model_runs``."""
    options = options or TrainOptions()
    db_path = Path(db_path)
    started = time.perf_counter()
    artifacts_dir = Path(options.artifacts_dir or art.default_dir(db_path))
    # One BLAS thread, and one OpenMP thread unless the machine is quiet: spinning worker
    # threads fighting over two cores made fits 10-40x slower (candidates.thread_limits).
    with thread_limits(), derived_version(db_path, "models") as con:
        con.execute("SET enable_progress_bar = false")
        ctx = TrainContext(con, db_path, options, artifacts_dir, progress)
        # A label that cannot be evaluated fails here, before anything else is fitted.
        custom = prepare_custom(ctx)
        if options.builtin:
            session_tasks(ctx)
            customer_tasks(ctx)
            segment_task(ctx)
        custom_task(ctx, custom)
        if not options.builtin:
            _keep_other_tasks(ctx)
        # Verdicts are computed from the figures just recorded, never typed in.
        ctx.runs = with_verdicts(ctx.runs)
        write_runs(con, ctx.runs)
        art.write_index(artifacts_dir, ctx.index)
    runs = [run.as_row() for run in ctx.runs]
    seconds = time.perf_counter() - started
    return TrainSummary(ctx.train_id, artifacts_dir, runs, seconds, ctx.task_seconds)


def _keep_other_tasks(ctx: TrainContext) -> None:
    """Keep the runs and artifacts of every task this run did not train."""
    fresh = {run.task for run in ctx.runs}
    kept = [run for run in existing_runs(ctx.con) if run.task not in fresh]
    ctx.runs = kept + ctx.runs
    stored = art.read_index(ctx.artifacts_dir)
    ctx.index = {**{k: v for k, v in stored.items() if k not in fresh}, **ctx.index}
