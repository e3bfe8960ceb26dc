"""``generate``, ``build`` and ``info``: source files in, a warehouse out, and what is in it."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dashboard.commands.output import EXIT_OK, bar, progress
from dashboard.commands.paths import buildable_warehouse, existing_warehouse

if TYPE_CHECKING:  # imported for real inside run_build, so other commands do not load it
    from synthetic.shop import PlantedEffect
    from warehouse.build import BuildOptions


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    customers: int = 5000
    days: int = 180
    seed: int = 42
    file_format: Literal["parquet", "csv"] = "parquet"
    # A known campaign effect to plant (``--plant-*``; dashboard.commands.campaigns).
    planted: PlantedEffect | None = None


def run_generate(options: GenerateOptions) -> int:
    """Write a synthetic event log (REES46 shape) and say what was written."""
    from synthetic.shop import generate_events

    started = time.perf_counter()
    summary = generate_events(
        options.out,
        customers=options.customers,
        days=options.days,
        seed=options.seed,
        file_format=options.file_format,
        planted=options.planted,
        progress=lambda done, total: bar(done, total, started, "customers"),
    )
    print(
        f"wrote {summary.events:,} events in {summary.sessions:,} sessions of "
        f"{summary.customers:,} customers ({summary.purchases:,} purchases, "
        f"{summary.start:%Y-%m-%d} … {summary.end:%Y-%m-%d}) to {summary.out_dir} "
        f"in {time.perf_counter() - started:,.1f} s"
    )
    return EXIT_OK


def run_build(db: Path, inputs: Sequence[str], options: BuildOptions | None = None) -> int:
    """Ingest ``inputs`` and rebuild the warehouse at ``db``."""
    from warehouse.build import BuildOptions, build_warehouse
    from warehouse.info import line_accounting

    db = buildable_warehouse(db)
    result = build_warehouse(db, list(inputs), options or BuildOptions(), progress=progress)
    if result.noop:
        print(f"{db}: already built from these inputs (build {result.build_id}); nothing to do")
        return EXIT_OK
    print(f"built {db} → {result.version_path.name} in {result.seconds:,.1f} s")
    for s in result.sources:
        status = "" if s.status == "loaded" else f"  [{s.status}]"
        lines = line_accounting(s.lines_read, s.rows_read) if s.status == "loaded" else None
        print(
            f"  {s.path}: {s.format or '?'} — read {s.rows_read:,} = loaded {s.rows_loaded:,}"
            f" + rejected {s.rows_rejected:,}{status}" + (f"; {lines}" if lines else "")
        )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if any(s.rows_rejected for s in result.sources):
        print(
            f"  rejected rows are kept with their reasons: `shopsight info --db {db}` "
            "or the table rejected_rows"
        )
    return EXIT_OK


def run_info(db: Path, *, as_json: bool = False) -> int:
    """Print the build, capabilities, tables, sources and metrics of the warehouse."""
    from warehouse.info import warehouse_info

    info = warehouse_info(existing_warehouse(db))
    if as_json:
        json.dump(info, sys.stdout, indent=2, default=str)
        print()
    else:
        print_info(info)
    return EXIT_OK


def print_info(info: dict[str, Any]) -> None:
    print(f"build {info['build_id']} (built {info['built_at']})")
    print(f"data: {info['data_start']} … {info['data_end']}")
    print("capabilities:")
    for name, available in info["capabilities"].items():
        mark = "yes" if available else "no "
        print(f"  {mark}  {name:<22} {info['capability_reasons'][name]}")
    print("tables:")
    for name, count in info["tables"].items():
        print(f"  {name:<22} {count:>12,}")
    _print_sources(info)
    print("metrics:")
    for name, m in info["metrics"].items():
        if m["available"]:
            print(f"  {name:<24} {m['value']:.4f}   ({m['definition']})")
        else:
            print(f"  {name:<24} unavailable: {m['reason']}")


def _print_sources(info: dict[str, Any]) -> None:
    from warehouse.info import line_accounting

    print("sources (rows read = loaded + rejected; a CSV's lines = header + rows + the rest):")
    for s in info["sources"]:
        print(
            f"  {s['path']}  [{s['format'] or '?'}; sha256 {s['sha256'][:12]}…; {s['status']}]"
            f"\n      read {s['rows_read']:,} = loaded {s['rows_loaded']:,}"
            f" + rejected {s['rows_rejected']:,}" + (f"  — {s['note']}" if s["note"] else "")
        )
        lines = line_accounting(s.get("lines_read"), s["rows_read"])
        if lines and s["status"] == "loaded":
            print(f"      {lines}")
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
