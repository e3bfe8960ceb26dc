"""``demo``: generate → build → train → score → report → serve, with progress shown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.commands.models import TrainRequest, run_report, run_score, run_train
from dashboard.commands.output import EXIT_OK
from dashboard.commands.serve import ServeOptions, run_serve
from dashboard.commands.warehouse import GenerateOptions, run_build, run_generate, run_info


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


def run_demo(options: DemoOptions) -> int:
    """The whole pipeline on a generated shop, ending (unless told not to) in the dashboard."""
    from warehouse.build import BuildOptions

    data_dir = options.workdir / "data"
    db = options.workdir / "warehouse.duckdb"
    print(f"[1/6] generating demo data ({options.customers:,} customers, {options.days} days)")
    run_generate(
        GenerateOptions(
            out=data_dir, customers=options.customers, days=options.days, seed=options.seed
        )
    )
    print(f"[2/6] building the warehouse {db}")
    build = BuildOptions(format="event-log", memory_limit="4GB", force=True)
    run_build(db, [str(data_dir)], build)
    run_info(db)
    # The demo trains the fast candidates only (logistic/linear and XGBoost) to stay near a
    # minute; model_runs records which candidates ran. `shopsight train` runs them all.
    print("[3/6] training models (fast candidates: logistic/linear regression and XGBoost)")
    run_train(TrainRequest(db=db, horizon_days=30, fast=True))
    print("[4/6] scoring every session and customer")
    run_score(db)
    print("[5/6] model report")
    run_report(db)
    if not options.serve:
        return EXIT_OK
    print("[6/6] serving the dashboard")
    return run_serve(
        ServeOptions(
            db=db, demo=True, host=options.host, port=options.port, currency=options.currency
        )
    )
