"""Nested sources for mapping files: dotted paths into structs, list indexes, one exploded list.

A mapping names a source column as ``"visitor"``, or as a path into a nested one:
``"totals.transactionRevenue"`` (a struct field), ``"hits.product[1].productSKU"`` (the first
element of a list, then a field). ``explode = "hits"`` turns each element of one list column
into its own row; paths that start with that column then continue inside the element.

Security: path segments are identifiers, so they reach SQL only through :func:`quote_ident`;
list indexes are integers. Columns are read under internal names the build chose (raw.py
renames the file's own columns), never under a name a user wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from warehouse.engine import connect, load_sql, quote_ident, quote_literal, rows
from warehouse.errors import IngestError
from warehouse.sources import InputFile

Segment = str | int
# The internal raw_source names the build generates: canonical names and a few derived ones.
_INTERNAL_NAME = re.compile(r"[a-z][a-z0-9_]*")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# DuckDB types that hold more than one value.
_NESTED_TYPE = re.compile(r"^(STRUCT|MAP|UNION)\(|\]$")


@dataclass(frozen=True)
class SourcePath:
    """A mapped source: the file's top-level column and the fields or indexes below it."""

    column: str
    segments: tuple[Segment, ...] = ()

    @property
    def text(self) -> str:
        out = self.column
        for s in self.segments:
            out += f"[{s}]" if isinstance(s, int) else f".{s}"
        return out


def split_path(path: str, header: list[str]) -> SourcePath | None:
    """``path`` against the file's header: a whole column name wins (a flattened CSV may
    call a column ``totals.transactionRevenue``); otherwise the first segment names a column
    and the rest are struct fields or 1-based list indexes. ``None`` when nothing matches."""
    direct = match_column(path, header)
    if direct is not None:
        return SourcePath(direct)
    parts = [(m.group(1), m.group(2)) for m in _SEGMENT.finditer(path)]
    if len(parts) < 2 or "".join(_render(parts)) != path or parts[0][0] is None:
        return None
    column = match_column(parts[0][0], header)
    if column is None:
        return None
    segments: list[Segment] = [int(index) if name is None else name for name, index in parts[1:]]
    if any(isinstance(s, int) and s < 1 for s in segments):
        return None
    return SourcePath(column, tuple(segments))


def _render(parts: list[tuple[str | None, str | None]]) -> list[str]:
    rendered = []
    for number, (name, index) in enumerate(parts):
        if name is None:
            rendered.append(f"[{index}]")
        else:
            rendered.append(name if number == 0 else f".{name}")
    return rendered


def match_column(name: str, header: list[str]) -> str | None:
    """The header's own spelling of ``name``: exact, else a unique match ignoring case and
    surrounding spaces."""
    if name in header:
        return name
    matches = [h for h in header if h.strip().lower() == name.strip().lower()]
    return matches[0] if len(matches) == 1 else None


def path_expression(column: str, segments: tuple[Segment, ...]) -> str:
    """SQL for a path below the raw column ``column`` (an internal name, not a user's)."""
    if not _INTERNAL_NAME.fullmatch(column):
        raise ValueError(f"raw_source column {column!r} is not a canonical name")
    return segments_expression(quote_ident(column), segments)


def segments_expression(base: str, segments: tuple[Segment, ...]) -> str:
    expression = base
    for segment in segments:
        if isinstance(segment, int):
            expression = f"({expression})[{int(segment)}]"
        else:
            expression = f"({expression}).{quote_ident(segment)}"
    return expression


def composed_expression(parts: list[str]) -> str:
    """One key from several columns: NULL when any part is empty, else the parts joined by
    ``|`` (the null markers are bound as ``$null_values``, as for every other column)."""
    empty = " OR ".join(
        f"list_contains($null_values, coalesce(lower(trim(({p})::VARCHAR)), ''))" for p in parts
    )
    joined = " || '|' || ".join(f"trim(({p})::VARCHAR)" for p in parts)
    return f"CASE WHEN {empty} THEN NULL ELSE {joined} END"


def reader_sql(source: InputFile) -> str:
    """The table function raw.py reads ``source`` with (Parquet or NDJSON), for a probe."""
    path = quote_literal(str(source.path))
    if source.container == "parquet":
        return f"read_parquet({path})"
    return f"read_json({path}, format = 'newline_delimited')"


def probe_types(
    source: InputFile,
    paths: Mapping[str, SourcePath],
    explode: str | None,
) -> dict[str, str]:
    """DuckDB's type of each mapped path (``name`` → type), after exploding ``explode``.

    Raises
    ------
    IngestError
        When a field or index does not exist, or ``explode`` is not a list.
    """
    base = f"SELECT * FROM {reader_sql(source)}"
    con = connect()
    try:
        if explode is not None:
            (kind,) = [t for n, t, *_ in rows(con, f"DESCRIBE {base}") if n == explode]
            if not str(kind).endswith("]"):
                raise IngestError(
                    source.path,
                    f"explode = {explode!r} names a column of type {kind}, not a list; "
                    "explode takes a list column (one row per element)",
                )
            column = quote_ident(explode)
            base = f"SELECT * REPLACE (unnest({column}) AS {column}) FROM ({base})"
        types: dict[str, str] = {}
        for name, path in paths.items():
            expression = segments_expression(quote_ident(path.column), path.segments)
            try:
                described = rows(con, f"DESCRIBE SELECT {expression} AS probe FROM ({base})")
            except duckdb.Error as exc:
                raise IngestError(
                    source.path, f"{path.text!r} (for {name}) cannot be read: {_first_line(exc)}"
                ) from None
            types[name] = str(described[0][1])
    finally:
        con.close()
    return types


def _first_line(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0]


def nested_type_problem(name: str, path: SourcePath, kind: str, explode: str | None) -> str | None:
    """Why a struct or list cannot feed the single value ``name`` (None when it can)."""
    if not _NESTED_TYPE.search(kind):
        return None
    what = "a list" if kind.endswith("]") else "a struct"
    hint = f"map one of its fields with a dotted path ({path.text}.field)"
    if kind.endswith("]"):
        hint = f"pick one element ({path.text}[1]) or its field"
        if explode is None and not path.segments:
            hint += f', or set explode = "{path.column}" for one row per element'
    return (
        f"{path.text!r} (for {name}) is {what} ({kind}), but {name} takes one value; {hint}. "
        "A nested value is never turned into text"
    )


def explode_sql(column: str) -> str:
    """The query that makes one row per element of the internal list column ``column``."""
    if not _INTERNAL_NAME.fullmatch(column):
        raise ValueError(f"raw_source column {column!r} is not a canonical name")
    return load_sql("explode_rows").replace("{list_column}", quote_ident(column))


# --------------------------------------------------------------------------- date order

# More sessions than this spanning days, beyond what the swapped reading gives, is evidence.
FEW_SESSIONS = 2


def swapped_formats(formats: tuple[str, ...]) -> tuple[str, ...] | None:
    """The day/month swap of ``formats`` when they are ambiguous (%d and %m, not in the ISO
    year-month-day order); ``None`` when the data cannot be read the other way."""
    swapped = []
    for fmt in formats:
        if "%d" not in fmt or "%m" not in fmt or "%b" in fmt or "%B" in fmt:
            return None
        if "%Y" in fmt and fmt.index("%Y") < fmt.index("%m") < fmt.index("%d"):
            return None  # ISO order is read one way by everyone
        swapped.append(fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m"))
    return tuple(swapped) if swapped else None


def date_order_warning(
    formats: tuple[str, ...], swapped: tuple[str, ...], evidence: tuple[int, ...]
) -> str | None:
    """A warning when the file's data speaks against the day/month order of ``formats``."""
    parsed, only_chosen, only_swapped, future, chosen_multi, swapped_multi = evidence
    chosen_text, swapped_text = " or ".join(formats), " or ".join(swapped)
    against = []
    if only_swapped:
        against.append(f"{only_swapped:,} value(s) only parse as {swapped_text}")
    if chosen_multi > swapped_multi + FEW_SESSIONS:
        against.append(
            f"{chosen_multi:,} session(s) span several days as {chosen_text} against "
            f"{swapped_multi:,} as {swapped_text}"
        )
    if future:
        against.append(f"{future:,} date(s) lie in the future")
    if not parsed or not against:
        return None
    settled = (
        f"{only_chosen:,} value(s) have a day above 12"
        if only_chosen
        else "no value has a day above 12, so the data cannot settle it"
    )
    return (
        f"the time format {chosen_text} may have day and month swapped: "
        f"{'; '.join(against)}; {settled}. Check [time] format"
    )
