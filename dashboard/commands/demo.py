"""``demo``: generate → build → train → score → serve, with progress shown.

The demo aims at the dashboard in about a minute (issue 11: it took 4 min 36 s). Each step
says when it starts and how long it took, training speaks at least every few seconds (a
heartbeat repeats the current model while it fits), and the end is a short summary and the
URL in a box. The metric tables are ``shopsight report``'s, not the demo's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.commands.heartbeat import Heartbeat
from dashboard.commands.output import EXIT_OK, progress
from dashboard.commands.serve import ServeOptions, run_serve
from dashboard.commands.warehouse import GenerateOptions, run_build, run_generate

STEPS = 5
#: What ``--fast`` leaves to ``shopsight train`` (said in the output; model_runs' split
#: column records the rest).
SKIPPED = (
    "skipped for speed: decision tree, random forest, SVM and MLP candidates; "
    "5-fold CV of tables over 10,000 rows"
)


@dataclass(frozen=True)
class DemoOptions:
    workdir: Path = Path("demo-data")
    customers: int = 5000
    days: int = 180
    seed: int = 42
    host: str = "127.0.0.1"
    port: int = 8050
    serve: bool = True
    currency: str | None = None


class Steps:
    """Numbered step lines, each closed with its time; the clock starts with the demo."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, number: int, name: str, title: str) -> Iterator[None]:
        print(f"[{number}/{STEPS}] {title}", flush=True)
        began = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - began
        print(f"      {name} done in {self.seconds[name]:,.1f} s", flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def run_demo(options: DemoOptions) -> int:
    """The whole pipeline on a generated shop, ending (unless told not to) in the dashboard."""
    from warehouse.build import BuildOptions

    steps = Steps()
    data_dir = options.workdir / "data"
    db = options.workdir / "warehouse.duckdb"
    generate = GenerateOptions(
        out=data_dir, customers=options.customers, days=options.days, seed=options.seed
    )
    with steps.step(1, "generate", f"generating a demo shop ({options.customers:,} customers)"):
        run_generate(generate)
    with steps.step(2, "build", f"building the warehouse {db}"):
        run_build(
            db, [str(data_dir)], BuildOptions(format="event-log", memory_limit="4GB", force=True)
        )
    with steps.step(3, "train", "training models (fast candidates; `shopsight train` runs all)"):
        trained = _train(db)
    with steps.step(4, "score", "scoring every session and customer"):
        scored = _score(db)
    summary = [trained, SKIPPED, scored, f"every candidate's figures: shopsight report --db {db}"]
    if not options.serve:
        summary.append(f"the dashboard: shopsight serve --db {db}")
        _box([f"ShopSight demo ready in {steps.elapsed():,.0f} s", *summary])
        return EXIT_OK
    print(f"[5/{STEPS}] starting the dashboard", flush=True)

    def announce(url: str) -> None:
        _box(
            [
                f"ShopSight is ready:  {url}",
                "demo mode: no sign-in, this machine only; Ctrl+C stops it",
                f"from `shopsight demo` to this line: {steps.elapsed():,.0f} s",
                *summary,
            ]
        )

    def warmed(seconds: float) -> None:
        progress(f"every page's default view computed ({seconds:,.1f} s)")

    serve = ServeOptions(
        db=db,
        demo=True,
        host=options.host,
        port=options.port,
        currency=options.currency,
        log_level="warning",  # no start-up banner, no request lines: the box says it all
        announce=announce,
        warmed=warmed,
    )
    return run_serve(serve)


def _train(db: Path) -> str:
    """Train the fast candidates; one line on what came out."""
    from models.train import TrainOptions, train_models

    with Heartbeat(progress) as beat:
        summary = train_models(db, TrainOptions(horizon_days=30, fast=True), progress=beat)
    return _trained_line(summary.runs, summary.seconds)


def _trained_line(runs: list[dict[str, Any]], seconds: float) -> str:
    selected = sorted({r["task"] for r in runs if r.get("selected")})
    missing = sorted({r["task"] for r in runs if r["status"] in ("unavailable", "refused")})
    line = f"{len(selected)} models trained in {seconds:,.0f} s"
    if missing:
        line += f"; not trained: {', '.join(missing)}"
    return line


def _score(db: Path) -> str:
    from models.score import score_models

    with Heartbeat(progress) as beat:
        summary = score_models(db, None, progress=beat)
    return (
        f"{summary.session_rows:,} sessions and {summary.customer_rows:,} customers scored "
        f"in {summary.seconds:,.0f} s"
    )


def _box(lines: list[str]) -> None:
    """Lines in a frame, so the URL stands out from the progress above it."""
    width = max(len(line) for line in lines)
    print("╭" + "─" * (width + 4) + "╮")
    for line in lines:
        print(f"│  {line:<{width}}  │")
    print("╰" + "─" * (width + 4) + "╯", flush=True)
