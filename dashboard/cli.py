"""The ``shopsight`` command: argument parsing only.

Each sub-command is a thin adapter that turns its arguments into the typed options of a
function in ``dashboard.commands`` (the only package allowed to reach every layer) and calls
it; ``shopsight demo`` calls the same functions.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeAlias

from common.errors import ShopSightError
from dashboard.commands.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def _version() -> str:
    try:
        return version("shopsight")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown (not installed)"


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _currency_code(value: str) -> str:
    """``--currency``: an ISO 4217 code such as EUR (checked here, upper-cased)."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise argparse.ArgumentTypeError(f"{value!r} is not a three-letter code like EUR or USD")
    return code


def _add_currency(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--currency",
        type=_currency_code,
        default=None,
        metavar="CODE",
        help="currency of money amounts (ISO code, e.g. EUR) where the data states none",
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from dashboard.commands.campaigns import planted_effect
    from dashboard.commands.warehouse import GenerateOptions, run_generate

    return run_generate(
        GenerateOptions(
            out=args.out,
            customers=args.customers,
            days=args.days,
            seed=args.seed,
            file_format=args.file_format,
            planted=planted_effect(
                args.plant_members, args.plant_start, args.plant_window_days, args.plant_lift
            ),
        )
    )


def cmd_build(args: argparse.Namespace) -> int:
    from dashboard.commands.warehouse import run_build
    from warehouse.build import BuildOptions

    options = BuildOptions(
        format=args.format,
        mapping=_optional_path(args.mapping),
        session_gap_minutes=args.session_gap,
        threads=args.threads,
        memory_limit=args.memory_limit,
        force=args.force,
    )
    return run_build(Path(args.db), args.inputs, options)


def cmd_info(args: argparse.Namespace) -> int:
    from dashboard.commands.warehouse import run_info

    return run_info(Path(args.db), as_json=args.json)


def cmd_train(args: argparse.Namespace) -> int:
    from dashboard.commands.models import TrainRequest, run_train

    return run_train(
        TrainRequest(
            db=Path(args.db),
            horizon_days=args.horizon_days,
            label=args.label,
            label_name=args.label_name,
            label_on=args.label_on,
            artifacts=_optional_path(args.artifacts),
            fast=args.fast,
            label_only=args.label_only,
        )
    )


def cmd_score(args: argparse.Namespace) -> int:
    from dashboard.commands.models import run_score

    return run_score(Path(args.db), _optional_path(args.artifacts))


def cmd_report(args: argparse.Namespace) -> int:
    from dashboard.commands.models import run_report

    return run_report(Path(args.db), as_json=args.json)


def cmd_serve(args: argparse.Namespace) -> int:
    from dashboard.commands.serve import ServeOptions, run_serve

    return run_serve(
        ServeOptions(
            db=Path(args.db),
            state=_optional_path(args.state),
            demo=args.demo,
            host=args.host,
            port=args.port,
            public_demo=args.public_demo,
            threads=args.threads,
            proxy_hops=args.proxy_hops,
            log_level=args.log_level,
            currency=args.currency,
        )
    )


def cmd_export(args: argparse.Namespace) -> int:
    from dashboard.commands.export import ExportOptions, run_export

    return run_export(
        ExportOptions(
            db=Path(args.db),
            out=Path(args.out),
            cohort=args.cohort,
            cohort_name=args.cohort_name,
            entity=args.entity,
            holdout=args.holdout,
            seed=args.seed,
            state=_optional_path(args.state),
            currency=args.currency,
        )
    )


def cmd_users(args: argparse.Namespace) -> int:
    from dashboard.commands.users import UsersOptions, run_users, state_path

    return run_users(
        UsersOptions(
            action=args.action,
            state=state_path(Path(args.db), _optional_path(args.state)),
            name=args.name,
            role=args.role,
            password_stdin=args.password_stdin,
        )
    )


def cmd_campaign(args: argparse.Namespace) -> int:
    from dashboard.commands import campaigns as c

    options = c.CampaignOptions(db=Path(args.db), state=_optional_path(args.state))
    if args.action == "create":
        start = _iso_date(args.start) if args.start else None
        spec = {
            "name": args.name,
            "cohort_query": args.cohort,
            "goal": args.goal,
            "window_days": args.window_days,
            "holdout_share": args.holdout,
            "seed": args.seed,
            "start_date": start,
        }
        return c.run_campaign_create(options, spec)
    if args.action == "report":
        return c.run_campaign_report(options, args.name, as_json=args.json)
    if args.action == "export":
        return c.run_campaign_export(options, args.name, Path(args.out))
    return c.run_campaign_contacted(options, args.name, args.customer_ids)


def _iso_date(value: str) -> date:
    from dashboard.commands.output import UsageError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{value!r} is not a date like 2025-04-01") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from dashboard.commands.demo import DemoOptions, run_demo

    return run_demo(
        DemoOptions(
            workdir=Path(args.workdir),
            customers=args.customers,
            days=args.days,
            seed=args.seed,
            host=args.host,
            port=args.port,
            serve=not args.no_serve,
            currency=args.currency,
        )
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shopsight",
        description="Local-first customer-behaviour BI: clickstream and orders in, a DuckDB "
        "feature warehouse out.",
    )
    parser.add_argument("--version", action="version", version=f"shopsight {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_generate(sub)
    _add_build(sub)
    _add_info_report_score(sub)
    _add_train(sub)
    _add_serve(sub)
    _add_export(sub)
    _add_users(sub)
    _add_campaign(sub)
    _add_demo(sub)
    return parser


# argparse names no public type for the object add_subparsers returns.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_generate(sub: Subparsers) -> None:
    p = sub.add_parser("generate", help="write a realistic synthetic event log (REES46 shape)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--file-format", choices=("parquet", "csv"), default="parquet")
    plant = p.add_argument_group(
        "a planted campaign effect", "raise treated customers' purchase probability (tests)"
    )
    plant.add_argument(
        "--plant-members", type=Path, metavar="FILE", help="a list with a customer_id column"
    )
    plant.add_argument("--plant-start", metavar="YYYY-MM-DD", help="the campaign's start day")
    plant.add_argument("--plant-window-days", type=int, default=30, metavar="N")
    plant.add_argument(
        "--plant-lift", type=float, default=0.0, metavar="P", help="absolute lift, e.g. 0.05"
    )
    p.set_defaults(func=cmd_generate)


def _add_build(sub: Subparsers) -> None:
    from warehouse.formats import FORMATS

    p = sub.add_parser("build", help="ingest files, folders or globs and (re)build the warehouse")
    p.add_argument("--db", required=True, type=Path, help="warehouse path (a symlink it manages)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--format", choices=sorted(FORMATS), help="skip header detection")
    group.add_argument("--mapping", help="TOML file mapping another export onto the events")
    p.add_argument(
        "--session-gap",
        type=int,
        default=30,
        metavar="MIN",
        help="inactivity gap that splits sessions where a source has none",
    )
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit (default 4GB)")
    p.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.set_defaults(func=cmd_build)


def _add_info_report_score(sub: Subparsers) -> None:
    p = sub.add_parser("info", help="build id, capabilities, row counts and the ingest ledger")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("score", help="write session_scores, customer_scores and segments")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--artifacts", default=None, metavar="DIR")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("report", help="model comparison and metrics, read from model_runs")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report)


def _add_train(sub: Subparsers) -> None:
    p = sub.add_parser("train", help="fit, audit and evaluate every model the data allows")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--horizon-days", type=int, default=30, help="customer horizon (days)")
    p.add_argument("--label", default=None, metavar="SQL", help="custom label expression")
    p.add_argument("--label-name", default=None, metavar="NAME")
    p.add_argument(
        "--label-on",
        choices=("sessions", "customers"),
        default=None,
        help="mart the custom label is written against (default: customers when the data "
        "has customer ids, else sessions)",
    )
    p.add_argument("--artifacts", default=None, metavar="DIR", help="default: artifacts/ by --db")
    p.add_argument(
        "--fast", action="store_true", help="only the fast candidates (logistic/linear, XGBoost)"
    )
    p.add_argument(
        "--label-only",
        action="store_true",
        help="train only the custom label; keep the built-in models as they are",
    )
    p.set_defaults(func=cmd_train)


def _add_serve(sub: Subparsers) -> None:
    p = sub.add_parser("serve", help="the dashboard")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--state", default=None, help="app-state store (default: next to --db)")
    p.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="demo mode: no login, every visitor acts as admin (default on; loopback only)",
    )
    p.add_argument(
        "--public-demo",
        action="store_true",
        help="allow demo mode on a --host other machines reach (everyone is an admin!)",
    )
    p.add_argument("--threads", type=int, default=None, help="request threads (default 2/core)")
    p.add_argument(
        "--proxy-hops",
        type=int,
        default=0,
        metavar="N",
        help="behind N reverse proxies (TLS): trust their X-Forwarded-For/-Proto, secure cookies",
    )
    p.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help="debug logs one line per request",
    )
    _add_currency(p)
    p.set_defaults(func=cmd_serve)


def _add_export(sub: Subparsers) -> None:
    p = sub.add_parser(
        "export", help="a filtered customer (or session) list as .csv, .parquet or .xlsx"
    )
    p.add_argument("--db", required=True, type=Path)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--cohort", metavar="QUERY", help="cohort query string, e.g. country=UK")
    group.add_argument("--cohort-name", metavar="NAME", help="a cohort saved in the app")
    p.add_argument("--out", required=True, help="output file; its suffix picks the format")
    p.add_argument("--entity", choices=("customers", "sessions"), default="customers")
    p.add_argument(
        "--holdout",
        type=float,
        default=None,
        metavar="SHARE",
        help="mark about this share of rows as a control group (holdout column)",
    )
    p.add_argument("--seed", type=int, default=None, help="hold-out seed (default 0)")
    p.add_argument("--state", default=None, help="app-state store (default: next to --db)")
    _add_currency(p)
    p.set_defaults(func=cmd_export)


def _add_users(sub: Subparsers) -> None:
    p = sub.add_parser("users", help="dashboard users: add, list, set a role or a password")
    p.add_argument("action", choices=("add", "list", "role", "password"))
    p.add_argument("name", nargs="?")
    p.add_argument("--role", choices=("viewer", "analyst", "admin"), default="viewer")
    p.add_argument(
        "--db",
        default=os.environ.get("SHOPSIGHT_DB", "demo-data/warehouse.duckdb"),
        help="the warehouse whose app-state store holds the users (default: $SHOPSIGHT_DB "
        "or the demo's)",
    )
    p.add_argument("--state", default=None, help="the app-state store itself")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_users)


def _add_campaign(sub: Subparsers) -> None:
    p = sub.add_parser("campaign", help="campaigns with a control group, and their uplift")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="freeze a cohort into treatment and control")
    create.add_argument("--cohort", required=True, metavar="QUERY", help="e.g. churn_tier=High")
    create.add_argument("--name", required=True)
    create.add_argument("--holdout", type=float, default=0.1, metavar="SHARE")
    create.add_argument(
        "--goal", choices=("purchase", "revenue", "return_visit"), default="purchase"
    )
    create.add_argument("--window-days", type=int, default=30, metavar="N")
    create.add_argument("--seed", type=int, default=0, help="hold-out seed")
    create.add_argument("--start", metavar="YYYY-MM-DD", help="start day (default today)")
    report = actions.add_parser("report", help="treatment against control on the goal")
    report.add_argument("name")
    report.add_argument("--json", action="store_true")
    export = actions.add_parser("export", help="the treatment list, with provenance")
    export.add_argument("name")
    export.add_argument("--out", required=True, help=".csv or .parquet")
    contacted = actions.add_parser("contacted", help="record members as contacted")
    contacted.add_argument("name")
    contacted.add_argument("customer_ids", nargs="+", metavar="CUSTOMER_ID")
    for action in (create, report, export, contacted):
        action.add_argument("--db", required=True, type=Path)
        action.add_argument("--state", default=None, help="app-state store (default: by --db)")
    p.set_defaults(func=cmd_campaign)


def _add_demo(sub: Subparsers) -> None:
    p = sub.add_parser("demo", help="generate demo data, build, train, score and serve")
    p.add_argument("--workdir", default="demo-data")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--no-serve", action="store_true", help="stop before serving")
    _add_currency(p)
    p.set_defaults(func=cmd_demo)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return code
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ShopSightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`shopsight info | head`): stop quietly. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
