"""An export's provenance record (filters, rows, build, model versions and their verdicts,
time, user, SQL fingerprint) and the files that carry it: the ``<file>.provenance.json``
sidecar and the export's own file name."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from analytics.cohort_sql import WarehouseShape
from analytics.export.query import ExportQuery, model_versions_sql, used_params
from analytics.export.records import (
    FORMATS,
    HOLDOUT_COLUMN,
    ID_COLUMNS,
    NO_CURRENCY,
    ExportError,
    ExportRequest,
    Filters,
    Format,
    Holdout,
    Provenance,
)
from analytics.export.writers import NEUTRALISED
from analytics.model_verdicts import export_verdicts
from warehouse import __version__
from warehouse.reader import WarehouseReader


def build_provenance(
    request: ExportRequest,
    shape: WarehouseShape,
    query: ExportQuery,
    counts: tuple[int, int | None],
    cursor: duckdb.DuckDBPyConnection,
    reader: WarehouseReader,
    now: datetime,
) -> Provenance:
    """The record of an export about to be written; ``counts`` is (rows, hold-out rows)."""
    rows, holdout_rows = counts
    relation = cursor.sql(query.sql, params=used_params(query.params, query.sql))
    columns = {
        name: str(dtype) for name, dtype in zip(relation.columns, relation.types, strict=True)
    }
    holdout = None
    if request.holdout_share is not None:
        holdout = Holdout(
            HOLDOUT_COLUMN, request.holdout_share, request.holdout_seed, int(holdout_rows or 0)
        )
    return Provenance(
        shopsight_version=__version__,
        created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        user=request.user,
        entity=request.entity,
        format=request.fmt,
        file=export_filename(request.entity, request.fmt, shape.build_id),
        filters=Filters(
            query=request.cohort.to_query(),
            description=request.cohort.describe() or [f"all {request.entity}"],
        ),
        rows=rows,
        holdout=holdout,
        build_id=shape.build_id,
        warehouse_file=Path(reader.target).name if reader.target else None,
        model_versions=model_versions(cursor, shape),
        columns=columns,
        order=f"by {ID_COLUMNS[request.entity]}",
        sql_sha256=query.fingerprint,
        neutralised=NEUTRALISED[request.fmt],
        model_verdicts=export_verdicts(reader, list(columns)),
        currency=request.currency or NO_CURRENCY,
    )


def model_versions(
    cursor: duckdb.DuckDBPyConnection, shape: WarehouseShape
) -> dict[str, Any] | str:
    """``{"<table>.<column>": [versions…]}`` over the score tables, or ``"no scores"``."""
    versions: dict[str, Any] = {}
    for table in ("customer_scores", "session_scores"):
        for column in sorted(
            c for c in shape.columns.get(table, ()) if c.endswith("_model_version")
        ):
            found = cursor.sql(model_versions_sql(table, column)).fetchall()
            versions[f"{table}.{column}"] = [v for (v,) in found]
    return versions or "no scores"


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


__all__ = [
    "build_provenance",
    "export_filename",
    "format_for_path",
    "model_versions",
    "provenance_json",
    "sidecar_path",
    "write_sidecar",
]
