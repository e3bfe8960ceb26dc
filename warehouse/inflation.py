"""Ceilings on how far a compressed input may inflate, checked before anything parses it.

A 3 MB workbook can hold 3 GiB of sheet XML, and a few MB of gzip can hold gigabytes of
rows: handed straight to a parser (calamine reads a whole sheet into memory; DuckDB stages
every row), such a file takes the machine. So every zip-based or compressed input (XLSX
entries, ``.gz``, ``.zst``) is measured first: the sizes its headers declare, then its actual
uncompressed bytes, streamed in 1 MiB pieces and abandoned as soon as they pass the
ceiling. Memory stays at one piece whatever the file claims or holds.

The ceiling is the lower of an absolute size and ``ratio × the file's own size`` (never below
a floor, so small files with very repetitive content still pass): ordinary CSV compresses
3-10×, sheet XML 10-30×, a bomb 1000×.
"""

from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

import zstandard

from warehouse.errors import IngestError
from warehouse.sources import InputFile

MiB = 2**20
GiB = 2**30
_PIECE = MiB


@dataclass(frozen=True)
class InflationLimits:
    """How far an input may inflate (and, for uploads, how many rows it may hold).

    Parameters
    ----------
    xlsx_bytes
        Uncompressed bytes of all a workbook's entries together. Low because the sheet is
        parsed in memory (calamine holds every cell).
    text_bytes
        Uncompressed bytes of a ``.gz`` / ``.zst`` text file; DuckDB streams these, so the
        ceiling only stops runaway files.
    max_ratio, ratio_floor_bytes
        Refuse a file that inflates past ``max_ratio`` times its own size, once it is past
        ``ratio_floor_bytes`` uncompressed.
    max_rows
        Data rows (lines after the header; sheet rows after the first), or ``None``.
    max_entries
        Entries in a workbook's zip.
    """

    xlsx_bytes: int = 512 * MiB
    text_bytes: int = 64 * GiB
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 64 * MiB
    max_rows: int | None = None
    max_entries: int = 10_000

    def ceiling(self, source: InputFile) -> int:
        """The uncompressed bytes ``source`` may reach."""
        absolute = self.xlsx_bytes if source.container == "xlsx" else self.text_bytes
        by_ratio = max(self.ratio_floor_bytes, int(self.max_ratio * source.size))
        return min(absolute, by_ratio)


DEFAULT_LIMITS = InflationLimits()
"""What ``shopsight build`` allows; uploads pass stricter limits."""


@dataclass(frozen=True)
class Inflated:
    """What a measured file holds: uncompressed bytes and data rows (``None``: not counted)."""

    bytes: int
    rows: int | None


class InflationError(IngestError):
    """An input inflates (or would) past a ceiling; refused before it is parsed."""


def needs_measuring(source: InputFile) -> bool:
    """Whether ``source`` is compressed or zip-based, so it can inflate at all."""
    return source.container == "xlsx" or source.compression is not None


def check_inflation(source: InputFile, limits: InflationLimits | None = None) -> Inflated:
    """Measure ``source`` against ``limits``; raise :class:`InflationError` past a ceiling.

    Plain (uncompressed) text is measured too when a row ceiling is set, by counting lines.
    """
    stat = source.path.stat()
    return _measured(source, limits or DEFAULT_LIMITS, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _measured(source: InputFile, limits: InflationLimits, size: int, mtime_ns: int) -> Inflated:
    # Cached on the file's size and time: a build reads a workbook twice (header, then rows),
    # and measuring twice would only double the cost of a legitimate file.
    del size, mtime_ns
    if source.container == "xlsx":
        return _measure_xlsx(source, limits)
    if source.container == "parquet":
        return Inflated(source.size, None)
    return _measure_text(source, limits)


def _refuse(source: InputFile, ceiling: int, what: str) -> InflationError:
    return InflationError(
        source.path,
        f"{what}, over the limit of {_size(ceiling)} uncompressed for a "
        f"{_size(source.size)} file; refused before reading (a compression bomb, or more "
        "than can be read safely here: split the file)",
    )


def _too_many_rows(source: InputFile, limit: int) -> InflationError:
    return InflationError(
        source.path,
        f"holds more than {limit:,} data rows, the limit here; split the file or build it "
        "with `shopsight build`",
    )


def _size(n: int) -> str:
    if n >= GiB:
        return f"{n / GiB:,.1f} GiB"
    if n >= MiB:
        return f"{n / MiB:,.1f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:,.1f} KiB"
    return f"{n:,} bytes"


# ---- XLSX ---------------------------------------------------------------------------------------
def _measure_xlsx(source: InputFile, limits: InflationLimits) -> Inflated:
    ceiling = limits.ceiling(source)
    try:
        archive = zipfile.ZipFile(source.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(source.path, f"could not be read as an Excel workbook: {exc}") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise InflationError(
                source.path,
                f"the workbook holds {len(entries):,} zip entries, over the limit of "
                f"{limits.max_entries:,}",
            )
        declared = sum(e.file_size for e in entries)
        if declared > ceiling:
            raise _refuse(source, ceiling, f"the workbook declares {_size(declared)} of content")
        total, rows = 0, 0
        for entry in entries:
            is_sheet = entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(
                ".xml"
            )
            carry = b""
            for piece in _zip_pieces(source, archive, entry):
                total += len(piece)
                if total > ceiling:
                    raise _refuse(source, ceiling, "the workbook's entries inflate further")
                if is_sheet:
                    # A 4-byte carry finds a tag cut between two pieces, and cannot hold a
                    # whole 5-byte tag, so none is counted twice.
                    joined = carry + piece
                    rows += joined.count(b"<row ") + joined.count(b"<row>")
                    carry = joined[-4:]
                    if limits.max_rows is not None and rows - 1 > limits.max_rows:
                        raise _too_many_rows(source, limits.max_rows)
    return Inflated(total, max(rows - 1, 0))


def _zip_pieces(
    source: InputFile, archive: zipfile.ZipFile, entry: zipfile.ZipInfo
) -> Iterator[bytes]:
    """An entry's uncompressed bytes, a piece at a time."""
    try:
        with archive.open(entry) as stream:
            while piece := stream.read(_PIECE):
                yield piece
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        # A CRC or size mismatch means an entry inflates to other than it declares.
        raise IngestError(
            source.path, f"could not be read as an Excel workbook: {entry.filename}: {exc}"
        ) from None


# ---- gzip / zstd / plain text ------------------------------------------------------------------
def _measure_text(source: InputFile, limits: InflationLimits) -> Inflated:
    ceiling = limits.ceiling(source)
    declared = _declared_size(source)
    if declared is not None and declared > ceiling:
        raise _refuse(source, ceiling, f"it declares {_size(declared)} uncompressed")
    if source.compression is None and limits.max_rows is None:
        return Inflated(source.size, None)
    total, lines = 0, 0
    last = b"\n"
    try:
        with _open_stream(source) as stream:
            while piece := stream.read(_PIECE):
                total += len(piece)
                if source.compression is not None and total > ceiling:
                    raise _refuse(source, ceiling, "it inflates further")
                lines += piece.count(b"\n")
                last = piece[-1:]
                if limits.max_rows is not None and lines - 1 > limits.max_rows:
                    raise _too_many_rows(source, limits.max_rows)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise IngestError(source.path, f"could not be decompressed: {exc}") from None
    if last != b"\n":
        lines += 1  # a last line without its newline is still a row
    return Inflated(total, max(lines - 1, 0))


def _open_stream(source: InputFile) -> BinaryIO:
    if source.compression == "gz":
        return gzip.open(source.path, "rb")  # type: ignore[return-value]
    raw = source.path.open("rb")
    if source.compression == "zst":
        # Every frame, not just the first: a bomb can hide in the second.
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
        return reader
    return raw


def _declared_size(source: InputFile) -> int | None:
    """The uncompressed size the file's own header or trailer states, where it states one.

    Only trusted to refuse early: gzip's trailer holds the size modulo 4 GiB and a zstd frame
    may omit it, so the streamed count is what decides.
    """
    with source.path.open("rb") as fh:
        if source.compression == "zst":
            head = fh.read(18)
            try:
                size = zstandard.frame_content_size(head)
            except zstandard.ZstdError:
                return None
            return size if size >= 0 else None
        if source.compression == "gz" and source.size >= 18:
            fh.seek(-4, 2)
            (size,) = struct.unpack("<I", fh.read(4))
            return int(size)
    return None


__all__ = [
    "DEFAULT_LIMITS",
    "Inflated",
    "InflationError",
    "InflationLimits",
    "check_inflation",
    "needs_measuring",
]
