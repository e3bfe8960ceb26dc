"""The ingest ledger: one line per input file, with its hash and its row accounting.

It lives apart from the build so that the capability checks, which read the ledger's
records, and the build, which writes them, do not import each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import duckdb


@dataclass
class SourceResult:
    """One input file's line in the ingest ledger."""

    source_id: str
    path: str
    format: str
    variant: str
    sha256: str
    size_bytes: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    has_clock_time: bool = True
    status: str = "loaded"  # loaded | skipped | failed
    note: str = ""
    file_order: int = 0
    # Which rule judged duplicate rows: identical-lines, mapped-columns or keep.
    duplicates: str = ""
    # Which rule produced revenue on purchase rows (a column, price × quantity, none).
    revenue_rule: str = ""
    # Sessions of this file that carry more than one non-null customer id.
    shared_sessions: int = 0
    # What rejected_rows.line counts in this file: "line" (CSV, XLSX), "record" (Parquet,
    # JSON) or "row" (rows after exploding a list column).
    line_unit: str = "line"
    # Physical lines of a CSV, header included (None where the file is not line-based): a
    # parser that merges lines into one record cannot hide them from this count.
    lines_read: int | None = None


LEDGER_COLUMNS = tuple(f.name for f in fields(SourceResult))


def write_ledger(con: duckdb.DuckDBPyConnection, sources: list[SourceResult]) -> None:
    """Create the ``ingest_ledger`` table of a new build from its sources' records."""
    con.execute(
        "CREATE TABLE ingest_ledger (source_id VARCHAR, path VARCHAR, format VARCHAR, "
        "variant VARCHAR, sha256 VARCHAR, size_bytes BIGINT, rows_read BIGINT, "
        "rows_loaded BIGINT, rows_rejected BIGINT, has_clock_time BOOLEAN, status VARCHAR, "
        "note VARCHAR, file_order INTEGER, duplicates VARCHAR, revenue_rule VARCHAR, "
        "shared_sessions BIGINT, line_unit VARCHAR, lines_read BIGINT, "
        "ingested_at TIMESTAMP DEFAULT now()::TIMESTAMP)"
    )
    con.executemany(
        f"INSERT INTO ingest_ledger ({', '.join(LEDGER_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(LEDGER_COLUMNS))})",
        [[asdict(s)[c] for c in LEDGER_COLUMNS] for s in sources],
    )
