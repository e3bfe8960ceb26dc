"""``export``: a filtered customer (or session) list to a file, recorded in the export log."""

from __future__ import annotations

import getpass
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from common.errors import ShopSightError
from dashboard.commands.output import EXIT_OK, UsageError
from dashboard.commands.paths import existing_warehouse

if TYPE_CHECKING:  # imported for real inside run_export (analytics loads DuckDB and Polars)
    from analytics.export import ExportRequest
    from warehouse.reader import WarehouseReader


@dataclass(frozen=True)
class ExportOptions:
    db: Path
    out: Path
    cohort: str | None = None
    cohort_name: str | None = None
    entity: Literal["customers", "sessions"] = "customers"
    holdout: float | None = None
    seed: int | None = None
    state: Path | None = None
    # ISO code of money amounts where the data states none (``--currency``).
    currency: str | None = None


def _saved_query(state_path: Path, name: str) -> str:
    from appstate.store import AppState

    if not state_path.exists():
        raise ShopSightError(f"no app-state store at {state_path}, so no saved cohorts")
    store = AppState(state_path)
    saved = store.get_cohort(name)
    if saved is None:
        names = ", ".join(c.name for c in store.list_cohorts()) or "none"
        raise ShopSightError(f"no saved cohort named {name!r} (saved: {names})")
    return saved.query


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return None


def run_export(options: ExportOptions) -> int:
    """Write the cohort's list to ``options.out`` with its provenance sidecar."""
    from analytics.cohort import Cohort
    from analytics.export import ExportError, ExportRequest, export_to_file, format_for_path
    from appstate.store import default_state_path
    from warehouse.reader import WarehouseReader

    try:
        fmt = format_for_path(str(options.out))
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    if options.seed is not None and options.holdout is None:
        raise UsageError("--seed only applies with --holdout")
    db = existing_warehouse(options.db)
    state_path = options.state or default_state_path(db)
    query = options.cohort or ""
    if options.cohort_name is not None:
        query = _saved_query(state_path, options.cohort_name)
    reader = WarehouseReader(db)
    try:
        request = ExportRequest(
            cohort=Cohort.from_query(query),
            entity=options.entity,
            fmt=fmt,
            holdout_share=options.holdout,
            holdout_seed=options.seed or 0,
            user=_login_name(),
            currency=_currency(reader, options.currency),
        )
        result = export_to_file(reader, request, options.out)
    finally:
        reader.close()
    _record(state_path, request, result.rows, result.provenance)
    held = result.provenance["holdout"]
    print(
        f"wrote {result.rows:,} {request.entity} rows to {result.path}"
        + (f" ({held['rows']:,} marked holdout)" if held else "")
    )
    print(f"provenance: {result.sidecar}")
    return EXIT_OK


def _currency(reader: WarehouseReader, configured: str | None) -> dict[str, str] | None:
    """The money columns' currency for the provenance (the data's, else --currency)."""
    from analytics.overview import money

    found = money(reader, configured)
    if not found.currency.code:
        return None
    return {"code": found.currency.code, "source": found.source}


def _record(
    state_path: Path, request: ExportRequest, rows: int, provenance: dict[str, Any]
) -> None:
    from appstate.store import AppState

    try:
        AppState(state_path).log_export(
            user=request.user,
            query=provenance["filters"]["query"],
            entity=request.entity,
            fmt=request.fmt,
            rows=rows,
            build_id=provenance["build_id"],
            holdout_share=request.holdout_share,
            holdout_seed=request.holdout_seed if request.holdout_share is not None else None,
            sql_sha256=provenance["sql_sha256"],
            provenance=provenance,
        )
    except (OSError, sqlite3.Error) as exc:  # the file is written; say so, but warn
        print(f"warning: export not recorded in {state_path}: {exc}", file=sys.stderr)
