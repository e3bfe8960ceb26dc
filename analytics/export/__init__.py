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

The package, along its seams:

- :mod:`~analytics.export.records`: the request, the result, the provenance record, errors;
- :mod:`~analytics.export.query`: the SQL (``analytics/sql/export_*.sql``) and the hold-out;
- :mod:`~analytics.export.writers`: Arrow batches to CSV / Parquet / XLSX bytes, and the
  spreadsheet-safety rules;
- :mod:`~analytics.export.provenance`: the provenance record and its sidecar;
- :mod:`~analytics.export.stream`: checks, the cursor, the stream, file exports.
"""

from __future__ import annotations

from analytics.export.provenance import (
    export_filename,
    format_for_path,
    provenance_json,
    sidecar_path,
    write_sidecar,
)
from analytics.export.query import ExportQuery, export_query, holdout_flag
from analytics.export.records import (
    CONTENT_TYPES,
    ENTITIES,
    FORMATS,
    Entity,
    ExportError,
    ExportRequest,
    ExportResult,
    ExportTooLargeError,
    Format,
    Provenance,
)
from analytics.export.stream import (
    EXCEL_MAX_ROWS,
    ExportStream,
    export_rows,
    export_to_file,
    iter_export,
    open_export,
)
from analytics.export.writers import (
    DEFAULT_BATCH_ROWS,
    FORMULA_PREFIXES,
    neutralise,
    neutralise_strings,
)

__all__ = [
    "CONTENT_TYPES",
    "DEFAULT_BATCH_ROWS",
    "ENTITIES",
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "FORMULA_PREFIXES",
    "Entity",
    "ExportError",
    "ExportQuery",
    "ExportRequest",
    "ExportResult",
    "ExportStream",
    "ExportTooLargeError",
    "Format",
    "Provenance",
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
