"""What keeps the demo fast and talkative: fast mode's splits, thread limits, the heartbeat."""

from __future__ import annotations

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from dashboard.commands.heartbeat import Heartbeat
from models import candidates
from models.candidates import get_candidate
from models.fitting import fit_candidate
from models.splits import split_words
from models.task_data import TaskData
from models.train_context import TrainOptions


def test_heartbeat_repeats_the_last_message_while_a_step_is_silent():
    said: list[str] = []
    with Heartbeat(said.append, every=0.3) as beat:
        beat("fitting xgboost")
        time.sleep(1.0)
        beat("selected xgboost")
    count = len(said)
    time.sleep(0.5)
    assert said[0] == "fitting xgboost" and said[-1] == "selected xgboost"
    beats = said[1:-1]
    assert len(beats) >= 2
    assert all(b.startswith("fitting xgboost … still working (") for b in beats)
    assert len(said) == count  # nothing after the step ended


def test_fast_mode_holds_out_large_tables_and_keeps_small_ones_cross_validated():
    full, fast = TrainOptions(), TrainOptions(fast=True)
    assert (full.cv_row_limit(), full.crossfit_row_limit()) == (60_000, 60_000)
    assert (fast.cv_row_limit(), fast.crossfit_row_limit()) == (10_000, 10_000)


def _task(rows: int, split: str) -> TaskData:
    return TaskData(
        task="session_conversion",
        entity="session",
        kind="classification",
        names=["a"],
        x=np.zeros((rows, 1)),
        y=np.zeros(rows),
        groups=np.arange(rows),
        label_definition="",
        split=split,
    )


def test_what_fast_mode_skipped_is_recorded_in_the_split_method():
    fast, full = TrainOptions(fast=True), TrainOptions()
    held_out = split_words(_task(48_000, "holdout"), fast, [])
    assert held_out.startswith("group holdout 80/20")
    assert "--fast: the fast candidates only, a group holdout instead of 5-fold CV" in held_out
    assert "calibrated on 20 % of their groups held back" in held_out
    assert "--fast" not in split_words(_task(48_000, "holdout"), full, [])
    # Beyond the full protocol's own limit the holdout is no shortcut of fast mode.
    assert "instead of 5-fold CV" not in split_words(_task(80_000, "holdout"), fast, [])


def test_a_training_side_over_the_crossfit_limit_is_fitted_once_on_four_fifths_of_its_groups():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2_000, 3))
    y = (x[:, 0] + rng.normal(size=2_000) > 1).astype(float)
    groups = np.arange(2_000) // 2
    logistic = get_candidate("classification", "logistic_regression")
    crossfitted = fit_candidate(logistic, x, y, groups, seed=7)
    held_out = fit_candidate(logistic, x, y, groups, seed=7, crossfit_max_rows=1_000)
    assert crossfitted.rows_fitted == 2_000  # cross-fitted, then fitted on every row
    assert held_out.rows_fitted == pytest.approx(1_600, abs=2)  # 20 % of groups calibrate
    assert held_out.calibration is not None and held_out.threshold is not None


def _openmp_threads() -> set[int]:
    return {int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "openmp"}


def test_openmp_runs_on_one_thread_unless_the_machine_is_quiet(monkeypatch):
    import xgboost  # noqa: F401  (loads the OpenMP runtime threadpoolctl limits)

    outside = _openmp_threads()
    monkeypatch.setattr(candidates, "machine_is_quiet", lambda: False)
    with candidates.thread_limits():
        assert _openmp_threads() == {1}
    monkeypatch.setattr(candidates, "machine_is_quiet", lambda: True)
    with candidates.thread_limits():
        assert _openmp_threads() == outside


def test_the_load_average_decides_whether_the_machine_is_quiet(monkeypatch):
    monkeypatch.setattr(candidates.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(candidates.os, "getloadavg", lambda: (1.1, 0.0, 0.0))
    assert candidates.machine_is_quiet()
    monkeypatch.setattr(candidates.os, "getloadavg", lambda: (2.9, 0.0, 0.0))
    assert not candidates.machine_is_quiet()
    monkeypatch.setattr(candidates.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(candidates.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert not candidates.machine_is_quiet()
