"""Cohort exports: the filtered customer (or session) list as CSV, Parquet or XLSX.

The same cohort query string that drives the page drives the export, from the web route
(:mod:`dashboard.export_route`) and from ``shopsight export``. Rows stream out of DuckDB as
Arrow record batches and are written batch by batch, so memory stays bounded whatever the
cohort's size and there is no row cap except Excel's own sheet limit. The dashboard's
DuckDB connection is locked down (no ``COPY … TO``, no file access), which is why the
writing happens here, in Python, with pyarrow and xlsxwriter.

Every export carries a provenance record (filters, rows, build, model versions, time, user,
SQL fingerprint): as a ``<file>.provenance.json`` sidecar from the CLI, as a second download
on the web, inside the Parquet footer and on an "about" sheet of the workbook.

Spreadsheet safety: string cells that a spreadsheet would evaluate as a formula are
neutralised with a leading single quote (OWASP "CSV injection"); numbers are never touched,
so a negative number stays a number.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from analytics.cohort import Cohort
from analytics.cohort_sql import WarehouseShape, compile_cohort, warehouse_shape
from common.errors import ShopSightError
from warehouse import __version__
from warehouse.engine import quote_ident
from warehouse.reader import WarehouseReader

Entity = Literal["customers", "sessions"]
Format = Literal["csv", "parquet", "xlsx"]
ENTITIES: tuple[Entity, ...] = ("customers", "sessions")
FORMATS: tuple[Format, ...] = ("csv", "parquet", "xlsx")
ID_COLUMNS: dict[str, str] = {"customers": "customer_id", "sessions": "session_id"}
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXCEL_MAX_ROWS = 1_048_576
"""Rows in one Excel worksheet, the header row included."""
DEFAULT_BATCH_ROWS = 16_384
"""Rows per Arrow batch out of DuckDB: at a million customers, 16k-row batches peaked ~80 MiB
lower than 64k-row ones at the same speed (docs/export.md)."""
PARQUET_ROW_GROUP_ROWS = 65_536
HOLDOUT_COLUMN = "holdout"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make a spreadsheet treat a cell as a formula.

``= + - @ tab CR`` are OWASP's list; NUL is in OWASP ASVS 1.2.10; the full-width
``＝ ＋ － ＠`` are covered as a precaution (East Asian input setups can turn them into
formula starts), since a stray quote on such rare text costs nothing.
"""
_FORMULA_RE = r"^[=+\-@\t\r\x00\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"  # RE2 syntax, for Arrow
HOLDOUT_METHOD = (
    "holdout = int(md5('<seed>:<id>')[:8], 16) / 2**32 < share: a seeded hash of the id, "
    "not a random draw"
)


class ExportError(ShopSightError):
    """An export cannot be made as asked (the message says why and what to do instead)."""


class ExportTooLargeError(ExportError):
    """The cohort has more rows than the chosen format can hold (Excel's sheet limit)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export.

    Parameters
    ----------
    cohort
        The filters (the page's URL query string, parsed).
    entity
        ``"customers"`` (one row per customer, with score columns when the build has
        scores) or ``"sessions"`` (one row per session of the cohort).
    fmt
        ``"csv"``, ``"parquet"`` or ``"xlsx"``.
    holdout_share
        When set, a boolean ``holdout`` column marks about this share of the rows as a
        control group (``0 <= share < 1``). See :func:`holdout_flag`.
    holdout_seed
        Seed of the hold-out hash: the same list and seed give the same control group.
    user
        Who asked, for the provenance record.
    """

    cohort: Cohort
    entity: Entity = "customers"
    fmt: Format = "csv"
    holdout_share: float | None = None
    holdout_seed: int = 0
    user: str | None = None

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ExportError(f"cannot export {self.entity!r}; choose one of {', '.join(ENTITIES)}")
        if self.fmt not in FORMATS:
            raise ExportError(
                f"unknown export format {self.fmt!r}; choose one of {', '.join(FORMATS)}"
            )
        share = self.holdout_share
        if share is not None and (
            isinstance(share, bool)
            or not isinstance(share, int | float)
            or not math.isfinite(share)
            or not 0.0 <= share < 1.0
        ):
            raise ExportError(
                f"hold-out share {share!r} must be a number from 0 up to (not including) 1"
            )
        seed = self.holdout_seed
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ExportError(f"hold-out seed {seed!r} must be a whole number from 0 to 2**63 - 1")
        if self.user is not None and len(self.user) > 200:
            raise ExportError("user name longer than 200 characters")


@dataclass
class ExportResult:
    """What an export wrote: rows, the provenance record and, from a file export, paths."""

    rows: int
    provenance: dict[str, Any]
    path: Path | None = None
    sidecar: Path | None = None


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


# ---- hold-out -------------------------------------------------------------------------------
def holdout_flag(row_id: str, share: float, seed: int) -> bool:
    """Whether ``row_id`` falls in the control group for ``share`` and ``seed``.

    The reference of the SQL the export runs: the first 32 bits of ``md5("<seed>:<id>")``,
    read as a fraction of 2**32, below ``share``. A seeded hash instead of a random draw so
    the control group can be reproduced from the file alone (same list and seed, same
    group; a customer keeps their assignment across overlapping lists with one seed), by
    any tool that has MD5, on any engine. The share is a per-row probability: the group
    holds *about* ``share`` of the rows; the provenance records the exact count.
    """
    digest = hashlib.md5(f"{seed}:{row_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) / 2**32 < share


def _holdout_sql(id_expr: str) -> str:
    return (
        "coalesce((('0x' || substr(md5(CAST($holdout_seed AS VARCHAR) || ':' || "
        f"CAST({id_expr} AS VARCHAR)), 1, 8))::UBIGINT / 4294967296.0) < $holdout_share, false)"
    )


# ---- SQL --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportQuery:
    """The SQL of an export: ``sql`` streams the rows in id order; ``count_sql`` counts them."""

    sql: str
    count_sql: str
    params: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        """sha256 of the SQL text (values are parameters, recorded as the query string)."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def export_query(request: ExportRequest, shape: WarehouseShape) -> ExportQuery:
    """Compile ``request`` for a build of ``shape`` (raises CohortError / ExportError)."""
    if request.entity == "customers":
        if not shape.has_customers or not shape.has("customers"):
            why = shape.reasons.get("has_customer_ids", "no customer ids")
            raise ExportError(
                f"this data has no customer ids ({why}), so there is no customer list; "
                "export sessions instead"
            )
    elif not shape.has("sessions"):
        raise ExportError("this warehouse has no sessions table; rebuild it with shopsight build")
    compiled = compile_cohort(request.cohort, shape)
    id_column = ID_COLUMNS[request.entity]
    if request.entity == "customers":
        inner = compiled.customers_sql
    else:
        select, source = "s.*", "sessions AS s"
        if shape.has("session_scores"):
            extra = sorted(shape.columns["session_scores"] - shape.columns["sessions"])
            select += "".join(f", ss.{quote_ident(c)}" for c in extra)
            source += " LEFT JOIN session_scores AS ss USING (session_id)"
        inner = f"SELECT {select} FROM {source} WHERE {compiled.session_where}"
    id_expr = f"export_rows.{quote_ident(id_column)}"
    params = dict(compiled.params)
    holdout = ""
    if request.holdout_share is not None:
        holdout = f", {_holdout_sql(id_expr)} AS {HOLDOUT_COLUMN}"
        params.update(holdout_share=float(request.holdout_share), holdout_seed=request.holdout_seed)
    base = f"SELECT export_rows.*{holdout} FROM ({inner}) AS export_rows"
    # Ordered by the id so the same cohort on the same build gives the same file, byte
    # for byte; the holdout count rides along with the row count in one scan.
    sql = f"{base} ORDER BY {id_expr}"
    counted = f", count(*) FILTER (WHERE {HOLDOUT_COLUMN})" if holdout else ", NULL"
    count_sql = f"SELECT count(*){counted} FROM ({base}) AS counted"
    return ExportQuery(sql=sql, count_sql=count_sql, params=params)


def _used(params: dict[str, Any], sql: str) -> dict[str, Any]:
    # DuckDB refuses parameters a statement does not use.
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}


# ---- the export -----------------------------------------------------------------------------
class ExportStream:
    """An export whose checks have passed, ready to stream; made by :func:`open_export`.

    Holds one DuckDB cursor (so the count, the provenance and the rows all come from the
    same build, even if a rebuild swaps the warehouse meanwhile) until iterated to the end
    or closed. Iterate it once for the file's bytes, or call :meth:`write_to`.
    """

    def __init__(
        self,
        request: ExportRequest,
        cursor: duckdb.DuckDBPyConnection,
        query: ExportQuery,
        provenance: dict[str, Any],
        *,
        batch_rows: int,
    ) -> None:
        self.request = request
        self.query = query
        self.provenance = provenance
        self.rows: int = provenance["rows"]
        self.rows_written = 0
        self.bytes_written = 0
        self.completed = False
        self._cursor: duckdb.DuckDBPyConnection | None = cursor
        self._batch_rows = batch_rows
        self._started = False

    @property
    def filename(self) -> str:
        return str(self.provenance["file"])

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.request.fmt]

    def __enter__(self) -> ExportStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the cursor (safe to call more than once)."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def __iter__(self) -> Iterator[bytes]:
        if self._started:
            raise ExportError("an export stream can be read only once")
        self._started = True
        if self._cursor is None:
            raise ExportError("this export was closed before it was read")
        return self._chunks()

    def write_to(self, stream: BinaryIO) -> int:
        """Write the whole file to ``stream``; returns the bytes written.

        Sets ``provenance["file_sha256"]`` and ``["file_bytes"]`` once done.
        """
        digest = hashlib.sha256()
        for chunk in self:
            digest.update(chunk)
            stream.write(chunk)
        self.provenance["file_sha256"] = digest.hexdigest()
        self.provenance["file_bytes"] = self.bytes_written
        return self.bytes_written

    # ---- internals ---------------------------------------------------------------------
    def _chunks(self) -> Iterator[bytes]:
        try:
            assert self._cursor is not None
            relation = self._cursor.sql(
                self.query.sql, params=_used(self.query.params, self.query.sql)
            )
            arrow = relation.to_arrow_reader(self._batch_rows)
            schema, converters = _plan(arrow.schema, self.request.fmt)
            batches = self._prepared(arrow, schema, converters)
            writer = {"csv": _csv_chunks, "parquet": _parquet_chunks, "xlsx": _xlsx_chunks}
            for chunk in writer[self.request.fmt](batches, schema, self):
                self.bytes_written += len(chunk)
                yield chunk
            self.completed = True
        finally:
            self.close()

    def _prepared(
        self, arrow: pa.RecordBatchReader, schema: pa.Schema, converters: list[_Converter]
    ) -> Iterator[pa.RecordBatch]:
        for batch in arrow:
            columns = [convert(batch.column(i)) for i, convert in enumerate(converters)]
            self.rows_written += batch.num_rows
            yield pa.RecordBatch.from_arrays(columns, schema=schema)


def open_export(
    reader: WarehouseReader,
    request: ExportRequest,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    now: datetime | None = None,
) -> ExportStream:
    """Check and prepare an export; every refusal is raised here, before any byte is written.

    Raises
    ------
    CohortError
        A filter the build cannot apply (no scores yet, no customer ids…).
    ExportTooLargeError
        XLSX asked for more rows than an Excel sheet holds.
    ExportError
        Anything else that makes the export impossible (no customer ids for a customer list).
    WarehouseNotFoundError
        No warehouse at the reader's path.
    """
    cursor, shape = _consistent_cursor(reader)
    try:
        query = export_query(request, shape)
        rows, holdout_rows = cursor.sql(
            query.count_sql, params=_used(query.params, query.count_sql)
        ).fetchall()[0]
        rows = int(rows)
        if request.fmt == "xlsx" and rows > EXCEL_MAX_ROWS - 1:
            raise ExportTooLargeError(
                f"the cohort has {rows:,} {request.entity} rows, which exceed Excel's "
                f"{EXCEL_MAX_ROWS:,}-row sheet limit (header included); export CSV or "
                "Parquet instead, or narrow the cohort"
            )
        provenance = _provenance(
            request, shape, query, rows, holdout_rows, cursor, reader, now or datetime.now(UTC)
        )
    except BaseException:
        cursor.close()
        raise
    return ExportStream(request, cursor, query, provenance, batch_rows=batch_rows)


def iter_export(
    reader: WarehouseReader, request: ExportRequest, *, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[bytes]:
    """The export file's bytes, chunk by chunk, for a streaming HTTP response.

    Checks run now (errors raise from this call, not from the first ``next``); the cursor
    is released when the iterator is exhausted or closed.
    """
    export = open_export(reader, request, batch_rows=batch_rows)
    return _closing(export)


def _closing(export: ExportStream) -> Iterator[bytes]:
    try:
        yield from export
    finally:
        export.close()


def export_rows(
    reader: WarehouseReader,
    request: ExportRequest,
    stream: BinaryIO,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> ExportResult:
    """Write the export to ``stream``; returns the rows written and the provenance."""
    with open_export(reader, request, batch_rows=batch_rows) as export:
        export.write_to(stream)
        export.provenance["rows"] = export.rows_written
        return ExportResult(export.rows_written, export.provenance)


def export_to_file(
    reader: WarehouseReader,
    request: ExportRequest,
    out: Path | str,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> ExportResult:
    """Write the export to ``out`` and its provenance to ``<out>.provenance.json``.

    Both are written to temporary names and renamed into place, so a failed or
    interrupted export never leaves a half-written file under the final name.
    """
    out = Path(out)
    if format_for_path(out) != request.fmt:
        raise ExportError(
            f"{out}: the file name says {format_for_path(out)}, the request {request.fmt}"
        )
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    sidecar = sidecar_path(out)
    try:
        with open_export(reader, request, batch_rows=batch_rows) as export:
            export.provenance["file"] = out.name
            with part.open("wb") as handle:
                export.write_to(handle)
            export.provenance["rows"] = export.rows_written
            provenance = export.provenance
        os.replace(part, out)
        write_sidecar(sidecar, provenance)
    finally:
        part.unlink(missing_ok=True)
    return ExportResult(provenance["rows"], provenance, out, sidecar)


def format_for_path(path: Path | str) -> Format:
    """The export format a file name asks for (``.csv``, ``.parquet``, ``.xlsx``)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    for fmt in FORMATS:
        if suffix == fmt:
            return fmt
    raise ExportError(
        f"{path}: cannot tell the export format from the name; end it in .csv, .parquet or .xlsx"
    )


def sidecar_path(out: Path | str) -> Path:
    """``<out>.provenance.json``."""
    out = Path(out)
    return out.with_name(out.name + ".provenance.json")


def provenance_json(provenance: dict[str, Any]) -> str:
    return json.dumps(provenance, indent=2, ensure_ascii=False, default=str) + "\n"


def write_sidecar(path: Path, provenance: dict[str, Any]) -> None:
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_text(provenance_json(provenance), encoding="utf-8")
    os.replace(part, path)


def export_filename(entity: str, fmt: str, build_id: str) -> str:
    """``shopsight-<entity>-<build>.<fmt>`` (characters a file system dislikes replaced)."""
    safe_build = re.sub(r"[^A-Za-z0-9._-]", "_", build_id)[:80]
    return f"shopsight-{entity}-{safe_build}.{fmt}"


def _consistent_cursor(
    reader: WarehouseReader,
) -> tuple[duckdb.DuckDBPyConnection, WarehouseShape]:
    """A cursor and the shape of the build that cursor reads.

    A rebuild may swap the warehouse between taking the cursor and reading the shape; then
    the two would disagree, so try again.
    """
    for _ in range(3):
        cursor = reader.cursor()
        target = reader.target
        try:
            shape = warehouse_shape(reader)
        except BaseException:
            cursor.close()
            raise
        if reader.target == target:
            return cursor, shape
        cursor.close()
    raise ExportError("the warehouse kept changing while the export started; try again")


def _provenance(
    request: ExportRequest,
    shape: WarehouseShape,
    query: ExportQuery,
    rows: int,
    holdout_rows: int | None,
    cursor: duckdb.DuckDBPyConnection,
    reader: WarehouseReader,
    now: datetime,
) -> dict[str, Any]:
    cohort = request.cohort
    relation = cursor.sql(query.sql, params=_used(query.params, query.sql))
    columns = {
        name: str(dtype) for name, dtype in zip(relation.columns, relation.types, strict=True)
    }
    holdout: dict[str, Any] | None = None
    if request.holdout_share is not None:
        holdout = {
            "column": HOLDOUT_COLUMN,
            "share": request.holdout_share,
            "seed": request.holdout_seed,
            "rows": int(holdout_rows or 0),
            "method": HOLDOUT_METHOD,
        }
    return {
        "shopsight_version": __version__,
        "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "user": request.user,
        "entity": request.entity,
        "format": request.fmt,
        "file": export_filename(request.entity, request.fmt, shape.build_id),
        "filters": {
            "query": cohort.to_query(),
            "description": cohort.describe() or [f"all {request.entity}"],
        },
        "rows": rows,
        "holdout": holdout,
        "build_id": shape.build_id,
        "warehouse_file": Path(reader.target).name if reader.target else None,
        "model_versions": _model_versions(cursor, shape),
        "columns": columns,
        "order": f"by {ID_COLUMNS[request.entity]}",
        "sql_sha256": query.fingerprint,
        "neutralised": (
            "string cells starting with = + - @ tab CR NUL (or full-width ＝ ＋ － ＠) are "
            "prefixed with ' so spreadsheets show them as text; numbers are unchanged"
        ),
    }


def _model_versions(
    cursor: duckdb.DuckDBPyConnection, shape: WarehouseShape
) -> dict[str, Any] | str:
    versions: dict[str, Any] = {}
    for table in ("customer_scores", "session_scores"):
        for column in sorted(
            c for c in shape.columns.get(table, ()) if c.endswith("_model_version")
        ):
            name = quote_ident(column)
            # Names come from the catalogue, never from a request.
            found = cursor.sql(
                f"SELECT DISTINCT CAST({name} AS VARCHAR) FROM {table} "
                f"WHERE {name} IS NOT NULL ORDER BY 1"
            ).fetchall()
            versions[f"{table}.{column}"] = [v for (v,) in found]
    return versions or "no scores"


# ---- column preparation -------------------------------------------------------------------
_Converter = Callable[[pa.Array], pa.Array]


def _identity(array: pa.Array) -> pa.Array:
    return array


def _to_int64(array: pa.Array) -> pa.Array:
    try:
        return array.cast(pa.int64())
    except pa.ArrowInvalid:
        raise ExportError("a whole-number column holds values beyond 64-bit integers") from None


def _decode_dictionary(array: pa.Array) -> pa.Array:
    return neutralise_strings(array.dictionary_decode())


def _to_json_text(array: pa.Array) -> pa.Array:
    text = [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()]
    return neutralise_strings(pa.array(text, pa.string()))


def _plan(schema: pa.Schema, fmt: str) -> tuple[pa.Schema, list[_Converter]]:
    """Output schema and a converter per column, decided once so every batch matches."""
    fields: list[pa.Field] = []
    converters: list[_Converter] = []
    for column in schema:
        dtype = column.type
        if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
            out, convert = dtype, neutralise_strings
        elif pa.types.is_string_view(dtype):
            out, convert = pa.string(), neutralise_strings
        elif pa.types.is_dictionary(dtype) and (
            pa.types.is_string(dtype.value_type) or pa.types.is_large_string(dtype.value_type)
        ):
            out, convert = dtype.value_type, _decode_dictionary
        elif pa.types.is_decimal(dtype) and dtype.scale == 0 and dtype.precision > 18:
            # DuckDB's HUGEINT (sums of counts) arrives as decimal(38, 0): a whole number.
            out, convert = pa.int64(), _to_int64
        elif fmt != "parquet" and (
            pa.types.is_nested(dtype)
            or pa.types.is_binary(dtype)
            or pa.types.is_large_binary(dtype)
        ):
            out, convert = pa.string(), _to_json_text
        else:
            out, convert = dtype, _identity
        fields.append(pa.field(column.name, out))
        converters.append(convert)
    return pa.schema(fields), converters


# ---- writers ----------------------------------------------------------------------------------
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


def _csv_chunks(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, export: ExportStream
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


def _parquet_chunks(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, export: ExportStream
) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    sink = _ChunkSink()
    # The provenance rides in the footer too, so the file explains itself if the sidecar
    # gets lost.
    annotated = schema.with_metadata(
        {"shopsight.provenance": json.dumps(export.provenance, default=str)}
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


def _xlsx_chunks(
    batches: Iterator[pa.RecordBatch], schema: pa.Schema, export: ExportStream
) -> Iterator[bytes]:
    """Write the workbook to a spooled temporary file, then stream that file.

    An .xlsx is a zip that is only complete at close, so it cannot leave in pieces as it
    is written; ``constant_memory`` keeps xlsxwriter to one row in memory (worksheet XML
    goes to temporary files) and the spool moves to disk past 16 MiB.
    """
    import xlsxwriter

    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        workbook = xlsxwriter.Workbook(
            spool,
            {
                "constant_memory": True,
                # write_string is used for text anyway; these stop any other path
                # turning text into formulas, numbers or links.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
                "remove_timezone": True,
                # Only allows ZIP64 records: zipfile writes them just for parts over 4 GiB.
                "use_zip64": True,
            },
        )
        try:
            _write_sheet(workbook, batches, schema, export)
        finally:
            workbook.close()
        spool.seek(0)
        while chunk := spool.read(_READ_BYTES):
            yield chunk


def _write_sheet(
    workbook: Any, batches: Iterator[pa.RecordBatch], schema: pa.Schema, export: ExportStream
) -> None:
    sheet = workbook.add_worksheet(export.request.entity)
    bold = workbook.add_format({"bold": True})
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "time": workbook.add_format({"num_format": "hh:mm:ss"}),
    }
    for col, name in enumerate(schema.names):
        sheet.write_string(0, col, name, bold)
    sheet.freeze_panes(1, 0)
    if schema.names:
        sheet.set_column(0, len(schema.names) - 1, 16)
        sheet.autofilter(0, 0, max(export.rows, 1), len(schema.names) - 1)
    writers = [_cell_writer(sheet, f.type, formats) for f in schema]
    row = 1
    for batch in batches:
        columns = [c.to_pylist() for c in batch.columns]
        for values in zip(*columns, strict=True):
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
            row += 1

    about = workbook.add_worksheet("about")
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 100)
    for line, (key, value) in enumerate(_about_lines(export.provenance)):
        about.write_string(line, 0, key, bold)
        about.write_string(line, 1, neutralise(value))


def _cell_writer(sheet: Any, dtype: pa.DataType, formats: dict[str, Any]) -> Callable[..., Any]:
    if pa.types.is_boolean(dtype):
        return sheet.write_boolean  # type: ignore[no-any-return]
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        return sheet.write_number  # type: ignore[no-any-return]
    if pa.types.is_decimal(dtype):
        return lambda r, c, v: sheet.write_number(r, c, float(v))
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        # Never write(): write_string can only ever produce a text cell.
        return sheet.write_string  # type: ignore[no-any-return]
    if pa.types.is_date(dtype):
        return lambda r, c, v: sheet.write_datetime(r, c, v, formats["date"])
    if pa.types.is_timestamp(dtype):
        return lambda r, c, v: sheet.write_datetime(r, c, v, formats["datetime"])
    if pa.types.is_time(dtype):
        return lambda r, c, v: sheet.write_datetime(r, c, v, formats["time"])
    return lambda r, c, v: sheet.write_string(r, c, neutralise(str(v)))


def _about_lines(provenance: dict[str, Any]) -> list[tuple[str, str]]:
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
    "CONTENT_TYPES",
    "DEFAULT_BATCH_ROWS",
    "ENTITIES",
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "FORMULA_PREFIXES",
    "ExportError",
    "ExportQuery",
    "ExportRequest",
    "ExportResult",
    "ExportStream",
    "ExportTooLargeError",
    "export_filename",
    "export_query",
    "export_rows",
    "export_to_file",
    "format_for_path",
    "holdout_flag",
    "iter_export",
    "neutralise",
    "neutralise_strings",
    "open_export",
    "provenance_json",
    "sidecar_path",
    "write_sidecar",
]
