"""What a built warehouse holds: build id, capabilities, table row counts, the ingest
ledger and the business metrics (computed, or unavailable with the reason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from warehouse.engine import load_sql, quote_ident
from warehouse.errors import WarehouseNotFoundError
from warehouse.metrics import METRICS, unavailable_reason

CONTRACT_TABLES = tuple(
    """events sessions customers cohort_retention build_info ingest_ledger rejected_rows
    session_scores customer_scores segments model_runs""".split()
)
# How many rejection reasons `shopsight info` lists.
TOP_REJECTION_REASONS = 20


def line_accounting(lines_read: int | None, rows_read: int) -> str | None:
    """``lines N = header 1 + R rows (+ the rest)`` for a CSV, or ``None`` where lines are
    not counted: the line-level check that rows read = loaded + rejected cannot give, since a
    parser that merges lines into one record still balances its own count."""
    if lines_read is None:
        return None
    text = f"lines {lines_read:,} = header 1 + {rows_read:,} rows"
    rest = lines_read - 1 - rows_read
    if rest > 0:
        text += f" + {rest:,} blank or inside a quoted value that spans lines"
    elif rest < 0:  # rows from more than one a line (a list column exploded): no line sum
        text = f"lines {lines_read:,}"
    return text


def open_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    if not db_path.exists():
        raise WarehouseNotFoundError(db_path)
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseNotFoundError(db_path, f"not a readable warehouse ({exc})") from None


def warehouse_info(db_path: Path | str) -> dict[str, Any]:
    """The ``shopsight info --json`` object."""
    db_path = Path(db_path)
    con = open_read_only(db_path)
    try:
        existing = {
            r[0]
            for r in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        if "build_info" not in existing:
            raise WarehouseNotFoundError(db_path, "not a ShopSight warehouse (no build_info)")
        build = con.sql(load_sql("current_build")).pl().to_dicts()[0]
        caps_rows = con.sql(load_sql("capability_list")).fetchall()
        capabilities = {name: bool(available) for name, available, _ in caps_rows}
        reasons = {name: reason for name, _, reason in caps_rows}
        tables = _table_rows(con, existing)
        ledger = con.sql(load_sql("ledger_lines")).pl()
        rejects = con.sql(
            load_sql("rejection_reasons"),
            params={"by_column": False, "limit": TOP_REJECTION_REASONS},
        ).pl()
        units = dict(zip(ledger["path"], ledger["line_unit"], strict=True))
        metrics = _metrics(con, capabilities, reasons)
    finally:
        con.close()
    return {
        "build_id": build["build_id"],
        "built_at": str(build["built_at"]),
        "db_file": str(db_path.resolve()),
        "data_start": str(build["data_start"]) if build["data_start"] else None,
        "data_end": str(build["data_end"]) if build["data_end"] else None,
        "capabilities": capabilities,
        "capability_reasons": reasons,
        "tables": tables,
        "sources": ledger.to_dicts(),
        "top_rejection_reasons": [
            # "line 7" in a CSV, "record 7" in Parquet or JSON, "row 7" after an explode.
            {**r, "first_at": f"{units.get(r['file'], 'line')} {r['first_line']}"}
            for r in rejects.drop("column_name").to_dicts()
        ],
        "metrics": metrics,
    }


def _table_rows(con: duckdb.DuckDBPyConnection, existing: set[str]) -> dict[str, int]:
    """Row count of every table, by name."""
    tables: dict[str, int] = {}
    for name in sorted(existing | set(CONTRACT_TABLES)):
        if name in existing:
            # Names come from the catalogue or the contract list, never from a user.
            tables[name] = int(
                con.sql(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0]
            )
    return tables


def _metrics(
    con: duckdb.DuckDBPyConnection, capabilities: dict[str, bool], reasons: dict[str, str]
) -> dict[str, Any]:
    """Every business metric: its value with numerator and denominator, or why it is unavailable."""
    cap_pairs = {n: (capabilities[n], reasons[n]) for n in capabilities}
    metrics: dict[str, Any] = {}
    for metric in METRICS.values():
        why = unavailable_reason(metric, cap_pairs)
        if why is not None:
            metrics[metric.name] = {"available": False, "reason": why}
            continue
        value, num, den = con.sql(metric.sql()).fetchall()[0]
        metrics[metric.name] = {
            "available": value is not None,
            "value": value,
            "numerator": num,
            "denominator": den,
            "definition": metric.definition,
            **({} if value is not None else {"reason": "no rows to compute it over"}),
        }
    return metrics
