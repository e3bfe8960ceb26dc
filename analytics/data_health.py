"""What was loaded and what was not: the ingest ledger, the capabilities with what each
missing one turns off, and the rejected rows with their reasons."""

from __future__ import annotations

import polars as pl

from warehouse.capabilities import CAPABILITY_EFFECTS
from warehouse.reader import WarehouseReader

MAX_REJECTS = 1000


def ledger(reader: WarehouseReader) -> pl.DataFrame:
    return reader.frame(
        "SELECT path, format, variant, rows_read, rows_loaded, rows_rejected, status, note, "
        "left(sha256, 12) AS sha256 FROM ingest_ledger ORDER BY file_order"
    )


def capabilities(reader: WarehouseReader) -> pl.DataFrame:
    """Each capability, whether the data has it, why, and what it switches on."""
    frame = reader.frame("SELECT name, available, reason FROM capabilities ORDER BY name")
    return frame.with_columns(
        pl.col("name").replace_strict(CAPABILITY_EFFECTS, default="").alias("switches_on")
    )


def rejection_summary(reader: WarehouseReader) -> pl.DataFrame:
    """Rejected rows grouped by file and the shape of their reason."""
    return reader.frame(
        "SELECT file, column_name, regexp_replace(regexp_replace(reason, '''[^'']*''', '''…''', "
        "'g'), '[0-9]+', 'N', 'g') AS reason, count(*) AS rows, min(line) AS first_line "
        "FROM rejected_rows GROUP BY ALL ORDER BY rows DESC, first_line LIMIT 50"
    )


def rejected_rows(reader: WarehouseReader, limit: int = MAX_REJECTS) -> pl.DataFrame:
    return reader.frame(
        "SELECT file, line, column_name, reason, raw FROM rejected_rows "
        "ORDER BY file, line LIMIT $limit",
        {"limit": max(1, min(limit, MAX_REJECTS))},
    )
