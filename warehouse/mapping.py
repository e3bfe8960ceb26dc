"""Mapping files: a small TOML file that maps any other event export onto canonical events.

``shopsight build --mapping FILE`` loads CSV, Parquet, newline-delimited JSON or XLSX exports
whose header no built-in format recognises. The mapping names which of the file's columns
feeds which canonical column, which of its event values mean which canonical event type,
and how its timestamps are written. The schema, with every key and default, is in
``docs/mapping.md``.

Security: column names from the mapping reach SQL only through :func:`quote_ident` (in
``warehouse/raw.py``, which renames them to canonical names); every value of the mapping
(event names, null markers, time formats, the time zone) is a bound parameter.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import duckdb

from warehouse.adapters import ResolvedAdapter, read_header
from warehouse.engine import connect, load_sql, quote_ident, rows
from warehouse.errors import IngestError, MissingColumnError
from warehouse.schema import EVENT_TYPES
from warehouse.sources import DELIMITER_CANDIDATES, InputFile

# The canonical columns (schema.EVENT_COLUMNS) a mapping may feed: one {placeholder} each
# in adapt_mapping.sql. The others are filled by the build.
MAPPABLE_COLUMNS: tuple[str, ...] = tuple(
    """event_time session_id customer_id event_type product_id product_name category brand
    price quantity revenue country device traffic_source page page_depth sequence_number
    colour photo_location model_photography price_above_category_avg""".split()
)
_BUILD_COLUMNS = {
    "source_event": "it is the source's own event value, taken from the event_type column",
    "source_id": "the build sets it to the ingested file's ledger key",
    "source_line": "the build sets it to the file line the row came from",
    "event_date": "the events mart derives it from event_time",
}
REQUIRED_COLUMNS: tuple[str, ...] = ("event_time", "event_type")
# A row needs something to group it into sessions: the source's session id, or a customer id
# from which sessions are derived by an inactivity gap (--session-gap).
IDENTITY_COLUMNS: tuple[str, ...] = ("session_id", "customer_id")

TIME_UNITS: dict[str, tuple[float, str]] = {
    # unit → (microseconds per unit, name used in messages)
    "s": (1_000_000.0, "seconds"),
    "ms": (1_000.0, "milliseconds"),
    "us": (1.0, "microseconds"),
    "ns": (0.001, "nanoseconds"),
}
UNKNOWN_EVENT_POLICIES: tuple[str, ...] = ("reject", "other")
DECIMAL_SEPARATORS: tuple[str, ...] = (".", ",")
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(
    """name description delimiter has_clock_time unknown_event_types decimal_separator
    null_values columns event_types time""".split()
)
TIME_KEYS: tuple[str, ...] = ("format", "unit", "timezone")

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}")
_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_ISO_EXPECTED = (
    "an ISO 8601 time (YYYY-MM-DD[ HH:MM[:SS]][+HH:MM]) or epoch seconds; "
    "set [time] format or unit in the mapping for other shapes"
)
# try_strptime needs a valid format list even in modes that never reach it.
_UNUSED_FORMATS = ["%Y-%m-%d %H:%M:%S"]


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file.

    Attributes
    ----------
    columns
        Canonical column → the source file's column name.
    event_types
        Lower-case source event value → canonical event type.
    time_formats
        strptime formats tried in order; empty when the file uses ISO times or epochs.
    time_unit
        Epoch unit (``s``, ``ms``, ``us``, ``ns``) when timestamps are numbers.
    """

    path: Path
    name: str
    columns: dict[str, str]
    event_types: dict[str, str]
    delimiter: str | None = None
    has_clock_time: bool = True
    unknown_event_types: Literal["reject", "other"] = "reject"
    decimal_separator: Literal[".", ","] = "."
    null_values: tuple[str, ...] = ("",)
    time_formats: tuple[str, ...] = ()
    time_unit: str | None = None
    timezone: str = "UTC"
    description: str = ""

    @property
    def format_name(self) -> str:
        """The format recorded in the ingest ledger."""
        return f"mapping:{self.name}"

    @property
    def time_mode(self) -> Literal["format", "epoch", "auto"]:
        if self.time_formats:
            return "format"
        return "epoch" if self.time_unit is not None else "auto"

    @property
    def time_expected(self) -> str:
        """What a timestamp should look like, as reject reasons say it."""
        if self.time_formats:
            return " or ".join(self.time_formats)
        if self.time_unit is not None:
            return f"a number of {TIME_UNITS[self.time_unit][1]} since 1970-01-01 UTC"
        return _ISO_EXPECTED


# --------------------------------------------------------------------------- loading


class _Problems:
    """Raises IngestError for the mapping file, pointing at the line of the offending key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, message: str, table: str | None = None, key: str | None = None) -> NoReturn:
        raise IngestError(self.path, message, line=self.line_of(table, key))

    def line_of(self, table: str | None, key: str | None) -> int | None:
        """Line of ``key`` inside ``[table]`` (``table`` None: top level), or of the table
        header when ``key`` is None. A plain scan: enough for the shapes a person writes."""
        current: str | None = None
        for number, raw in enumerate(self.lines, start=1):
            stripped = raw.strip()
            header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*(#.*)?", stripped)
            if header:
                current = header.group(1).strip('"').strip("'")
                if key is None and current == table:
                    return number
                continue
            if key is not None and current == table:
                match = re.match(r"""(["']?)(.+?)\1\s*=""", stripped)
                if match and match.group(2) == key:
                    return number
        return None


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file.

    Raises
    ------
    IngestError
        With the mapping file's path, the line where one is known, and a message saying what
        is wrong and what is accepted: TOML syntax, unknown keys, canonical columns or event
        types, missing required columns, a bad delimiter, time format, unit or time zone.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such mapping file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, f"the mapping is not valid UTF-8 (byte {exc.start + 1}); save it as UTF-8"
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION_RE.search(message)
        if position is None:
            raise IngestError(path, f"not valid TOML: {message}") from None
        detail = message[: position.start()]
        raise IngestError(
            path,
            f"not valid TOML: {detail} (column {position.group(2)})",
            line=int(position.group(1)),
        ) from None
    return _validate(path, document, _Problems(path, text))


def _validate(path: Path, doc: dict[str, Any], problems: _Problems) -> Mapping:
    unknown = [k for k in doc if k not in TOP_LEVEL_KEYS]
    if unknown:
        first = unknown[0]
        is_table = isinstance(doc[first], dict)
        problems.fail(
            f"unknown key {first!r}; a mapping has the keys {', '.join(TOP_LEVEL_KEYS)}",
            first if is_table else None,
            None if is_table else first,
        )

    # Without a name the file's stem serves, tidied so that any file name is accepted.
    default_name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._")[:60] or "mapping"
    name = doc.get("name", default_name)
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        problems.fail(
            f"name must be 1-60 letters, digits, spaces, '.', '_' or '-', starting with a "
            f"letter or digit; got {name!r}",
            None,
            "name",
        )
    description = doc.get("description", "")
    if not isinstance(description, str):
        problems.fail("description must be a string", None, "description")

    delimiter = _delimiter(doc.get("delimiter"), problems)
    has_clock_time = doc.get("has_clock_time", True)
    if not isinstance(has_clock_time, bool):
        problems.fail(
            f"has_clock_time must be true or false, not {has_clock_time!r}",
            None,
            "has_clock_time",
        )
    unknown_policy = doc.get("unknown_event_types", "reject")
    if unknown_policy not in UNKNOWN_EVENT_POLICIES:
        problems.fail(
            f'unknown_event_types must be "reject" or "other", not {unknown_policy!r}',
            None,
            "unknown_event_types",
        )
    decimal = doc.get("decimal_separator", ".")
    if decimal not in DECIMAL_SEPARATORS:
        problems.fail(
            f'decimal_separator must be "." or ",", not {decimal!r}',
            None,
            "decimal_separator",
        )
    if decimal == "," and delimiter == ",":
        problems.fail(
            'decimal_separator "," needs another column delimiter than ","',
            None,
            "decimal_separator",
        )
    null_values = _null_values(doc.get("null_values", []), problems)

    columns = _columns(doc.get("columns"), problems)
    event_types = _event_types(doc.get("event_types"), problems)
    time_formats, time_unit, timezone = _time(doc.get("time", {}), problems)

    return Mapping(
        path=path,
        name=name,
        description=description,
        columns=columns,
        event_types=event_types,
        delimiter=delimiter,
        has_clock_time=has_clock_time,
        unknown_event_types=unknown_policy,
        decimal_separator=decimal,
        null_values=null_values,
        time_formats=time_formats,
        time_unit=time_unit,
        timezone=timezone,
    )


def _delimiter(value: Any, problems: _Problems) -> str | None:
    if value is None:
        return None
    if value in ("tab", "\\t"):  # a TOML literal string '\t' is a backslash and a t
        return "\t"
    if not isinstance(value, str) or len(value) != 1 or value in ('"', "\n", "\r"):
        problems.fail(
            "delimiter must be one character other than a quote or a line break, such as "
            f'",", ";", "|" or "\\t" (tab); got {value!r}',
            None,
            "delimiter",
        )
    return value


def _null_values(value: Any, problems: _Problems) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.fail(
            'null_values must be a list of strings, such as ["NA", "null"]', None, "null_values"
        )
    # Compared with the trimmed, lower-cased value; the empty string always means missing.
    markers = {""} | {v.strip().lower() for v in value}
    return tuple(sorted(markers))


def _columns(value: Any, problems: _Problems) -> dict[str, str]:
    if value is None:
        problems.fail(
            "the mapping has no [columns] table; it needs at least event_time, event_type and "
            'session_id or customer_id, for example [columns] event_time = "ts"'
        )
    if not isinstance(value, dict):
        problems.fail('columns must be a table: [columns] canonical = "source column"')
    columns: dict[str, str] = {}
    for canonical, source in value.items():
        if canonical not in MAPPABLE_COLUMNS:
            why = _BUILD_COLUMNS.get(canonical)
            message = (
                f"column {canonical!r} cannot be mapped: {why}"
                if why
                else f"unknown canonical column {canonical!r}"
            )
            problems.fail(
                f"{message}; the canonical columns are {', '.join(MAPPABLE_COLUMNS)}",
                "columns",
                canonical,
            )
        if not isinstance(source, str) or not source.strip():
            problems.fail(
                f"columns.{canonical} must name a column of the source file, not {source!r}",
                "columns",
                canonical,
            )
        columns[canonical] = source
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.fail(
            f"[columns] lacks the required column(s) {', '.join(missing)}: every event needs "
            "a time and a type",
            "columns",
        )
    if not any(c in columns for c in IDENTITY_COLUMNS):
        problems.fail(
            "[columns] needs session_id or customer_id (or both): events are grouped into "
            "sessions by the source's session id, or by customer with an inactivity gap",
            "columns",
        )
    return columns


def _event_types(value: Any, problems: _Problems) -> dict[str, str]:
    if value is None:
        problems.fail(
            "the mapping has no [event_types] table; list which source values mean each "
            'canonical type, for example [event_types] purchase = ["order", "buy"]'
        )
    if not isinstance(value, dict) or not value:
        problems.fail(
            'event_types must be a non-empty table: [event_types] purchase = ["order"]',
            "event_types",
        )
    event_map: dict[str, str] = {}
    for canonical, sources in value.items():
        if canonical not in EVENT_TYPES:
            problems.fail(
                f"unknown canonical event type {canonical!r}; the event types are "
                f"{', '.join(EVENT_TYPES)}",
                "event_types",
                canonical,
            )
        if isinstance(sources, str):
            sources = [sources]
        if (
            not isinstance(sources, list)
            or not sources
            or not all(isinstance(s, str) and s.strip() for s in sources)
        ):
            problems.fail(
                f"event_types.{canonical} must be a non-empty list of source values, "
                f'such as ["order", "buy"]; got {sources!r}',
                "event_types",
                canonical,
            )
        for source in sources:
            key = source.strip().lower()
            if key in event_map and event_map[key] != canonical:
                problems.fail(
                    f"source event {source!r} is listed under both {event_map[key]} and "
                    f"{canonical}; each source value maps to one type",
                    "event_types",
                    canonical,
                )
            event_map[key] = canonical
    return event_map


def _time(value: Any, problems: _Problems) -> tuple[tuple[str, ...], str | None, str]:
    if not isinstance(value, dict):
        problems.fail('time must be a table: [time] format = "%d/%m/%Y %H:%M"', None, "time")
    unknown = [k for k in value if k not in TIME_KEYS]
    if unknown:
        problems.fail(
            f"unknown key {unknown[0]!r} in [time]; it has the keys {', '.join(TIME_KEYS)}",
            "time",
            unknown[0],
        )
    formats = value.get("format", [])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
        problems.fail(
            'time.format must be a strptime format such as "%d/%m/%Y %H:%M" (or a list of '
            f"them, tried in order); got {value.get('format')!r}",
            "time",
            "format",
        )
    with_zone = [("%z" in f or "%Z" in f) for f in formats]
    if any(with_zone) and not all(with_zone):
        # DuckDB reads a zone-less format in such a list as UTC, which would ignore timezone.
        problems.fail(
            "time.format entries must all carry an offset (%z / %Z) or none of them",
            "time",
            "format",
        )
    unit = value.get("unit")
    if unit is not None and unit not in TIME_UNITS:
        problems.fail(
            f"time.unit must be one of {', '.join(TIME_UNITS)} (epoch seconds, milliseconds, "
            f"microseconds, nanoseconds); got {unit!r}",
            "time",
            "unit",
        )
    if unit is not None and formats:
        problems.fail(
            "set time.format (text timestamps) or time.unit (epoch numbers), not both",
            "time",
            "unit",
        )
    timezone = value.get("timezone", "UTC")
    if not isinstance(timezone, str):
        problems.fail(f"time.timezone must be a string, not {timezone!r}", "time", "timezone")
    _check_with_duckdb(formats, timezone, problems)
    return tuple(formats), unit, timezone


def _check_with_duckdb(formats: list[str], timezone: str, problems: _Problems) -> None:
    """Let DuckDB itself judge the formats and the zone, so a bad one fails here, with its
    key's line, rather than as a query error in the middle of a build."""
    con = connect()
    try:
        if formats:
            try:
                rows(con, "SELECT try_strptime('', $formats) IS NULL", {"formats": formats})
            except duckdb.Error as exc:
                problems.fail(
                    f"time.format is not a valid strptime format: {exc}", "time", "format"
                )
        known = rows(
            con,
            "SELECT count(*) FROM pg_timezone_names() WHERE name = $zone",
            {"zone": timezone},
        )[0][0]
    finally:
        con.close()
    if timezone != "UTC" and not known:
        problems.fail(
            f"unknown time.timezone {timezone!r}; use an IANA zone name such as "
            '"Europe/Warsaw", "America/New_York" or "UTC"',
            "time",
            "timezone",
        )


# --------------------------------------------------------------------------- resolving


def _delimiter_name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _match_columns(wanted: list[str], header: list[str]) -> tuple[dict[str, str], list[str]]:
    """Source column name in the mapping → the header's own spelling, and what is missing.

    An exact match wins; otherwise a unique match ignoring case and surrounding spaces."""
    by_norm: dict[str, list[str]] = {}
    for column in header:
        by_norm.setdefault(column.strip().lower(), []).append(column)
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in wanted:
        if name in header:
            found[name] = name
        elif len(by_norm.get(name.strip().lower(), [])) == 1:
            found[name] = by_norm[name.strip().lower()][0]
        else:
            missing.append(name)
    return found, missing


def _check_delimiter(
    mapping: Mapping, source: InputFile, header: list[str], delimiter: str, missing: list[str]
) -> None:
    """Raise a "wrong delimiter" error when another delimiter would fit the mapping better."""
    wanted = list(dict.fromkeys(mapping.columns.values()))
    alternatives: list[tuple[int, int, str]] = []
    for candidate in DELIMITER_CANDIDATES:
        if candidate == delimiter:
            continue
        other, _ = read_header(source, candidate)
        _, other_missing = _match_columns(wanted, other)
        alternatives.append((len(other_missing), -len(other), candidate))
    if not alternatives:
        return
    best_missing, best_width, best = min(alternatives)
    splits_better = len(header) == 1 and len(wanted) > 1 and -best_width > 1
    if best_missing < len(missing) or splits_better:
        said = (
            f"the mapping says {_delimiter_name(delimiter)}"
            if mapping.delimiter is not None
            else f"the delimiter was sniffed as {_delimiter_name(delimiter)}"
        )
        set_it = "\\t" if best == "\t" else best
        raise IngestError(
            source.path,
            f"wrong delimiter: {said} but the header looks {_delimiter_name(best)}-separated "
            f"(it splits into {len(header)} column(s) with {_delimiter_name(delimiter)} and "
            f'{-best_width} with {_delimiter_name(best)}); set delimiter = "{set_it}" in '
            f"{mapping.path.name}",
            line=1,
        )


def resolve_mapping(mapping_path: Path | str, source: InputFile) -> ResolvedAdapter:
    """The adapter that maps ``source`` through the mapping file at ``mapping_path``.

    Raises
    ------
    IngestError
        When the mapping is invalid, or the file's header splits better with another
        delimiter than the one the mapping names.
    MissingColumnError
        When a column the mapping names is not in the file's header.
    """
    mapping = load_mapping(mapping_path)
    header, delimiter = read_header(source, mapping.delimiter)
    wanted = list(dict.fromkeys(mapping.columns.values()))
    found, missing = _match_columns(wanted, header)
    if source.container == "csv" and (missing or len(header) == 1):
        _check_delimiter(mapping, source, header, delimiter, missing)
    if missing:
        feeds = {name: [c for c, s in mapping.columns.items() if s == name] for name in missing}
        listed = ", ".join(f"{name!r} (for {', '.join(feeds[name])})" for name in missing)
        raise MissingColumnError(
            source.path,
            f"the mapping {mapping.path.name} names column(s) the file lacks: {listed}; "
            f"found: {', '.join(repr(h) for h in header)}",
            line=1,
        )

    # raw.py renames each source column to the first canonical column it feeds; a column that
    # feeds two canonical columns (sku as product_id and product_name) is read once.
    column_map: dict[str, str] = {}
    reads: dict[str, str] = {}
    for canonical, name in mapping.columns.items():
        actual = found[name]
        column_map.setdefault(actual, canonical)
        reads[canonical] = column_map[actual]
    return ResolvedAdapter(
        format_name=mapping.format_name,
        variant=mapping.path.name,
        grain="event",
        has_clock_time=mapping.has_clock_time,
        column_map=column_map,
        sql=adapter_sql(reads),
        params=adapter_params(mapping, found),
        delimiter=delimiter,
        header=header,
    )


def adapter_sql(reads: dict[str, str]) -> str:
    """The adapter SELECT for one mapping, from ``warehouse/sql/adapt_mapping.sql``.

    Generated, not fixed, because which canonical columns a file has varies per mapping:
    each ``{canonical}`` placeholder of the template becomes the quoted ``raw_source`` column
    that feeds it, or ``NULL`` when the mapping leaves it out. Only identifiers are
    interpolated, and only after :func:`quote_ident`; they are canonical names (raw.py has
    already renamed the file's own columns to them), so nothing a user wrote reaches the SQL
    text. Every value of the mapping is a bound parameter (:func:`adapter_params`).

    Parameters
    ----------
    reads
        Canonical column → the ``raw_source`` column it is read from.
    """
    template = load_sql("adapt_mapping")
    for canonical in MAPPABLE_COLUMNS:
        column = reads.get(canonical)
        if column is not None and column not in MAPPABLE_COLUMNS:
            raise ValueError(f"raw_source column {column!r} is not a canonical name")
        replacement = "NULL" if column is None else quote_ident(column)
        template = template.replace("{" + canonical + "}", replacement)
    return template


def adapter_params(mapping: Mapping, spelling: dict[str, str] | None = None) -> dict[str, Any]:
    """The bound parameters of :func:`adapter_sql` for ``mapping`` (all but ``source_id``).

    ``spelling`` maps a column name as the mapping writes it to the header's own spelling
    (they differ in case or spaces), so reject reasons name the column as the file has it.
    """
    values = sorted(mapping.event_types)
    spelling = spelling or {}
    # Reject reasons name the file's own column, where the person fixing it will look.
    checks = {canonical: spelling.get(name, name) for canonical, name in mapping.columns.items()}
    checks["identity"] = checks.get("session_id") or checks["customer_id"]
    micros = TIME_UNITS[mapping.time_unit or "s"][0]
    return {
        "null_values": list(mapping.null_values),
        "decimal_comma": mapping.decimal_separator == ",",
        "event_map": {"key": values, "value": [mapping.event_types[v] for v in values]},
        "mapped_events": ", ".join(repr(v) for v in values),
        "unknown_as_other": mapping.unknown_event_types == "other",
        "time_mode": mapping.time_mode,
        "time_formats": list(mapping.time_formats) or _UNUSED_FORMATS,
        "epoch_micros": micros,
        "timezone": mapping.timezone,
        "time_expected": mapping.time_expected,
        "has_clock_time": mapping.has_clock_time,
        "source_columns": {"key": list(checks), "value": list(checks.values())},
    }
