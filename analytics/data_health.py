"""What was loaded and what was not: the ingest ledger, the capabilities with what each
missing one turns off, and the rejected rows with their reasons."""

from __future__ import annotations

import polars as pl

from warehouse.capabilities import CAPABILITY_EFFECTS, CAPABILITY_WORDS, EFFECTS_WHEN_MISSING
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

MAX_REJECTS = 1000
MAX_REASONS = 50


def ledger(reader: WarehouseReader) -> pl.DataFrame:
    """The ingest ledger as the page shows it: hashes shortened to 12 characters."""
    return reader.frame(load_sql("ledger_lines")).select(
        "path",
        "format",
        "variant",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "status",
        "note",
        pl.col("sha256").str.slice(0, 12),
    )


def capabilities(reader: WarehouseReader) -> pl.DataFrame:
    """Each capability, whether the data has it, why, what it switches on, ``in_words``:
    what it says about the data as a manager reads it ("Carts are logged"), and ``turned_on``:
    whether its effects are on for this data."""
    frame = reader.frame(load_sql("capability_list")).sort("name")
    present = {name: words[0] for name, words in CAPABILITY_WORDS.items()}
    missing = {name: words[1] for name, words in CAPABILITY_WORDS.items()}
    name = pl.col("name")
    return frame.with_columns(
        name.replace_strict(CAPABILITY_EFFECTS, default="").alias("switches_on"),
        pl.when(pl.col("available"))
        .then(name.replace_strict(present, default=None))
        .otherwise(name.replace_strict(missing, default=None))
        .fill_null(name.str.replace_all("_", " "))
        .alias("in_words"),
        (pl.col("available") != name.is_in(list(EFFECTS_WHEN_MISSING))).alias("turned_on"),
    )


def rejection_summary(reader: WarehouseReader) -> pl.DataFrame:
    """Rejected rows grouped by file, column and the shape of their reason."""
    params = {"by_column": True, "limit": MAX_REASONS}
    return reader.frame(load_sql("rejection_reasons"), params)


def rejected_rows(reader: WarehouseReader, limit: int = MAX_REJECTS) -> pl.DataFrame:
    params = {"limit": max(1, min(limit, MAX_REJECTS))}
    return reader.frame(load_sql("rejected_row_list", "analytics"), params)
