"""Reading one input file into DuckDB as ``raw_source``: its columns renamed to a format's
internal names, plus ``line``, the file line (CSV, XLSX) or record number (Parquet, NDJSON)
each row came from.

Lines the CSV parser cannot split (too few or too many fields, a truncated last line,
bytes that are not UTF-8) never reach ``raw_source``: DuckDB's rejects table catches them
and they are returned here, with their line and column, for ``rejected_rows``. A CSV's
physical lines are counted as well; where they are not one record a line (blank lines, quoted
values over several lines, a stray quote that would swallow the lines after it), the records
are located with :mod:`warehouse.csv_lines`, a line broken by an unterminated quote is
rejected alone and the file read again without it, and every row keeps the line it starts on.

SQL: the composed queries are files in ``warehouse/sql`` (csv_numbered_rows, csv_reader_rejects,
rejected_record_lines, control_character_rows). What stays inline is plumbing: the
``read_csv`` / ``read_json`` / ``read_parquet`` calls, whose path and options DuckDB takes only
as constants; the renamed-column copy into ``raw_source``; ``executemany`` VALUES inserts of
offsets Python computed; and one-line counts and introspection.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl

from warehouse.csv_lines import BrokenLine, RecordLines, lines_without, scan_records
from warehouse.engine import (
    create_table,
    fill_slots,
    load_sql,
    quote_ident,
    quote_literal,
    rows,
    with_relations,
)
from warehouse.errors import EmptyInputError, IngestError
from warehouse.inflation import check_inflation, needs_measuring
from warehouse.sources import InputFile, count_lines, open_text_bytes

RAW = "raw_source"

_ENCODING_HINT = (
    "not valid UTF-8; the file may be Windows-1250 or Latin-1 encoded: re-save it as UTF-8"
)


@dataclass(frozen=True)
class StructuralReject:
    line: int
    column: str | None
    reason: str
    raw: str | None


@dataclass(frozen=True)
class RawLoad:
    rows_read: int
    rows_parsed: int
    rejects: list[StructuralReject]
    # Physical lines of a CSV, header included (None for Parquet, JSON and XLSX): the
    # ledger's line-level accounting, which a parser merging lines cannot hide.
    lines_read: int | None = None


def _select_renamed(mapping: dict[str, str]) -> str:
    return ", ".join(f"{quote_ident(src)} AS {quote_ident(dst)}" for src, dst in mapping.items())


def load_raw(
    con: duckdb.DuckDBPyConnection,
    source: InputFile,
    mapping: dict[str, str],
    *,
    delimiter: str = ",",
    header: list[str] | None = None,
) -> RawLoad:
    """Create the temp relation ``raw_source`` for ``source``.

    ``mapping`` maps the file's own column names to internal names; columns not in it are
    not read.

    Raises
    ------
    InflationError
        A compressed or zip-based file inflates past :data:`warehouse.inflation.DEFAULT_LIMITS`;
        measured before any parser sees it.
    """
    drop_raw(con)
    if needs_measuring(source):
        check_inflation(source)
    if source.container == "csv":
        if header is None:
            raise ValueError("CSV input needs its header")
        load = _load_csv(con, source, mapping, delimiter, header)
    elif source.container == "parquet":
        load = _load_parquet(con, source, mapping)
    elif source.container == "ndjson":
        load = _load_ndjson(con, source, mapping)
    else:
        load = _load_xlsx(con, source, mapping)
    return _reject_control_characters(con, source, mapping, load)


def drop_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous file's ``raw_source``, whichever kind of relation it was."""
    kinds = rows(
        con,
        "SELECT table_type FROM information_schema.tables WHERE table_name = $name",
        {"name": RAW},
    )
    for (kind,) in kinds:
        con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {RAW}")


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    source: InputFile,
    mapping: dict[str, str],
    delimiter: str,
    header: list[str],
) -> RawLoad:
    lines = physical_lines(source)
    compression = {"gz": "gzip", "zst": "zstd"}.get(source.compression or "", "none")
    rejects = _read_csv(con, source.path, source, header, delimiter, compression)
    parsed = int(rows(con, "SELECT count(*) FROM raw_csv")[0][0])
    scan: RecordLines | None = None
    # One record a line (after the header) needs no more work: the common case, and the
    # only one a 10M-row file should pay for. Otherwise find where the records start.
    if lines - 1 != parsed + len(rejects):
        scan = _scan(source, delimiter, header)
    if scan is not None and scan.broken:
        with _without_broken_lines(source, scan.broken) as kept:
            rejects = _read_csv(con, kept, source, header, delimiter, "none")
        parsed = int(rows(con, "SELECT count(*) FROM raw_csv")[0][0])
    broken = scan.broken if scan is not None else []
    if scan is not None and scan.records != parsed + len(rejects):
        # The scan and the reader disagree on where records end: keep the reader's count
        # of records and its numbering rather than guess (lines_read still says the truth).
        scan = RecordLines(records=parsed + len(rejects))
    rows_read = parsed + len(rejects) + len(broken)
    if rows_read == 0:
        raise EmptyInputError(source.path, "the file has a header but no data rows", line=2)
    found = _number_lines(con, mapping, parsed + len(rejects), rejects, scan)
    found += [StructuralReject(b.line, b.column, b.reason, b.raw) for b in broken]
    found.sort(key=lambda r: r.line)
    return RawLoad(rows_read=rows_read, rows_parsed=parsed, rejects=found, lines_read=lines)


def physical_lines(source: InputFile) -> int:
    """Lines of a CSV file, header included; a compressed file was already counted while
    it was measured for inflation, so it is not decompressed a second time."""
    if needs_measuring(source):
        counted = check_inflation(source).rows
        if counted is not None:
            return counted + 1
    return count_lines(source)


def _scan(source: InputFile, delimiter: str, header: list[str]) -> RecordLines | None:
    with open_text_bytes(source) as fh:
        return scan_records(fh, delimiter, header)


@contextmanager
def _without_broken_lines(source: InputFile, broken: list[BrokenLine]) -> Iterator[Path]:
    """A temporary plain copy of ``source`` without its broken lines, removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="shopsight-", suffix=".csv")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, open_text_bytes(source) as fh:
            out.writelines(lines_without(fh, broken))
        yield path
    finally:
        path.unlink(missing_ok=True)


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: InputFile,
    header: list[str],
    delimiter: str,
    compression: str,
) -> dict[int, StructuralReject]:
    """Read ``path`` into the temp table ``raw_csv``; return the lines the reader rejected,
    keyed by the reader's line number."""
    # Every column is read as text: casting happens in the adapter, where a failure can be
    # reported with its column name instead of aborting the whole file.
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    con.execute("SET preserve_insertion_order = true")
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_csv AS SELECT * FROM read_csv("
            f"{quote_literal(str(path))}, header = true, auto_detect = false, "
            f"delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', "
            f"columns = {columns}, compression = {quote_literal(compression)}, "
            "store_rejects = true, null_padding = false, strict_mode = true)"
        )
    except duckdb.Error as exc:
        raise IngestError(source.path, f"could not be read as CSV: {exc}") from None
    finally:
        con.execute("SET preserve_insertion_order = false")
    errors = rows(con, load_sql("csv_reader_rejects"))
    rejects: dict[int, StructuralReject] = {}
    expected = len(header)
    for line, column, error_type, csv_line, message in errors:
        if line in rejects:
            continue
        # The reader's text of a record starts with the blank lines it skipped before it.
        text = csv_line.lstrip("\r\n") if csv_line else csv_line
        if error_type == "INVALID ENCODING":
            reason = _ENCODING_HINT
        elif error_type == "MISSING COLUMNS":
            found = _field_count(text, delimiter)
            reason = f"too few fields: expected {expected}, found {found} (truncated line?)"
        elif error_type == "TOO MANY COLUMNS":
            found = _field_count(text, delimiter)
            reason = f"too many fields: expected {expected}, found {found}"
        else:
            reason = f"{error_type.lower()}: {message}"
        rejects[int(line)] = StructuralReject(int(line), column, reason, text)
    return rejects


def _number_lines(
    con: duckdb.DuckDBPyConnection,
    mapping: dict[str, str],
    records: int,
    rejects: dict[int, StructuralReject],
    scan: RecordLines | None,
) -> list[StructuralReject]:
    """Create ``raw_source`` from ``raw_csv`` with each row's physical line; return the
    reader's rejects renumbered to their physical lines."""
    renamed = _select_renamed(mapping)
    if not rejects and (scan is None or len(scan.shifts) == 1 and scan.shifts[0] == (1, 1, 1)):
        # One record a line: the k-th row sits on line k + 1.
        con.execute(f"CREATE TEMP TABLE {RAW} AS SELECT {renamed}, rowid + 2 AS line FROM raw_csv")
        con.execute("DROP TABLE raw_csv")
        return []
    shifts = scan.shifts if scan is not None else [(1, 1, 1)]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE record_shift_rows (record BIGINT, "
        "reader_shift BIGINT, line_shift BIGINT)"
    )
    con.executemany("INSERT INTO record_shift_rows VALUES (?, ?, ?)", [list(s) for s in shifts])
    sql = with_relations(
        load_sql("csv_record_lines"), {"record_shifts": "SELECT * FROM record_shift_rows"}
    )
    create_table(con, "record_lines", sql=sql, params={"records": records}, temp=True)
    con.execute("CREATE OR REPLACE TEMP TABLE bad_lines (line BIGINT)")
    if rejects:
        con.executemany("INSERT INTO bad_lines VALUES (?)", [[n] for n in sorted(rejects)])
    numbered = fill_slots(load_sql("csv_numbered_rows"), {"renamed_columns": renamed})
    create_table(con, RAW, sql=numbered, temp=True)
    where = dict(rows(con, load_sql("rejected_record_lines")))
    con.execute("DROP TABLE raw_csv")
    return [replace(r, line=int(where.get(n, n))) for n, r in rejects.items()]


def _field_count(csv_line: str | None, delimiter: str) -> int:
    import csv

    if not csv_line:
        return 0
    return len(next(csv.reader([csv_line], delimiter=delimiter)))


def _parquet_view(source: InputFile, mapping: dict[str, str], where: str = "true") -> str:
    # A view, not a table: the adapter streams straight from the file, which is what keeps
    # a 10M-event Parquet build close to the speed of a bare query.
    return (
        f"CREATE OR REPLACE TEMP VIEW {RAW} AS SELECT * FROM (SELECT {_select_renamed(mapping)}, "
        "file_row_number + 1 AS line FROM read_parquet("
        f"{quote_literal(str(source.path))}, file_row_number = true)) WHERE {where}"
    )


def _load_parquet(
    con: duckdb.DuckDBPyConnection, source: InputFile, mapping: dict[str, str]
) -> RawLoad:
    try:
        con.execute(_parquet_view(source, mapping))
        count = rows(con, f"SELECT count(*) FROM {RAW}")[0][0]
    except duckdb.Error as exc:
        raise IngestError(source.path, f"could not be read as Parquet: {exc}") from None
    if count == 0:
        raise EmptyInputError(source.path, "the Parquet file holds no rows")
    return RawLoad(rows_read=int(count), rows_parsed=int(count), rejects=[])


def _load_ndjson(
    con: duckdb.DuckDBPyConnection, source: InputFile, mapping: dict[str, str]
) -> RawLoad:
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_json AS SELECT * FROM read_json("
            f"{quote_literal(str(source.path))}, format = 'newline_delimited')"
        )
    except duckdb.Error as exc:
        raise IngestError(
            source.path, f"could not be read as newline-delimited JSON: {exc}"
        ) from None
    finally:
        con.execute("SET preserve_insertion_order = false")
    con.execute(
        f"CREATE TEMP TABLE {RAW} AS SELECT {_select_renamed(mapping)}, rowid + 1 AS line "
        "FROM raw_json"
    )
    con.execute("DROP TABLE raw_json")
    count = rows(con, f"SELECT count(*) FROM {RAW}")[0][0]
    if count == 0:
        raise EmptyInputError(source.path, "the file holds no JSON records")
    return RawLoad(rows_read=int(count), rows_parsed=int(count), rejects=[])


def read_xlsx_frame(source: InputFile) -> pl.DataFrame:
    """The first sheet of a workbook, every cell as text (casting happens in the adapter).

    The workbook is measured first: calamine reads the whole sheet into memory, so a sheet
    that inflates past the ceiling must never reach it.
    """
    check_inflation(source)
    try:
        return pl.read_excel(source.path, infer_schema_length=0)
    except Exception as exc:  # fastexcel raises its own types for corrupt workbooks
        raise IngestError(source.path, f"could not be read as an Excel workbook: {exc}") from None


def _load_xlsx(
    con: duckdb.DuckDBPyConnection, source: InputFile, mapping: dict[str, str]
) -> RawLoad:
    sheet = read_xlsx_frame(source)
    if sheet.height == 0:
        raise EmptyInputError(source.path, "the first sheet has a header but no data rows")
    # Row 1 of the sheet is the header, so data row i (0-based) is spreadsheet row i + 2.
    sheet = sheet.select(list(mapping)).rename(mapping).with_row_index("line", offset=2)
    con.register("xlsx_frame", sheet)
    con.execute(f"CREATE TEMP TABLE {RAW} AS SELECT * FROM xlsx_frame")
    con.unregister("xlsx_frame")
    return RawLoad(rows_read=sheet.height, rows_parsed=sheet.height, rejects=[])


# ---- control characters in identifiers ---------------------------------------------------------
_CANONICAL_IDENTIFIERS = ("customer_id", "session_id", "product_id", "category_id")
_BUILTIN_IDENTIFIERS = ("user_id", "user_session", "user_pseudo_id", "invoice", "stock_code")
IDENTIFIER_COLUMNS = frozenset(_CANONICAL_IDENTIFIERS + _BUILTIN_IDENTIFIERS)
"""Internal names (built-in formats) and canonical names (mappings) that hold identifiers."""

CONTROL_CHARACTERS = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]"
"""C0 controls and DEL (RE2 syntax). Tab, LF and CR are whitespace a quoted field may hold,
and stay; NUL and the rest would be stored invisibly, break joins that look equal on screen,
and end C strings early in the tools an export goes to."""


def _control_condition(column: str) -> str:
    # The pattern is a constant of ours, inlined so the Parquet view (which cannot take
    # parameters) uses the same condition as the queries.
    pattern = quote_literal(CONTROL_CHARACTERS)
    return f"regexp_matches(CAST({quote_ident(column)} AS VARCHAR), {pattern})"


def _reject_control_characters(
    con: duckdb.DuckDBPyConnection, source: InputFile, mapping: dict[str, str], load: RawLoad
) -> RawLoad:
    """Move rows whose identifiers hold control characters from ``raw_source`` to rejects.

    Each becomes a reject with its line, the file's column name and the raw values (as JSON,
    where a NUL is the six characters ``\\u0000``, never the byte itself); rows read stay
    rows loaded + rows rejected because the row leaves ``raw_source`` as it joins the rejects.
    """
    file_names = {internal: name for name, internal in mapping.items()}
    columns = [c for c in dict.fromkeys(mapping.values()) if c in IDENTIFIER_COLUMNS]
    if not columns:
        return load
    bad = " OR ".join(_control_condition(c) for c in columns)
    if not rows(con, f"SELECT count(*) FROM {RAW} WHERE {bad}")[0][0]:
        return load
    found: dict[int, StructuralReject] = {}
    for column in columns:
        slots = {"column": quote_ident(column), "condition": _control_condition(column)}
        hits = rows(con, fill_slots(load_sql("control_character_rows"), slots))
        for line, value, raw in hits:
            code = next(ord(ch) for ch in value if ord(ch) < 32 or ord(ch) == 127)
            found.setdefault(
                int(line),
                StructuralReject(
                    int(line),
                    file_names[column],
                    f"control character U+{code:04X} in identifier {file_names[column]!r}: "
                    "identifiers must be printable text",
                    raw,
                ),
            )
    if source.container == "parquet":
        con.execute(_parquet_view(source, mapping, f"NOT coalesce({bad}, false)"))
    else:
        con.execute(f"DELETE FROM {RAW} WHERE {bad}")
    rejects = sorted([*load.rejects, *found.values()], key=lambda r: r.line)
    return RawLoad(load.rows_read, load.rows_parsed, rejects, load.lines_read)
