"""Rebuild and retrain from the Data page, in child processes, with progress.

The work runs as ``shopsight build``, ``train`` and ``score`` child processes, one after the
other, so a long build never holds the web process (its memory, its GIL); a thread reads
their progress lines. Each step swaps the ``--db`` link atomically when it finishes, so the
dashboard serves the old build until the new one is in place. One job at a time per app.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# (step, command arguments after `shopsight`, share of the progress bar when it ends)
STEPS: tuple[tuple[str, list[str], int], ...] = (
    ("rebuilding the warehouse", ["build", "--force"], 40),
    ("training the models", ["train", "--fast"], 85),
    ("scoring every session and customer", ["score"], 100),
)


@dataclass
class JobState:
    status: str = "idle"  # idle | running | done | failed
    step: str = ""
    percent: int = 0
    message: str = ""
    started_by: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    log: list[str] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.time()) - self.started_at


class RebuildJob:
    """The one rebuild-and-retrain job of an app."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self.state = JobState()

    def start(self, inputs: list[str], user: str) -> bool:
        """Start the job; False when one is already running."""
        with self._lock:
            if self.state.status == "running":
                return False
            self.state = JobState(
                status="running",
                step=STEPS[0][0],
                started_by=user,
                started_at=time.time(),
                message="starting",
            )
        thread = threading.Thread(target=self._run, args=(inputs,), daemon=True)
        thread.start()
        return True

    def snapshot(self) -> JobState:
        with self._lock:
            return JobState(**{**self.state.__dict__, "log": list(self.state.log[-8:])})

    def _run(self, inputs: list[str]) -> None:
        previous = 0
        for step, args, share in STEPS:
            with self._lock:
                self.state.step, self.state.percent = step, previous
            command = [sys.executable, "-m", "dashboard.cli", *args, "--db", str(self.db_path)]
            if args[0] == "build":
                command += inputs
            code = self._follow(command, previous, share)
            if code != 0:
                with self._lock:
                    self.state.status = "failed"
                    self.state.finished_at = time.time()
                    self.state.error = f"{step} failed (exit {code}): " + (
                        self.state.log[-1] if self.state.log else "no output"
                    )
                return
            previous = share
        with self._lock:
            self.state.status, self.state.percent = "done", 100
            self.state.finished_at = time.time()
            self.state.message = "the dashboard now serves the new build"

    def _follow(self, command: list[str], start: int, end: int) -> int:
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as process:
            assert process.stdout is not None
            lines = 0
            for raw in process.stdout:
                line = raw.strip()
                if not line or "▕" in line:  # DuckDB's own progress bar
                    continue
                lines += 1
                with self._lock:
                    self.state.message = line[-160:]
                    self.state.log.append(line[-200:])
                    # Progress lines carry no total: the bar creeps towards the step's end.
                    self.state.percent = min(end - 1, start + int((end - start) * (1 - 0.9**lines)))
            return process.wait()
