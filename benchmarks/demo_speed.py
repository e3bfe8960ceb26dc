"""``shopsight demo`` from the command to a warm dashboard, step by step.

Runs the real command in a child process (its own interpreter, imports included) on a free
port and times, from the moment it is started:

- each step the demo announces (``[n/N] …`` lines: generate, build, train, score, …);
- the first page: ``GET /`` and the page layout (``GET /_dash-layout``) both answering 200;
- the default views warm (the demo's "default view computed" line, or the old server's
  "default views computed" log line).

then stops the server. ``--checkout`` runs another checkout's demo the same way (for the
figures before a change, e.g. ``--checkout /work/main``), so both are measured alike.

Usage::

    python benchmarks/demo_speed.py                     # this checkout, the demo's defaults
    python benchmarks/demo_speed.py --checkout ../main  # another checkout, same measure
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP_LINE = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")
WARM_LINES = ("default view computed", "default views computed")
#: Step titles (their first word) → the names the table shows.
STEP_NAMES = {
    "generating": "generate",
    "building": "build",
    "training": "train",
    "scoring": "score",
    "model": "report",
    "serving": "serve: start → first page",
    "starting": "serve: start → first page",
}


@dataclass
class Timeline:
    """When each announced step started, and when the server was ready, in seconds."""

    started: float = field(default_factory=time.perf_counter)
    steps: list[tuple[str, float]] = field(default_factory=list)
    warm: float | None = None
    lines: list[str] = field(default_factory=list)

    def now(self) -> float:
        return time.perf_counter() - self.started

    def read(self, stream: object) -> None:
        """Record step starts and the warm line as the child prints them."""
        for raw in stream:  # type: ignore[attr-defined]
            line = str(raw).rstrip("\n")
            self.lines.append(line)
            step = STEP_LINE.match(line)
            if step:
                word = step.group(3).split()[0].lower()
                self.steps.append((STEP_NAMES.get(word, word), self.now()))
            if self.warm is None and any(w in line for w in WARM_LINES):
                self.warm = self.now()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def first_page(port: int, timeline: Timeline, child: subprocess.Popen[str], limit: float) -> float:
    """Seconds until ``/`` and its layout answer (the demo trains first, so this is long)."""
    base = f"http://127.0.0.1:{port}"
    while timeline.now() < limit:
        if child.poll() is not None:
            done = "\n".join(f"  {name} started at {start:.1f} s" for name, start in timeline.steps)
            tail = "\n".join(timeline.lines[-30:])
            raise SystemExit(f"the demo stopped before serving:\n{tail}\nsteps seen:\n{done}")
        if answers(base + "/") and answers(base + "/_dash-layout"):
            return timeline.now()
        time.sleep(0.2)
    raise SystemExit(f"no first page within {limit:.0f} s")


def run_demo(checkout: Path, customers: int, limit: float) -> tuple[Timeline, float]:
    """The demo in a child process until its first page answers and its views are warm."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="shopsight-demo-speed-"))
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "dashboard.cli", "demo", "--workdir", str(workdir)]
    command += ["--port", str(port), "--customers", str(customers)]
    timeline = Timeline()
    child = subprocess.Popen(
        command,
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reader = threading.Thread(target=timeline.read, args=(child.stdout,), daemon=True)
    reader.start()
    try:
        page = first_page(port, timeline, child, limit)
        while timeline.warm is None and timeline.now() < page + 60 and child.poll() is None:
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
        reader.join(timeout=5)
    return timeline, page


def report(timeline: Timeline, page: float) -> list[str]:
    """One line per step (its start to the next step's), the first page and the warm views."""
    rows = []
    ends = [start for _, start in timeline.steps[1:]] + [page]
    for (name, start), end in zip(timeline.steps, ends, strict=True):
        rows.append(f"  {name:<28}{end - start:>8.1f} s")
    rows.append(f"  {'command → first page':<28}{page:>8.1f} s")
    if timeline.warm is not None:
        rows.append(f"  {'command → default views warm':<28}{timeline.warm:>8.1f} s")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="whose demo to run")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=900.0, help="give up after (s)")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    before = os.getloadavg()
    timeline, page = run_demo(checkout, args.customers, args.limit)
    after = os.getloadavg()
    print(f"shopsight demo ({args.customers:,} customers) from {checkout}")
    print(f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min)", end=" ")
    print(f"before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}", end=", ")
    print(f"after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    print("\n".join(report(timeline, page)))


if __name__ == "__main__":
    main()
