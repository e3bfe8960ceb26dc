"""Scoring a file a user uploads with the current models.

Events, orders or session tables go through the same ingest as ``shopsight build`` (so the
same validation, the same messages with file, line and column) into a throw-away warehouse,
which the current models then score. A CSV of customer ids is looked up in the current
scores instead. The scored rows come back as a CSV, formula cells neutralised.

The web process does this work itself, so an upload has ceilings (:class:`UploadLimits`): its
size as sent, its size uncompressed, its rows, and its time. The first three are measured
before any parser runs (:mod:`warehouse.inflation`), so a compressed file of millions of
rows is refused in the time it takes to count them, not after minutes of staging. The
scratch folder goes on every path out, success or failure.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.export import neutralise_strings
from common.errors import ShopSightError
from warehouse.build import BuildOptions, build_warehouse
from warehouse.engine import load_sql
from warehouse.errors import IngestError
from warehouse.inflation import InflationLimits, check_inflation
from warehouse.reader import WarehouseReader
from warehouse.sources import classify

MAX_UPLOAD_BYTES = 25_000_000
MAX_INFLATED_BYTES = 100_000_000
MAX_UPLOAD_ROWS = 1_000_000
MAX_UPLOAD_SECONDS = 120.0
ALLOWED_SUFFIXES = (".csv", ".csv.gz", ".csv.zst", ".parquet", ".ndjson", ".jsonl", ".xlsx")


class UploadError(ShopSightError):
    """An uploaded file cannot be scored; the message says why (and where)."""


class UploadTimeoutError(UploadError):
    """Scoring an upload ran past its time ceiling and was stopped."""


@dataclass(frozen=True)
class UploadLimits:
    """The ceilings of one upload; the Data page states them (:meth:`describe`).

    Parameters
    ----------
    max_bytes
        The file as sent.
    max_inflated_bytes
        The file uncompressed (a ``.gz`` / ``.zst`` text, all of a workbook's entries).
    max_rows
        Data rows (lines after the header, sheet rows after the first, Parquet rows).
    max_seconds
        Wall time of validating, building and scoring; checked between steps, so one step
        may overrun it, but no next step starts.
    """

    max_bytes: int = MAX_UPLOAD_BYTES
    max_inflated_bytes: int = MAX_INFLATED_BYTES
    max_rows: int = MAX_UPLOAD_ROWS
    max_seconds: float = MAX_UPLOAD_SECONDS

    def describe(self) -> str:
        """``up to 25 MB as sent, 100 MB uncompressed, 1,000,000 rows, 120 s of work``."""
        return (
            f"up to {self.max_bytes / 1e6:g} MB as sent, {self.max_inflated_bytes / 1e6:g} MB "
            f"uncompressed, {self.max_rows:,} rows, {self.max_seconds:g} s of work"
        )

    def inflation(self) -> InflationLimits:
        return InflationLimits(
            xlsx_bytes=self.max_inflated_bytes,
            text_bytes=self.max_inflated_bytes,
            max_rows=self.max_rows,
        )


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
    limits: UploadLimits | None = None,
) -> UploadResult:
    """Validate ``content`` and score it with the models of the warehouse at ``db_path``.

    ``limits`` (default: :class:`UploadLimits` with ``max_bytes``) are the ceilings. On
    success the scored file is the only thing left in its folder (``result.path.parent``),
    which the caller removes; on any failure that folder is already gone.
    """
    if limits is None:
        limits = UploadLimits(max_bytes=max_bytes)
    deadline = _Deadline(filename, limits.max_seconds)
    name = safe_name(filename)
    validate_bytes(name, content, limits.max_bytes)
    work = Path(tempfile.mkdtemp(prefix="shopsight-upload-", dir=workdir))
    try:
        source = work / name
        source.write_bytes(content)
        if name.lower().endswith(".csv") and _is_customer_list(content):
            result = _lookup_customers(db_path, content, work, name, limits.max_rows)
        else:
            _check_size_and_rows(source, name, limits)
            result = _score_file(db_path, source, work, name, deadline)
        _keep_only(work, result.path)
        return result
    except BaseException as exc:
        # Every path out of a failure removes the scratch folder, whatever was raised.
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, duckdb.Error | pa.ArrowException | pl.exceptions.PolarsError):
            raise UploadError(f"{name}: could not be scored: {exc}") from None
        raise


class _Deadline:
    """The time ceiling, checked between steps (and on every build progress line)."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self, _: str = "") -> None:
        if time.monotonic() > self.ends:
            raise UploadTimeoutError(
                f"{self.name}: stopped after the {self.seconds:g} s upload time limit; "
                "score large files with `shopsight build` and `shopsight score` instead"
            )


def _check_size_and_rows(source: Path, name: str, limits: UploadLimits) -> None:
    """Refuse past the uncompressed-size or row ceiling before any parser runs."""
    if name.lower().endswith(".parquet"):
        try:
            rows = pq.ParquetFile(source).metadata.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise UploadError(f"{name}: not a readable Parquet file: {exc}") from None
        if rows > limits.max_rows:
            raise UploadError(
                f"{name}: holds {rows:,} rows, over the upload limit of {limits.max_rows:,}; "
                "build large files with `shopsight build` instead"
            )
        return
    try:
        check_inflation(classify(source), limits.inflation())
    except IngestError as exc:
        raise UploadError(str(exc).replace(str(source), name)) from None


def _keep_only(work: Path, keep: Path) -> None:
    """Remove the scratch warehouse and the upload, leaving the scored file."""
    for child in work.iterdir():
        if child == keep:
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _is_customer_list(content: bytes) -> bool:
    first = content.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().lower()
    return first.replace('"', "") in ("customer_id", "customer id", "customerid")


def _lookup_customers(
    db_path: Path, content: bytes, work: Path, name: str, max_rows: int
) -> UploadResult:
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
        if len(ids) > max_rows:
            raise UploadError(
                f"{name}: more than {max_rows:,} customer ids, the upload limit; split the list"
            )
    if not ids:
        raise UploadError(f"{name}: no customer ids below the header")
    reader = WarehouseReader(db_path)
    try:
        tables = {r[0] for r in reader.rows("SELECT table_name FROM information_schema.tables")}
        if "customer_scores" not in tables:
            raise UploadError("no customer scores yet: run `shopsight train` and `shopsight score`")
        frame = reader.frame(load_sql("upload_customer_lookup", "analytics"), {"ids": ids})
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


def _score_file(
    db_path: Path, source: Path, work: Path, name: str, deadline: _Deadline
) -> UploadResult:
    from models.artifacts import default_dir
    from models.score import score_models

    artifacts = default_dir(db_path)
    scratch = work / "upload.duckdb"
    try:
        result = build_warehouse(
            scratch, [str(source)], BuildOptions(memory_limit="1GB"), progress=deadline.check
        )
    except UploadError:
        raise
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
    deadline.check()
    score_models(scratch, artifacts)
    deadline.check()
    con = duckdb.connect(str(scratch), read_only=True)
    try:
        frame = con.sql(load_sql("upload_customer_scores", "analytics")).pl()
        kind = "customer scores"
        if frame.height == 0:
            frame = con.sql(load_sql("upload_session_scores", "analytics")).pl()
            kind = "session scores"
        # One file per upload, so the list's (file, line) order is line order.
        listed = con.sql(load_sql("rejected_row_list", "analytics"), params={"limit": 5})
        rejects = listed.select("line, column_name, reason").fetchall()
    finally:
        con.close()
    for line, column, reason in rejects:
        where = f"line {line}" + (f", column {column!r}" if column else "")
        notes.append(f"{name}, {where}: {reason}")
    out = work / f"scored-{Path(name).stem}.csv"
    _neutralised(frame).write_csv(out)
    return UploadResult(kind, frame.height, rejected, out, notes)
