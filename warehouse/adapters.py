"""Turning a recognised file into the adapter a build runs: which SQL maps it, with which
parameters, and which of its columns feed which internal names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from warehouse.engine import load_sql
from warehouse.errors import EmptyInputError, IngestError
from warehouse.formats import FormatSpec, detect, resolve_columns
from warehouse.raw import read_xlsx_frame
from warehouse.sources import InputFile, read_csv_header, read_ndjson_keys

# Codes of the Online Retail files that are not products (postage, fees, manual entries,
# discounts, samples, commissions, bad-debt adjustments, test lines).
NON_PRODUCT_CODES = (
    *("POST", "DOT", "C2"),  # postage and carriage
    *("BANK CHARGES", "AMAZONFEE"),  # fees
    "M",  # manual entries
    "D",  # discounts
    "S",  # samples
    "CRUK",  # commissions
    *("B", "ADJUST", "ADJUST2"),  # bad-debt and other adjustments
    *("TEST001", "TEST002"),  # test lines
)


@dataclass(frozen=True)
class ResolvedAdapter:
    """Everything a build needs to map one file onto canonical rows."""

    format_name: str
    variant: str
    grain: Literal["event", "session"]
    has_clock_time: bool
    column_map: dict[str, str]  # the file's column name → internal name
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    null_columns: tuple[str, ...] = ()  # internal names absent from the file (optional)
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    # Canonical columns this adapter always leaves NULL; the build does not store a column
    # that every source leaves NULL. Empty means "may fill any column".
    null_outputs: frozenset[str] = frozenset()
    # The internal name of a list column to explode into one row per element (mappings).
    explode: str | None = None
    # How duplicate rows are judged (recorded in the ledger): "identical-lines" (every
    # source column), "mapped-columns" (the canonical columns only) or "keep".
    duplicates: str = "identical-lines"
    # Which rule produced revenue on purchase rows (recorded in the ledger).
    revenue_rule: str = ""
    # A day/month-ambiguous time format to check against the data: the reads of the event
    # time and session id over the raw rows, the formats and their swap (mappings only).
    date_order: dict[str, Any] | None = None


# What produced revenue on purchase rows, per built-in format (as its adapter SQL does it).
REVENUE_RULES: dict[str, str] = {
    "uci-clickstream": "none (browse-only: no purchases)",
    "event-log": "price of the purchase row (one unit per row)",
    "ga4-export": "ecommerce.purchase_revenue_in_usd; empty stays empty",
    "online-retail": "Quantity × UnitPrice of the invoice line",
    "online-shoppers": "none (sessions carry a purchase flag, no amount)",
}

_CONSTANT_NULL = re.compile(r"^\s*NULL::\w+ AS (\w+),?\s*$", re.MULTILINE)


def constant_null_outputs(sql: str) -> frozenset[str]:
    """Output columns an adapter's ``final`` CTE sets to a literal NULL.

    Read from the SQL itself, so the list cannot drift from what the adapter does: an
    adapter that starts filling a column no longer matches ``NULL::TYPE AS column``.
    """
    _, _, final = sql.partition("final AS (")
    return frozenset(_CONSTANT_NULL.findall(final))


def read_header(source: InputFile, delimiter: str | None = None) -> tuple[list[str], str]:
    """The column names of a file and, for CSV, its delimiter."""
    if source.container == "csv":
        head = read_csv_header(source, delimiter)
        if not head.has_data:
            raise EmptyInputError(source.path, "the file has a header but no data rows", line=2)
        return head.columns, head.delimiter
    if source.size == 0:
        raise EmptyInputError(source.path, "the file is empty (0 bytes)")
    if source.container == "parquet":
        try:
            return list(pq.read_schema(source.path).names), ","
        except Exception as exc:  # pyarrow raises ArrowInvalid for a file that is not Parquet
            raise IngestError(source.path, f"not a readable Parquet file: {exc}") from None
    if source.container == "ndjson":
        return read_ndjson_keys(source), ","
    return list(read_xlsx_frame(source).columns), ","


def resolve_builtin(source: InputFile, explicit_format: str | None) -> ResolvedAdapter:
    """Detect (or take ``--format``) a built-in format for ``source``."""
    header, delimiter = read_header(source)
    found = detect(source.path, header, explicit_format)
    return adapter_for(found.spec, found.variant.name, source.path, header, delimiter)


def adapter_for(
    spec: FormatSpec, variant_name: str, path: Path, header: list[str], delimiter: str
) -> ResolvedAdapter:
    variant = next(v for v in spec.variants if v.name == variant_name)
    column_map = resolve_columns(variant, header)
    present = set(column_map.values())
    null_columns = tuple(v for v in variant.columns.values() if v not in present)
    params: dict[str, Any] = {}
    if spec.name == "online-retail":
        params["non_product_codes"] = list(NON_PRODUCT_CODES)
    return ResolvedAdapter(
        format_name=spec.name,
        variant=variant.name,
        grain=spec.grain,
        has_clock_time=spec.has_clock_time,
        column_map=column_map,
        sql=load_sql(spec.adapter_sql),
        params=params,
        null_columns=null_columns,
        delimiter=delimiter,
        header=header,
        null_outputs=constant_null_outputs(load_sql(spec.adapter_sql)),
        # Session rows (Online Shoppers) are never compared: two visits may well look alike.
        duplicates="keep" if spec.grain == "session" else "identical-lines",
        revenue_rule=REVENUE_RULES.get(spec.name, ""),
    )
