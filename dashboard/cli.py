"""The ``shopsight`` command: the only module allowed to reach every layer.

Heavy imports (the Dash app, models) happen inside the sub-command that needs them, so
``shopsight build`` starts fast and never loads Dash.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from warehouse.errors import ShopSightError

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
    from warehouse.generate import generate_events

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
    if info["top_rejection_reasons"]:
        print("top rejection reasons:")
        for r in info["top_rejection_reasons"]:
            print(
                f"  {r['rows']:>8,}  {r['file']} (first at line {r['first_line']}): {r['reason']}"
            )
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


def cmd_demo(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    data_dir = workdir / "data"
    db = workdir / "warehouse.duckdb"
    print(f"[1/3] generating demo data ({args.customers:,} customers, {args.days} days)")
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
    print(f"[2/3] building the warehouse {db}")
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
    print("[3/3] what the warehouse holds")
    return cmd_info(argparse.Namespace(db=db, json=False))


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

    p = sub.add_parser("demo", help="generate demo data, build the warehouse and show it")
    p.add_argument("--workdir", default="demo-data")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--seed", type=int, default=42)
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
