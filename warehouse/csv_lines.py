"""Physical lines against CSV records: where each record starts, and lines a stray quote broke.

DuckDB's CSV reader counts records; a person counts lines. The two differ where blank lines
are skipped, where a quoted value holds a line break, and, the case that loses data, where a
stray quote opens a value that never closes on its line: the reader then takes every
following line into that one value, up to the next quote, and a run of good rows vanishes
inside a single rejected record while rows read = loaded + rejected still balances.

:func:`scan_records` walks a file's lines once, with the reader's quoting rules, only when its
line count and the reader's record count disagree. A record whose quote opens on a line and
stays open at its end, when the next line is a whole row on its own, is a broken line: it is
set aside with its reason and raw text, and the file is read again without it. A quoted value
whose next line is not a row on its own (an address or a review with a line break) is a real
multi-line value and stays one record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

_QUOTE = ord('"')
VALUE_CHARS = 40
"""Characters of the unterminated value a reason quotes."""
MAX_LINE_BYTES = 16 * 2**20
"""A line longer than this stops the scan: the reader's numbering is then kept as it is."""


@dataclass(frozen=True)
class BrokenLine:
    """A record cut short by an unterminated quote, taken out before the file is read."""

    line: int  # the physical line it starts on
    last_line: int  # the physical line it ends on (the quote's line)
    column: str | None
    raw: str
    value: str  # the unterminated value, from its quote, cut to VALUE_CHARS

    @property
    def reason(self) -> str:
        where = f" in column {self.column}" if self.column else ""
        return (
            f"unterminated quote: the value '{self.value}'{where} opens a quote that does not "
            "close on its line, and the next line is a whole row on its own, so this line "
            "alone is rejected and the lines after it are read as rows"
        )


@dataclass
class RecordLines:
    """Where the records of a CSV (without its broken lines) start.

    ``shifts`` holds ``(record, reader_shift, line_shift)`` from each record (1-based) where
    the offsets change: from there on, the reader numbers record ``r`` ``r + reader_shift``
    and it starts on physical line ``r + line_shift``.
    """

    records: int = 0
    shifts: list[tuple[int, int, int]] = field(default_factory=lambda: [(1, 1, 1)])
    broken: list[BrokenLine] = field(default_factory=list)
    blank_lines: int = 0
    continued_lines: int = 0  # lines that continue a multi-line quoted value


@dataclass
class _Cursor:
    """Where the reader is inside one record."""

    in_quote: bool = False
    at_field_start: bool = True
    field: int = 0
    opened_field: int = -1
    opened_at: int = 0  # where in its line the open quote is
    opened_here: bool = False  # the open quote opened on the line just read
    error: bool = False


def _advance(cur: _Cursor, text: bytes, delim: int) -> None:
    """Move ``cur`` over one line's text (without its line break), as DuckDB reads it.

    A quote opens a value only at the start of a field (elsewhere it is a character);
    inside, a doubled quote is a quote; after the closing quote comes the delimiter or the
    line's end, and anything else is an error the reader recovers from at the line's end.
    """
    cur.opened_here = False
    i, n = 0, len(text)
    while i < n and not cur.error:
        if cur.in_quote:
            j = text.find(b'"', i)
            if j < 0:
                return
            if j + 1 < n and text[j + 1] == _QUOTE:
                i = j + 2
                continue
            cur.in_quote, cur.at_field_start, i = False, False, j + 1
            cur.error = i < n and text[i] != delim
        elif cur.at_field_start and text[i] == _QUOTE:
            cur.in_quote, cur.at_field_start, cur.opened_here = True, False, True
            cur.opened_field, cur.opened_at = cur.field, i
            i += 1
        else:
            j = text.find(bytes([delim]), i)
            if j < 0:
                cur.at_field_start = False
                return
            cur.field, cur.at_field_start, i = cur.field + 1, True, j + 1


def is_whole_row(text: bytes, delim: int, fields: int) -> bool:
    """Whether one line, read alone, is a complete row of ``fields`` fields."""
    if not text:
        return False
    cur = _Cursor()
    _advance(cur, text, delim)
    return not cur.in_quote and not cur.error and cur.field + 1 == fields


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """Each line's text without its line break; stops (raising) on a line past the limit."""
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        if len(raw) > MAX_LINE_BYTES:
            raise _TooLong
        yield raw.rstrip(b"\n").removesuffix(b"\r")


class _TooLong(Exception):
    pass


def scan_records(stream: BinaryIO, delimiter: str, header: list[str]) -> RecordLines | None:
    """Where each record of the CSV in ``stream`` starts, and its broken lines.

    Returns ``None`` when the file cannot be scanned here (a delimiter of more than one byte,
    a line past :data:`MAX_LINE_BYTES`): the caller keeps the reader's own numbering.
    """
    delim = delimiter.encode()
    if len(delim) != 1:
        return None
    try:
        return _scan(_lines(stream), delim[0], header)
    except _TooLong:
        return None


def _scan(lines: Iterator[bytes], delim: int, header: list[str]) -> RecordLines | None:
    out = RecordLines()
    if next(lines, None) is None:
        return out
    line, breaks = 1, 1  # physical lines read; line breaks the reader counts (not quoted ones)
    cur: _Cursor | None = None
    start, start_break, parts = 0, 0, list[bytes]()
    following = next(lines, None)
    while following is not None:
        text, following = following, next(lines, None)
        line += 1
        if cur is None:
            if not text:  # the reader skips a blank line between records, counting it
                out.blank_lines += 1
                breaks += 1
                continue
            cur, start, start_break, parts = _Cursor(), line, breaks, []
        else:
            out.continued_lines += 1
        parts.append(text)
        if cur.in_quote or b'"' in text:
            _advance(cur, text, delim)
        if cur.in_quote and not cur.error:
            if (
                cur.opened_here
                and following is not None
                and is_whole_row(following, delim, len(header))
            ):
                out.broken.append(_broken(start, line, cur, parts, header))
                out.continued_lines -= line - start
                cur = None
            continue  # otherwise the quoted value goes on over the line break
        breaks += 1
        cur = None
        _note_start(out, start_break + 1, start)
    if cur is not None:  # a quote still open at the end of the file: one (rejected) record
        _note_start(out, start_break + 1, start)
    return out


def _note_start(out: RecordLines, reader_line: int, line: int) -> None:
    """Count a record that starts on ``line``, recording its offsets where they change."""
    out.records += 1
    record = out.records
    shift = (reader_line - record, line - record)
    if out.shifts[-1][1:] != shift:
        if out.shifts[-1][0] == record:
            out.shifts.pop()
        out.shifts.append((record, *shift))


def _broken(
    start: int, line: int, cur: _Cursor, parts: list[bytes], header: list[str]
) -> BrokenLine:
    column = header[cur.opened_field] if 0 <= cur.opened_field < len(header) else None
    raw = b"\n".join(parts).decode("utf-8", errors="replace")
    value = parts[-1][cur.opened_at :].decode("utf-8", errors="replace")
    if len(value) > VALUE_CHARS:
        value = value[: VALUE_CHARS - 1] + "…"
    # A reason quotes its value in single quotes, so one inside would end it early.
    value = value.replace("'", "’")
    return BrokenLine(line=start, last_line=line, column=column, raw=raw, value=value)


def lines_without(stream: BinaryIO, broken: list[BrokenLine]) -> Iterator[bytes]:
    """The file's bytes, line by line with their line breaks, leaving out ``broken``."""
    ranges = iter(sorted((b.line, b.last_line) for b in broken))
    skip = next(ranges, None)
    for number, raw in enumerate(stream, start=1):
        while skip is not None and number > skip[1]:
            skip = next(ranges, None)
        if skip is not None and skip[0] <= number <= skip[1]:
            continue
        yield raw
