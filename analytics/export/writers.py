"""Writing an export's Arrow batches as CSV, Parquet or XLSX bytes, chunk by chunk.

Spreadsheet safety lives here too. CSV and Parquet: a string cell a spreadsheet would
evaluate as a formula gets a leading single quote (OWASP "CSV injection"); numbers are never
touched, so a negative number stays a number. XLSX needs no quote in the data: every string
goes through ``write_string`` (a text cell, never a formula), and a cell that starts like a
formula is also marked *quote-prefixed*, which Excel shows without an apostrophe and keeps
as text when someone edits it, so an id like ``-17850`` reads as ``-17850``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from analytics.export.records import ExportError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make a spreadsheet treat a cell as a formula.

``= + - @ tab CR`` are OWASP's list; NUL is in OWASP ASVS 1.2.10; the full-width
``＝ ＋ － ＠`` are covered as a precaution (East Asian input setups can turn them into
formula starts), since a stray quote on such rare text costs nothing.
"""
_FORMULA_RE = r"^[=+\-@\t\r\x00\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"  # RE2 syntax, for Arrow
NEUTRALISED = {
    "csv": "string cells starting with = + - @ tab CR NUL (or full-width ＝ ＋ － ＠) are "
    "prefixed with ' so spreadsheets show them as text; numbers are unchanged",
    "xlsx": "every string is a text cell (never a formula); those starting with = + - @ tab "
    "CR NUL (or full-width ＝ ＋ － ＠) are also marked quote-prefixed, so Excel keeps them "
    "text when edited, without a visible '; numbers are unchanged",
}
NEUTRALISED["parquet"] = NEUTRALISED["csv"]
DEFAULT_BATCH_ROWS = 16_384
"""Rows per Arrow batch out of DuckDB: at a million customers, 16k-row batches peaked ~80 MiB
lower than 64k-row ones at the same speed (docs/export.md)."""
PARQUET_ROW_GROUP_ROWS = 65_536


# ---- spreadsheet safety ---------------------------------------------------------------------
def neutralise(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def neutralise_strings(array: pa.Array) -> pa.Array:
    """:func:`neutralise` over an Arrow string array (nulls stay null), vectorised.

    Works on ``string``, ``large_string`` (what Polars hands over) and ``string_view``
    arrays; the quote and separator are made of the array's own type, since Arrow's join
    kernel has no mixed-width variant.
    """
    if pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    risky = pc.match_substring_regex(array, _FORMULA_RE)
    if not pc.any(risky).as_py():
        return array
    quote, empty = pa.scalar("'", array.type), pa.scalar("", array.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, array, empty), array)


# ---- column preparation -------------------------------------------------------------------
Converter = Callable[[pa.Array], pa.Array]


def _identity(array: pa.Array) -> pa.Array:
    return array


def _to_int64(array: pa.Array) -> pa.Array:
    try:
        return array.cast(pa.int64())
    except pa.ArrowInvalid:
        raise ExportError("a whole-number column holds values beyond 64-bit integers") from None


def _to_json_text(array: pa.Array) -> pa.Array:
    text = [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()]
    return pa.array(text, pa.string())


def _then(first: Converter, second: Converter) -> Converter:
    return lambda array: second(first(array))


def plan_columns(schema: pa.Schema, fmt: str) -> tuple[pa.Schema, list[Converter]]:
    """Output schema and a converter per column, decided once so every batch matches.

    Text is neutralised here for CSV and Parquet; the XLSX writer marks risky cells itself.
    """
    text: Converter = _identity if fmt == "xlsx" else neutralise_strings
    fields: list[pa.Field] = []
    converters: list[Converter] = []
    for column in schema:
        dtype = column.type
        if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
            out, convert = dtype, text
        elif pa.types.is_string_view(dtype):
            out, convert = pa.string(), _then(lambda a: a.cast(pa.string()), text)
        elif pa.types.is_dictionary(dtype) and (
            pa.types.is_string(dtype.value_type) or pa.types.is_large_string(dtype.value_type)
        ):
            out, convert = dtype.value_type, _then(lambda a: a.dictionary_decode(), text)
        elif pa.types.is_decimal(dtype) and dtype.scale == 0 and dtype.precision > 18:
            # DuckDB's HUGEINT (sums of counts) arrives as decimal(38, 0): a whole number.
            out, convert = pa.int64(), _to_int64
        elif fmt != "parquet" and (
            pa.types.is_nested(dtype)
            or pa.types.is_binary(dtype)
            or pa.types.is_large_binary(dtype)
        ):
            out, convert = pa.string(), _then(_to_json_text, text)
        else:
            out, convert = dtype, _identity
        fields.append(pa.field(column.name, out))
        converters.append(convert)
    return pa.schema(fields), converters


# ---- writers ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WriteContext:
    """What a writer needs besides the rows: the sheet name, the row count for the
    workbook's filter range, and the provenance document for the footer or "about" sheet."""

    entity: str
    rows: int
    provenance: dict[str, Any]


Writer = Callable[[Iterator[pa.RecordBatch], pa.Schema, WriteContext], Iterator[bytes]]


class _ChunkSink:
    """A write-only file object that keeps what was written until drained."""

    closed = False

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def tell(self) -> int:
        return self._position

    def writable(self) -> bool:
        return True

    def drain(self) -> Iterator[bytes]:
        if self._parts:
            joined = b"".join(self._parts)
            self._parts.clear()
            yield joined


def csv_chunks(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, context: WriteContext
) -> Iterator[bytes]:
    import pyarrow.csv as pacsv

    sink = _ChunkSink()
    writer = pacsv.CSVWriter(sink, schema)
    try:
        for batch in batches:
            writer.write_batch(batch)
            yield from sink.drain()
    finally:
        writer.close()
    yield from sink.drain()


def parquet_chunks(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, context: WriteContext
) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    sink = _ChunkSink()
    # The provenance rides in the footer too, so the file explains itself if the sidecar
    # gets lost.
    annotated = schema.with_metadata(
        {"shopsight.provenance": json.dumps(context.provenance, default=str)}
    )
    writer = pq.ParquetWriter(sink, annotated, compression="zstd")
    # Batches are small to keep memory down; row groups that small would make the file slow
    # to read, so batches are gathered into row groups of 64k rows first.
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    try:
        for batch in batches:
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= PARQUET_ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(pending, schema=annotated))
                pending, pending_rows = [], 0
                yield from sink.drain()
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema=annotated))
    finally:
        writer.close()
    yield from sink.drain()


_SPOOL_BYTES = 16 * 2**20
_READ_BYTES = 2**20
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    # write_string is used for text anyway; these stop any other path turning text into
    # formulas, numbers or links.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,
    "remove_timezone": True,
    # Only allows ZIP64 records: zipfile writes them just for parts over 4 GiB.
    "use_zip64": True,
}


def xlsx_chunks(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, context: WriteContext
) -> Iterator[bytes]:
    """Write the workbook to a spooled temporary file, then stream that file.

    An .xlsx is a zip that is only complete at close, so it cannot leave in pieces as it
    is written; ``constant_memory`` keeps xlsxwriter to one row in memory (worksheet XML
    goes to temporary files) and the spool moves to disk past 16 MiB.
    """
    import xlsxwriter

    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        workbook = xlsxwriter.Workbook(spool, _WORKBOOK_OPTIONS)
        try:
            _write_sheet(workbook, batches, schema, context)
        finally:
            workbook.close()
        spool.seek(0)
        while chunk := spool.read(_READ_BYTES):
            yield chunk


WRITERS: dict[str, Writer] = {"csv": csv_chunks, "parquet": parquet_chunks, "xlsx": xlsx_chunks}


def _write_sheet(
    workbook: Any, batches: Iterator[pa.RecordBatch], schema: pa.Schema, context: WriteContext
) -> None:
    sheet = workbook.add_worksheet(context.entity)
    bold = workbook.add_format({"bold": True})
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "time": workbook.add_format({"num_format": "hh:mm:ss"}),
        # Excel's quotePrefix: shown without the apostrophe, kept as text when edited.
        "quoted": workbook.add_format({"quote_prefix": True}),
    }
    for col, name in enumerate(schema.names):
        sheet.write_string(0, col, name, bold)
    sheet.freeze_panes(1, 0)
    if schema.names:
        sheet.set_column(0, len(schema.names) - 1, 16)
        sheet.autofilter(0, 0, max(context.rows, 1), len(schema.names) - 1)
    writers = [_cell_writer(sheet, f.type, formats) for f in schema]
    row = 1
    for batch in batches:
        columns = [c.to_pylist() for c in batch.columns]
        for values in zip(*columns, strict=True):
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
            row += 1
    _write_about(workbook.add_worksheet("about"), context.provenance, bold, formats["quoted"])


def _text_writer(sheet: Any, quoted: Any) -> Callable[..., Any]:
    """``write_string`` (a text cell, never a formula), quote-prefixed where it looks like one."""

    def write(row: int, col: int, value: Any) -> Any:
        text = value if isinstance(value, str) else str(value)
        return sheet.write_string(
            row, col, text, quoted if text.startswith(FORMULA_PREFIXES) else None
        )

    return write


def _cell_writer(sheet: Any, dtype: pa.DataType, formats: dict[str, Any]) -> Callable[..., Any]:
    if pa.types.is_boolean(dtype):
        return sheet.write_boolean  # type: ignore[no-any-return]
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        return sheet.write_number  # type: ignore[no-any-return]
    if pa.types.is_decimal(dtype):
        return lambda r, c, v: sheet.write_number(r, c, float(v))
    if pa.types.is_date(dtype):
        return lambda r, c, v: sheet.write_datetime(r, c, v, formats["date"])
    if pa.types.is_timestamp(dtype):
        return lambda r, c, v: sheet.write_datetime(r, c, v, formats["datetime"])
    if pa.types.is_time(dtype):
        return lambda r, c, v: sheet.write_datetime(r, c, v, formats["time"])
    # Strings and anything else: never write(), which could guess a formula.
    return _text_writer(sheet, formats["quoted"])


def _write_about(about: Any, provenance: dict[str, Any], bold: Any, quoted: Any) -> None:
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 100)
    write = _text_writer(about, quoted)
    for line, (key, value) in enumerate(about_lines(provenance)):
        about.write_string(line, 0, key, bold)
        write(line, 1, value)


def about_lines(provenance: dict[str, Any]) -> list[tuple[str, str]]:
    """The provenance document as (key, text) lines for the workbook's "about" sheet."""
    lines: list[tuple[str, str]] = []
    for key, value in provenance.items():
        if key == "columns":
            value = ", ".join(f"{name} ({dtype})" for name, dtype in value.items())
        elif key == "filters":
            value = f"{'; '.join(value['description'])}   [?{value['query']}]"
        elif isinstance(value, dict | list):
            value = json.dumps(value, default=str, ensure_ascii=False)
        lines.append((key, "" if value is None else str(value)))
    return lines


__all__ = [
    "DEFAULT_BATCH_ROWS",
    "FORMULA_PREFIXES",
    "NEUTRALISED",
    "WRITERS",
    "WriteContext",
    "neutralise",
    "neutralise_strings",
    "plan_columns",
]
