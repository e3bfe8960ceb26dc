"""Running an export: checks first, then the rows streamed from DuckDB through a writer.

:func:`open_export` makes every refusal before a byte is written; the :class:`ExportStream` it
returns holds one cursor, so count, provenance and rows come from the same build.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from analytics.cohort_sql import WarehouseShape, warehouse_shape
from analytics.export.provenance import build_provenance, format_for_path, sidecar_path
from analytics.export.provenance import write_sidecar as _write_sidecar
from analytics.export.query import ExportQuery, export_query, used_params
from analytics.export.records import (
    CONTENT_TYPES,
    ExportError,
    ExportRequest,
    ExportResult,
    ExportTooLargeError,
    Provenance,
)
from analytics.export.writers import (
    DEFAULT_BATCH_ROWS,
    WRITERS,
    Converter,
    WriteContext,
    plan_columns,
)
from warehouse.reader import WarehouseReader

EXCEL_MAX_ROWS = 1_048_576
"""Rows in one Excel worksheet, the header row included."""


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
        record: Provenance,
        *,
        batch_rows: int,
    ) -> None:
        self.request = request
        self.query = query
        self.record = record
        self.rows: int = record.rows
        self.rows_written = 0
        self.bytes_written = 0
        self.completed = False
        self._cursor: duckdb.DuckDBPyConnection | None = cursor
        self._batch_rows = batch_rows
        self._started = False

    @property
    def provenance(self) -> dict[str, Any]:
        """The provenance document as it stands (a fresh dict; change :attr:`record`)."""
        return self.record.document()

    @property
    def filename(self) -> str:
        return self.record.file

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

        Sets the record's ``file_sha256`` and ``file_bytes`` once done.
        """
        digest = hashlib.sha256()
        for chunk in self:
            digest.update(chunk)
            stream.write(chunk)
        self.record.file_sha256 = digest.hexdigest()
        self.record.file_bytes = self.bytes_written
        return self.bytes_written

    def _chunks(self) -> Iterator[bytes]:
        try:
            assert self._cursor is not None
            relation = self._cursor.sql(
                self.query.sql, params=used_params(self.query.params, self.query.sql)
            )
            arrow = relation.to_arrow_reader(self._batch_rows)
            schema, converters = plan_columns(arrow.schema, self.request.fmt)
            batches = self._prepared(arrow, schema, converters)
            context = WriteContext(self.request.entity, self.rows, self.provenance)
            for chunk in WRITERS[self.request.fmt](batches, schema, context):
                self.bytes_written += len(chunk)
                yield chunk
            self.completed = True
        finally:
            self.close()

    def _prepared(
        self, arrow: pa.RecordBatchReader, schema: pa.Schema, converters: list[Converter]
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
            query.count_sql, params=used_params(query.params, query.count_sql)
        ).fetchall()[0]
        rows = int(rows)
        if request.fmt == "xlsx" and rows > EXCEL_MAX_ROWS - 1:
            raise ExportTooLargeError(
                f"the cohort has {rows:,} {request.entity} rows, which exceed Excel's "
                f"{EXCEL_MAX_ROWS:,}-row sheet limit (header included); export CSV or "
                "Parquet instead, or narrow the cohort"
            )
        record = build_provenance(
            request,
            shape,
            query,
            (rows, holdout_rows),
            cursor,
            reader,
            now or datetime.now(UTC),
        )
    except BaseException:
        cursor.close()
        raise
    return ExportStream(request, cursor, query, record, batch_rows=batch_rows)


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
        export.record.rows = export.rows_written
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
            export.record.file = out.name
            with part.open("wb") as handle:
                export.write_to(handle)
            export.record.rows = export.rows_written
            provenance = export.provenance
        os.replace(part, out)
        _write_sidecar(sidecar, provenance)
    finally:
        part.unlink(missing_ok=True)
    return ExportResult(provenance["rows"], provenance, out, sidecar)


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


__all__ = [
    "EXCEL_MAX_ROWS",
    "ExportStream",
    "export_rows",
    "export_to_file",
    "iter_export",
    "open_export",
]
