"""Scoring a file a user uploads with the current models.

Events, orders or session tables go through the same ingest as ``shopsight build`` (so the
same validation, the same messages with file, line and column) into a throw-away warehouse,
which the current models then score. A CSV of customer ids is looked up in the current
scores instead. The scored rows come back as a CSV, formula cells neutralised.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from analytics.export import neutralise_strings
from common.errors import ShopSightError
from warehouse.build import BuildOptions, build_warehouse
from warehouse.errors import IngestError
from warehouse.reader import WarehouseReader

MAX_UPLOAD_BYTES = 25_000_000
ALLOWED_SUFFIXES = (".csv", ".csv.gz", ".csv.zst", ".parquet", ".ndjson", ".jsonl", ".xlsx")


class UploadError(ShopSightError):
    """An uploaded file cannot be scored; the message says why (and where)."""


@dataclass(frozen=True)
class UploadResult:
    kind: str  # "customers" (id list looked up), "customer scores" or "session scores"
    rows: int
    rejected: int
    path: Path
    notes: list[str]


def _neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with spreadsheet-formula strings neutralised (the export's own rules)."""
    table = frame.to_arrow()
    columns = [
        neutralise_strings(col.combine_chunks())
        if pa.types.is_string(col.type)
        or pa.types.is_large_string(col.type)
        or pa.types.is_string_view(col.type)
        else col
        for col in table.columns
    ]
    result = pl.from_arrow(pa.table(columns, names=table.column_names))
    assert isinstance(result, pl.DataFrame)
    return result


def safe_name(filename: str) -> str:
    """The uploaded file's base name with anything but letters, digits, dot, dash removed."""
    base = Path(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    if not cleaned or not cleaned.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadError(
            f"{base or 'the file'}: unsupported file type; upload one of "
            + ", ".join(ALLOWED_SUFFIXES)
        )
    return cleaned


def validate_bytes(name: str, content: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    if len(content) > max_bytes:
        raise UploadError(
            f"{name}: {len(content) / 1e6:,.1f} MB is over the {max_bytes / 1e6:g} MB "
            "upload limit; build large files with `shopsight build` instead"
        )
    if not content:
        raise UploadError(f"{name}: the file is empty")
    if name.lower().endswith(".csv") and b"\x00" in content[:65536]:
        raise UploadError(
            f"{name}: this is not a text CSV file (it holds binary bytes); was another file "
            "renamed to .csv?"
        )


def score_upload(
    db_path: Path,
    filename: str,
    content: bytes,
    workdir: Path | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> UploadResult:
    """Validate ``content`` and score it with the models of the warehouse at ``db_path``."""
    name = safe_name(filename)
    validate_bytes(name, content, max_bytes)
    work = Path(tempfile.mkdtemp(prefix="shopsight-upload-", dir=workdir))
    try:
        source = work / name
        source.write_bytes(content)
        if name.lower().endswith(".csv") and _is_customer_list(content):
            return _lookup_customers(db_path, content, work, name)
        return _score_file(db_path, source, work, name)
    except ShopSightError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    except duckdb.Error as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise UploadError(f"{name}: could not be scored: {exc}") from None


def _is_customer_list(content: bytes) -> bool:
    first = content.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().lower()
    return first.replace('"', "") in ("customer_id", "customer id", "customerid")


def _lookup_customers(db_path: Path, content: bytes, work: Path, name: str) -> UploadResult:
    ids: list[str] = []
    bad: list[int] = []
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise UploadError(f"{name}, line {line}: not valid UTF-8; re-save it as UTF-8") from None
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if line == 1:
            continue
        if len(row) != 1 or not row[0].strip():
            bad.append(line)
            continue
        ids.append(row[0].strip())
    if not ids:
        raise UploadError(f"{name}: no customer ids below the header")
    reader = WarehouseReader(db_path)
    try:
        tables = {r[0] for r in reader.rows("SELECT table_name FROM information_schema.tables")}
        if "customer_scores" not in tables:
            raise UploadError("no customer scores yet: run `shopsight train` and `shopsight score`")
        frame = reader.frame(
            "WITH wanted AS (SELECT unnest($ids::VARCHAR[]) AS customer_id) "
            "SELECT w.customer_id, s.* EXCLUDE (customer_id), s.customer_id IS NOT NULL AS found "
            "FROM wanted AS w LEFT JOIN customer_scores AS s USING (customer_id)",
            {"ids": ids},
        )
    finally:
        reader.close()
    out = work / f"scored-{Path(name).stem}.csv"
    _neutralised(frame).write_csv(out)
    missing = int((~frame["found"]).sum())
    notes = [f"{missing:,} id(s) not found in the current warehouse"] if missing else []
    if bad:
        lines = ", ".join(map(str, bad[:5]))
        notes.append(f"{len(bad):,} line(s) skipped (not one id): lines {lines}")
    return UploadResult("customers", frame.height, len(bad), out, notes)


def _score_file(db_path: Path, source: Path, work: Path, name: str) -> UploadResult:
    from models.artifacts import default_dir
    from models.score import score_models

    artifacts = default_dir(db_path)
    scratch = work / "upload.duckdb"
    try:
        result = build_warehouse(scratch, [str(source)], BuildOptions(memory_limit="1GB"))
    except IngestError as exc:
        raise UploadError(str(exc).replace(str(source), name)) from None
    except ShopSightError as exc:
        raise UploadError(str(exc).replace(str(source), name)) from None
    rejected = sum(s.rows_rejected for s in result.sources)
    # Checked after the file itself, so a bad file hears about its own problem first.
    if not (artifacts / "index.json").is_file():
        raise UploadError(
            f"{name} is valid ({sum(s.rows_loaded for s in result.sources):,} rows), but there "
            "are no trained models to score it with yet: run `shopsight train` first"
        )
    notes = []
    if rejected:
        notes.append(f"{rejected:,} row(s) rejected; the first reasons are listed below")
    score_models(scratch, artifacts)
    con = duckdb.connect(str(scratch), read_only=True)
    try:
        customers = con.sql("SELECT count(*) FROM customer_scores").fetchall()[0][0]
        if customers:
            frame = con.sql("SELECT * FROM customer_scores ORDER BY customer_id").pl()
            kind = "customer scores"
        else:
            frame = con.sql("SELECT * FROM session_scores ORDER BY session_id").pl()
            kind = "session scores"
        rejects = con.sql(
            "SELECT line, column_name, reason FROM rejected_rows ORDER BY line LIMIT 5"
        ).fetchall()
    finally:
        con.close()
    for line, column, reason in rejects:
        where = f"line {line}" + (f", column {column!r}" if column else "")
        notes.append(f"{name}, {where}: {reason}")
    out = work / f"scored-{Path(name).stem}.csv"
    _neutralised(frame).write_csv(out)
    return UploadResult(kind, frame.height, rejected, out, notes)
