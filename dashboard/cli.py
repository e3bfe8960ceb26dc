"""The ``shopsight`` command: the only module allowed to reach every layer.

Heavy imports (the Dash app, models) happen inside the sub-command that needs them, so
``shopsight build`` starts fast and never loads Dash.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from common.errors import ShopSightError
from warehouse.errors import WarehouseNotFoundError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


_STARTED = time.perf_counter()


def _progress(message: str) -> None:
    print(f"  {time.perf_counter() - _STARTED:7.1f}s  {message}", file=sys.stderr, flush=True)


def _bar(done: int, total: int, started: float, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    elapsed = time.perf_counter() - started
    sys.stderr.write(
        f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} "
        f"({elapsed:,.1f} s)"
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_generate(args: argparse.Namespace) -> int:
    from synthetic.shop import generate_events

    started = time.perf_counter()
    summary = generate_events(
        args.out,
        customers=args.customers,
        days=args.days,
        seed=args.seed,
        file_format=args.file_format,
        progress=lambda done, total: _bar(done, total, started, "customers"),
    )
    print(
        f"wrote {summary.events:,} events in {summary.sessions:,} sessions of "
        f"{summary.customers:,} customers ({summary.purchases:,} purchases, "
        f"{summary.start:%Y-%m-%d} … {summary.end:%Y-%m-%d}) to {summary.out_dir} "
        f"in {time.perf_counter() - started:,.1f} s"
    )
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from warehouse.build import BuildOptions, build_warehouse

    options = BuildOptions(
        format=args.format,
        mapping=Path(args.mapping) if args.mapping else None,
        session_gap_minutes=args.session_gap,
        threads=args.threads,
        memory_limit=args.memory_limit,
        force=args.force,
    )
    result = build_warehouse(Path(args.db), args.inputs, options, progress=_progress)
    if result.noop:
        print(
            f"{args.db}: already built from these inputs (build {result.build_id}); nothing to do"
        )
        return EXIT_OK
    print(f"built {args.db} → {result.version_path.name} in {result.seconds:,.1f} s")
    for s in result.sources:
        status = "" if s.status == "loaded" else f"  [{s.status}]"
        print(
            f"  {s.path}: {s.format or '?'} — read {s.rows_read:,} = loaded {s.rows_loaded:,}"
            f" + rejected {s.rows_rejected:,}{status}"
        )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if any(s.rows_rejected for s in result.sources):
        print(
            f"  rejected rows are kept with their reasons: `shopsight info --db {args.db}` "
            "or the table rejected_rows"
        )
    return EXIT_OK


def _print_info(info: dict[str, Any]) -> None:
    print(f"build {info['build_id']} (built {info['built_at']})")
    print(f"data: {info['data_start']} … {info['data_end']}")
    print("capabilities:")
    for name, available in info["capabilities"].items():
        mark = "yes" if available else "no "
        print(f"  {mark}  {name:<22} {info['capability_reasons'][name]}")
    print("tables:")
    for name, count in info["tables"].items():
        print(f"  {name:<22} {count:>12,}")
    print("sources (rows read = loaded + rejected):")
    for s in info["sources"]:
        print(
            f"  {s['path']}  [{s['format'] or '?'}; sha256 {s['sha256'][:12]}…; {s['status']}]"
            f"\n      read {s['rows_read']:,} = loaded {s['rows_loaded']:,}"
            f" + rejected {s['rows_rejected']:,}" + (f"  — {s['note']}" if s["note"] else "")
        )
        if s.get("duplicates") or s.get("revenue_rule"):
            print(
                f"      duplicates: {s.get('duplicates') or '-'}; "
                f"revenue: {s.get('revenue_rule') or '-'}"
            )
        if s.get("shared_sessions"):
            print(f"      {s['shared_sessions']:,} session id(s) carry more than one customer id")
    if info["top_rejection_reasons"]:
        print("top rejection reasons:")
        for r in info["top_rejection_reasons"]:
            print(
                f"  {r['rows']:>8,}  {r['file']} (first at {r.get('first_at') or r['first_line']}):"
                f" {r['reason']}"
            )
            if r.get("top_values"):
                print(f"            values: {r['top_values']}")
    print("metrics:")
    for name, m in info["metrics"].items():
        if m["available"]:
            print(f"  {name:<24} {m['value']:.4f}   ({m['definition']})")
        else:
            print(f"  {name:<24} unavailable: {m['reason']}")


def cmd_info(args: argparse.Namespace) -> int:
    from warehouse.info import warehouse_info

    info = warehouse_info(Path(args.db))
    if args.json:
        json.dump(info, sys.stdout, indent=2, default=str)
        print()
    else:
        _print_info(info)
    return EXIT_OK


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _train_summary_table(runs: list[dict[str, Any]]) -> None:
    print(f"{'task':<26}{'status':<12}{'selected':<22}{'headline':<40}")
    seen: set[str] = set()
    for run in runs:
        task = run["task"]
        if run["status"] in ("unavailable", "refused"):
            print(f"{task:<26}{run['status']:<12}{'—':<22}{str(run['reason'])[:90]}")
            continue
        if not run.get("selected") or task in seen:
            continue
        seen.add(task)
        if run["kind"] == "classification":
            head = (
                f"ROC-AUC {_num(run['roc_auc'])}  PR-AUC {_num(run['pr_auc'])}  "
                f"Brier {_num(run['brier'])}  F1 {_num(run['f1'])}"
            )
        elif run["kind"] == "regression":
            head = f"MAE {_num(run['mae'], 2)}  R² {_num(run['r2'])}"
        elif run["kind"] == "clustering":
            head = (
                f"{run['n_clusters']} segments  silhouette {_num(run['silhouette'])}  "
                f"stability {_num(run['stability'])}"
            )
        else:
            head = str(run.get("split_method") or "")
        print(f"{task:<26}{'trained':<12}{str(run['candidate']):<22}{head}")


def cmd_train(args: argparse.Namespace) -> int:
    from models.labels import validate_label
    from models.train import TrainOptions, train_models

    if args.horizon_days < 1:
        print("error: --horizon-days must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.label_only and args.label is None:
        print("error: --label-only needs --label and --label-name", file=sys.stderr)
        return EXIT_USAGE
    if (args.label is None) != (args.label_name is None):
        print("error: --label and --label-name go together", file=sys.stderr)
        return EXIT_USAGE
    label = None
    if args.label is not None:
        mart = args.label_on or _default_label_mart(Path(args.db))
        label = validate_label(args.label_name, args.label, mart)
    options = TrainOptions(
        horizon_days=args.horizon_days,
        label=label,
        artifacts_dir=Path(args.artifacts) if args.artifacts else None,
        fast=args.fast,
        builtin=not args.label_only,
    )
    summary = train_models(Path(args.db), options, progress=_progress)
    _train_summary_table(summary.runs)
    print(
        f"trained in {summary.seconds:,.1f} s; artifacts in {summary.artifacts_dir}; "
        f"details: `shopsight report --db {args.db}`"
    )
    return EXIT_OK


def _default_label_mart(db: Path) -> str:
    from warehouse.info import warehouse_info

    return "customers" if warehouse_info(db)["capabilities"].get("has_customer_ids") else "sessions"


def cmd_score(args: argparse.Namespace) -> int:
    from models.score import score_models

    summary = score_models(
        Path(args.db), Path(args.artifacts) if args.artifacts else None, progress=_progress
    )
    print(
        f"scored {summary.session_rows:,} sessions and {summary.customer_rows:,} customers; "
        f"{summary.segment_rows:,} segments written in {summary.seconds:,.1f} s"
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from models.report import format_report, report

    tasks = report(Path(args.db))
    if args.json:
        json.dump(tasks, sys.stdout, indent=2, default=str)
        print()
    else:
        print(format_report(tasks))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from dashboard.app import create_app, warm_cache
    from dashboard.settings import Settings

    db = Path(args.db)
    if not db.exists():
        raise WarehouseNotFoundError(db)
    settings = Settings(
        db_path=db,
        state_path=Path(args.state) if args.state else None,
        demo_mode=args.demo,
    )
    app = create_app(settings)
    warm_cache(app)
    url = f"http://{args.host}:{args.port}/"
    mode = "demo mode: no login" if args.demo else "login required"
    print(f"ShopSight dashboard on {url} ({mode}); Ctrl+C stops it", flush=True)
    app.run(host=args.host, port=args.port, debug=False, threaded=True)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    import getpass
    import sqlite3

    from analytics.cohort import Cohort
    from analytics.export import ExportError, ExportRequest, export_to_file, format_for_path
    from appstate.store import AppState, default_state_path
    from warehouse.reader import WarehouseReader

    try:
        fmt = format_for_path(args.out)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.seed is not None and args.holdout is None:
        print("error: --seed only applies with --holdout", file=sys.stderr)
        return EXIT_USAGE
    db = Path(args.db)
    state_path = Path(args.state) if args.state else default_state_path(db)
    if args.cohort_name is not None:
        if not state_path.exists():
            print(
                f"error: no app-state store at {state_path}, so no saved cohorts", file=sys.stderr
            )
            return EXIT_FAILED
        saved = AppState(state_path).get_cohort(args.cohort_name)
        if saved is None:
            names = ", ".join(c.name for c in AppState(state_path).list_cohorts()) or "none"
            print(
                f"error: no saved cohort named {args.cohort_name!r} (saved: {names})",
                file=sys.stderr,
            )
            return EXIT_FAILED
        query = saved.query
    else:
        query = args.cohort
    try:
        user: str | None = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = None
    request = ExportRequest(
        cohort=Cohort.from_query(query),
        entity=args.entity,
        fmt=fmt,
        holdout_share=args.holdout,
        holdout_seed=args.seed or 0,
        user=user,
    )
    reader = WarehouseReader(db)
    try:
        result = export_to_file(reader, request, Path(args.out))
    finally:
        reader.close()
    provenance = result.provenance
    try:
        AppState(state_path).log_export(
            user=user,
            query=provenance["filters"]["query"],
            entity=request.entity,
            fmt=request.fmt,
            rows=result.rows,
            build_id=provenance["build_id"],
            holdout_share=request.holdout_share,
            holdout_seed=request.holdout_seed if request.holdout_share is not None else None,
            sql_sha256=provenance["sql_sha256"],
            provenance=provenance,
        )
    except (OSError, sqlite3.Error) as exc:  # the file is written; say so, but warn
        print(f"warning: export not recorded in {state_path}: {exc}", file=sys.stderr)
    held = provenance["holdout"]
    print(
        f"wrote {result.rows:,} {request.entity} rows to {result.path}"
        + (f" ({held['rows']:,} marked holdout)" if held else "")
    )
    print(f"provenance: {result.sidecar}")
    return EXIT_OK


def _state_for(args: argparse.Namespace) -> Path:
    from appstate.store import default_state_path

    if args.state:
        return Path(args.state)
    return default_state_path(Path(args.db))


def cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from appstate.store import AppState

    state = AppState(_state_for(args))
    if args.action == "list":
        for user in state.list_users():
            print(f"{user.name:<24} {user.role}")
        return EXIT_OK
    if not args.name:
        print("error: give the user's NAME", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "role":
        user = state.set_role(args.name, args.role)
        print(f"{user.name} is now {user.role}")
        return EXIT_OK
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("again: "):
            print("error: the passwords differ", file=sys.stderr)
            return EXIT_FAILED
    if len(password) < 8:
        print("error: a password needs at least 8 characters", file=sys.stderr)
        return EXIT_FAILED
    if args.action == "add":
        user = state.add_user(args.name, password, args.role)
        print(f"added {user.name} ({user.role}) to {state.path}")
    else:
        state.set_password(args.name, password)
        print(f"new password set for {args.name}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    data_dir = workdir / "data"
    db = workdir / "warehouse.duckdb"
    print(f"[1/6] generating demo data ({args.customers:,} customers, {args.days} days)")
    rc = cmd_generate(
        argparse.Namespace(
            out=data_dir,
            customers=args.customers,
            days=args.days,
            seed=args.seed,
            file_format="parquet",
        )
    )
    if rc:
        return rc
    print(f"[2/6] building the warehouse {db}")
    rc = cmd_build(
        argparse.Namespace(
            db=db,
            inputs=[str(data_dir)],
            format="event-log",
            mapping=None,
            session_gap=30,
            threads=None,
            memory_limit="4GB",
            force=True,
        )
    )
    if rc:
        return rc
    rc = cmd_info(argparse.Namespace(db=db, json=False))
    if rc:
        return rc
    # The demo trains the fast candidates only (logistic/linear and XGBoost) to stay near a
    # minute; model_runs records which candidates ran. `shopsight train` runs them all.
    print("[3/6] training models (fast candidates: logistic/linear regression and XGBoost)")
    rc = cmd_train(
        argparse.Namespace(
            db=db, horizon_days=30, label=None, label_name=None, label_on=None,
            artifacts=None, fast=True, label_only=False,
        )
    )  # fmt: skip
    if rc:
        return rc
    print("[4/6] scoring every session and customer")
    rc = cmd_score(argparse.Namespace(db=db, artifacts=None))
    if rc:
        return rc
    print("[5/6] model report")
    rc = cmd_report(argparse.Namespace(db=db, json=False))
    if rc or args.no_serve:
        return rc
    print("[6/6] serving the dashboard")
    return cmd_serve(
        argparse.Namespace(db=db, state=None, demo=True, host=args.host, port=args.port)
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shopsight",
        description="Local-first customer-behaviour BI: clickstream and orders in, a DuckDB "
        "feature warehouse out.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", help="write a realistic synthetic event log (REES46 shape)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--file-format", choices=("parquet", "csv"), default="parquet")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("build", help="ingest files, folders or globs and (re)build the warehouse")
    p.add_argument("--db", required=True, type=Path, help="warehouse path (a symlink it manages)")
    group = p.add_mutually_exclusive_group()
    from warehouse.formats import FORMATS

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

    p = sub.add_parser("info", help="build id, capabilities, row counts and the ingest ledger")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

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

    p = sub.add_parser("score", help="write session_scores, customer_scores and segments")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--artifacts", default=None, metavar="DIR")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("report", help="model comparison and metrics, read from model_runs")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("serve", help="the dashboard")
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--state", default=None, help="app-state store (default: next to --db)")
    p.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="demo mode: no login, every visitor acts as admin (default on)",
    )
    p.set_defaults(func=cmd_serve)

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
        "--holdout", type=float, default=None, metavar="SHARE",
        help="mark about this share of rows as a control group (holdout column)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=None, help="hold-out seed (default 0)")
    p.add_argument("--state", default=None, help="app-state store (default: next to --db)")
    p.set_defaults(func=cmd_export)

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

    p = sub.add_parser("demo", help="generate demo data, build, train, score, report and serve")
    p.add_argument("--workdir", default="demo-data")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--no-serve", action="store_true", help="stop after the report")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ShopSightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
