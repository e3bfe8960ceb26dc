"""Finding input files and reading just enough of each to recognise it.

Inputs may be files, folders or globs; each file is CSV (optionally ``.gz`` / ``.zst``),
Parquet, newline-delimited JSON or XLSX. Only the header is read here; whole-file reading
happens in :mod:`warehouse.raw` inside DuckDB.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, cast

import zstandard

from warehouse.errors import EmptyInputError, IngestError

Container = Literal["csv", "parquet", "ndjson", "xlsx"]

_SUFFIXES: dict[str, Container] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
    ".xlsx": "xlsx",
}
_COMPRESSIONS = (".gz", ".zst")
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
MAX_RECORD_BYTES = 16 * 2**20
"""Longest first JSON record read to learn a file's keys."""
MAX_HEADER_LINES = 10_000
"""Blank lines skipped, at most, before the first JSON record."""


@dataclass(frozen=True)
class InputFile:
    """One file to ingest, with what its name says about how to read it."""

    path: Path
    container: Container
    compression: str | None  # "gz", "zst" or None

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def classify(path: Path) -> InputFile:
    """Work out container and compression from the file name."""
    name = path.name.lower()
    compression = None
    for comp in _COMPRESSIONS:
        if name.endswith(comp):
            compression = comp[1:]
            name = name[: -len(comp)]
    suffix = Path(name).suffix
    container = _SUFFIXES.get(suffix)
    if container is None:
        raise IngestError(
            path,
            f"unsupported file type {suffix or '(no extension)'!r}; expected one of "
            ".csv, .csv.gz, .csv.zst, .parquet, .ndjson/.jsonl, .xlsx",
        )
    if compression and container in ("parquet", "xlsx"):
        raise IngestError(path, f"a compressed {container} file is not supported; decompress it")
    return InputFile(path=path, container=container, compression=compression)


def expand_inputs(inputs: list[str]) -> list[InputFile]:
    """Turn files, folders and globs into a sorted, de-duplicated list of input files."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            children = sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            found.extend(p for p in children if _is_data_file(p))
        elif path.is_file():
            found.append(path)
        elif any(ch in item for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            files = [m for m in matches if m.is_file() and _is_data_file(m)]
            if not files:
                raise IngestError(path, "the pattern matched no data files")
            found.extend(files)
        else:
            raise IngestError(path, "no such file or folder")
    seen: set[Path] = set()
    unique: list[InputFile] = []
    for p in found:
        resolved = p.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        unique.append(classify(p))
    return unique


def _is_data_file(path: Path) -> bool:
    try:
        classify(path)
    except IngestError:
        return False
    return True


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, the ledger key that makes re-ingesting a no-op."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def open_text_bytes(source: InputFile) -> BinaryIO:
    """Open a (possibly compressed) text file as a binary stream of its decompressed bytes."""
    if source.compression == "gz":
        return cast(BinaryIO, gzip.open(source.path, "rb"))
    raw = source.path.open("rb")
    if source.compression == "zst":
        # Buffered, so readline() works (the bare zstd reader does not implement it); every
        # frame, as DuckDB reads them, so a line count covers the whole file.
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
        return cast(BinaryIO, io.BufferedReader(reader))
    return raw


def count_lines(source: InputFile, chunk: int = 1 << 20) -> int:
    """Physical lines of a (possibly compressed) text file, streamed a piece at a time.

    A last line without its line break still counts, as a reader sees it; the count is what
    the ledger's ``lines_read`` states, so a parser that merges lines cannot hide them.
    """
    lines, last = 0, b"\n"
    with open_text_bytes(source) as fh:
        while piece := fh.read(chunk):
            lines += piece.count(b"\n")
            last = piece[-1:]
    return lines + (last != b"\n")


@dataclass(frozen=True)
class CsvHeader:
    columns: list[str]
    delimiter: str
    has_data: bool


def read_csv_header(source: InputFile, delimiter: str | None = None) -> CsvHeader:
    """Read the header line of a CSV, sniffing its delimiter unless one is given."""
    if source.size == 0:
        raise EmptyInputError(source.path, "the file is empty (0 bytes)")
    with open_text_bytes(source) as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise EmptyInputError(source.path, "the file holds no text (only blank lines)")
    first, _, rest = head.partition(b"\n")
    first = first.rstrip(b"\r")
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            source.path,
            f"the header is not valid UTF-8 (byte 0x{first[exc.start]:02x} at position "
            f"{exc.start + 1}); the file may be Windows-1250 or Latin-1 encoded: re-save it "
            "as UTF-8",
            line=1,
        ) from None
    if delimiter is None:
        delimiter = max(DELIMITER_CANDIDATES, key=text.count)
    columns = [c.strip() for c in _split_header(text, delimiter)]
    return CsvHeader(columns=columns, delimiter=delimiter, has_data=bool(rest.strip()))


def _split_header(text: str, delimiter: str) -> list[str]:
    import csv

    return next(csv.reader([text], delimiter=delimiter))


def read_ndjson_keys(source: InputFile) -> list[str]:
    """Top-level keys of the first record of a newline-delimited JSON file."""
    if source.size == 0:
        raise EmptyInputError(source.path, "the file is empty (0 bytes)")
    with open_text_bytes(source) as fh:
        for number in range(1, MAX_HEADER_LINES + 1):
            # Bounded: a compressed file of one endless line must not be read whole here.
            raw_line = fh.readline(MAX_RECORD_BYTES + 1)
            if not raw_line:
                break
            if len(raw_line) > MAX_RECORD_BYTES:
                raise IngestError(
                    source.path,
                    f"the first record is longer than {MAX_RECORD_BYTES // 2**20} MiB",
                    line=number,
                )
            if not raw_line.strip():
                continue
            try:
                record = json.loads(raw_line)
            except UnicodeDecodeError:
                raise IngestError(source.path, "not valid UTF-8", line=number) from None
            except json.JSONDecodeError as exc:
                raise IngestError(source.path, f"not valid JSON: {exc.msg}", line=number) from None
            if not isinstance(record, dict):
                raise IngestError(source.path, "each line must hold one JSON object", line=number)
            return list(record)
    raise EmptyInputError(source.path, "the file holds no JSON records")
