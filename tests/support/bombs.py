"""Compression bombs for the tests and ``benchmarks/bombs.py``: small files that inflate a lot.

Both are made programmatically, a piece at a time, so making a 3 GiB bomb never holds more
than one 1 MiB piece in memory.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from tests.support.fixtures_data import EVENT_LOG_HEADER

ROW = "2024-03-01 10:00:00 UTC,view,p1,10,apparel.shoes,acme,19.99,u1,s1\n"
"""One valid event-log row; a bomb of it is valid data all the way down."""

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="events" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _cells(values: list[str]) -> str:
    # Inline strings and no r="A1" references: every row is the same bytes, which is what
    # lets deflate reach its ~1000:1 ceiling.
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"


def write_xlsx_bomb(path: Path, inflated_bytes: int, filler: int = 0) -> Path:
    """A valid workbook whose one sheet of repeated event rows inflates to ``inflated_bytes``.

    ``filler`` adds a cell of that many ``A`` to every row: a long run is what lets deflate
    reach ~1000:1 (a 3 GiB sheet in ~3 MB); plain event rows stop near 230:1.
    """
    header = _cells(EVENT_LOG_HEADER.split(","))
    row = _cells([*ROW.strip().split(","), "A" * filler] if filler else ROW.strip().split(","))
    row_bytes = row.encode()
    piece = row_bytes * max(1, 2**20 // len(row_bytes))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((_SHEET_HEAD + header).encode())
            written = 0
            while written < inflated_bytes:
                sheet.write(piece)
                written += len(piece)
            sheet.write(_SHEET_TAIL.encode())
    return path


def write_csv_gz_bomb(path: Path, inflated_bytes: int) -> Path:
    """A .csv.gz of one valid event-log row repeated until ``inflated_bytes``."""
    piece = ROW.encode() * (2**20 // len(ROW))
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write((EVENT_LOG_HEADER + "\n").encode())
        written = 0
        while written < inflated_bytes:
            out.write(piece)
            written += len(piece)
    return path


def lie_about_gzip_size(path: Path, declared: int = 100) -> Path:
    """Overwrite the gzip trailer's size field, so the header claims ``declared`` bytes."""
    with path.open("r+b") as fh:
        fh.seek(-4, 2)
        fh.write(declared.to_bytes(4, "little"))
    return path
