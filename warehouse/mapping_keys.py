"""The keys of a mapping file, each checked on its own: every message names the mapping file
and, where it can, the line of the offending key (see ``docs/mapping.md``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import duckdb

from warehouse.engine import connect, rows
from warehouse.errors import IngestError
from warehouse.schema import EVENT_TYPES

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
# Keys that may be composed from several columns (GA360's visitId is unique per visitor only).
COMPOSABLE_COLUMNS: tuple[str, ...] = ("session_id", "customer_id", "product_id")
# A constant stands in for a column the file lacks (a view-only log has no event column);
# a constant time or identity would merge every row into one instant or one visitor.
NOT_CONSTANT: tuple[str, ...] = ("event_time", "session_id", "customer_id")

TIME_UNITS: dict[str, tuple[float, str]] = {
    # unit → (microseconds per unit, name used in messages)
    "s": (1_000_000.0, "seconds"),
    "ms": (1_000.0, "milliseconds"),
    "us": (1.0, "microseconds"),
    "ns": (0.001, "nanoseconds"),
}
TIME_KEYS: tuple[str, ...] = ("format", "unit", "timezone", "offset", "offset_unit")


@dataclass(frozen=True)
class Columns:
    """The [columns] table: plain sources, composed keys and constants, by canonical column."""

    single: dict[str, str]
    composed: dict[str, tuple[str, ...]]
    constants: dict[str, str]


@dataclass(frozen=True)
class TimeKeys:
    formats: tuple[str, ...]
    unit: str | None
    timezone: str
    offset: str | None
    offset_unit: str


class Problems:
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


def delimiter_key(value: Any, problems: Problems) -> str | None:
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


def null_values_key(value: Any, problems: Problems) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.fail(
            'null_values must be a list of strings, such as ["NA", "null"]', None, "null_values"
        )
    # Compared with the trimmed, lower-cased value; the empty string always means missing.
    markers = {""} | {v.strip().lower() for v in value}
    return tuple(sorted(markers))


def event_types_key(value: Any, problems: Problems) -> dict[str, str]:
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


def time_key(value: Any, problems: Problems) -> TimeKeys:
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
    offset = value.get("offset")
    if offset is not None and (not isinstance(offset, str) or not offset.strip()):
        problems.fail(
            f"time.offset must name a column of the source file, not {offset!r}", "time", "offset"
        )
    offset_unit = value.get("offset_unit", "ms")
    if offset_unit not in TIME_UNITS:
        problems.fail(
            f"time.offset_unit must be one of {', '.join(TIME_UNITS)}; got {offset_unit!r}",
            "time",
            "offset_unit",
        )
    return TimeKeys(tuple(formats), unit, timezone, offset, offset_unit)


def _check_with_duckdb(formats: list[str], timezone: str, problems: Problems) -> None:
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


def columns_key(value: Any, problems: Problems) -> Columns:
    """[columns]: ``canonical = "column"``, a dotted path, a list of columns to compose one
    key from, or ``{ constant = "value" }``."""
    if value is None:
        problems.fail(
            "the mapping has no [columns] table; it needs at least event_time, event_type and "
            'session_id or customer_id, for example [columns] event_time = "ts"'
        )
    if not isinstance(value, dict):
        problems.fail('columns must be a table: [columns] canonical = "source column"')
    single: dict[str, str] = {}
    composed: dict[str, tuple[str, ...]] = {}
    constants: dict[str, str] = {}
    for canonical, source in value.items():
        _check_canonical(canonical, problems)
        if isinstance(source, dict):
            constants[canonical] = _constant(canonical, source, problems)
        elif isinstance(source, list) and len(source) > 1:
            composed[canonical] = _composed(canonical, source, problems)
        else:
            if isinstance(source, list):
                source = source[0] if source else None
            if not isinstance(source, str) or not source.strip():
                problems.fail(
                    f"columns.{canonical} must name a column of the source file, not {source!r}",
                    "columns",
                    canonical,
                )
            single[canonical] = source
    _check_required(single, composed, constants, problems)
    return Columns(single, composed, constants)


def _check_canonical(canonical: str, problems: Problems) -> None:
    if canonical in MAPPABLE_COLUMNS:
        return
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


def _constant(canonical: str, source: dict[str, Any], problems: Problems) -> str:
    constant = source.get("constant")
    if set(source) != {"constant"} or not isinstance(constant, str) or not constant.strip():
        problems.fail(
            f'columns.{canonical} as a table must be {{ constant = "value" }} with a '
            f"non-empty text value; got {source!r}",
            "columns",
            canonical,
        )
    if canonical in NOT_CONSTANT:
        problems.fail(
            f"columns.{canonical} cannot be a constant: every row would share one "
            f"{'time' if canonical == 'event_time' else 'identity'}; map a column of the file",
            "columns",
            canonical,
        )
    return constant


def _composed(canonical: str, source: list[Any], problems: Problems) -> tuple[str, ...]:
    if canonical not in COMPOSABLE_COLUMNS:
        problems.fail(
            f"columns.{canonical} is a list, but only {', '.join(COMPOSABLE_COLUMNS)} can be "
            'composed from several columns (session_id = ["visitor", "visit"])',
            "columns",
            canonical,
        )
    if not all(isinstance(s, str) and s.strip() for s in source):
        problems.fail(
            f"columns.{canonical} must list column names of the source file; got {source!r}",
            "columns",
            canonical,
        )
    return tuple(source)


def _check_required(
    single: dict[str, str],
    composed: dict[str, tuple[str, ...]],
    constants: dict[str, str],
    problems: Problems,
) -> None:
    present = set(single) | set(composed) | set(constants)
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        problems.fail(
            f"[columns] lacks the required column(s) {', '.join(missing)}: every event needs "
            "a time and a type",
            "columns",
        )
    if not any(c in single or c in composed for c in IDENTITY_COLUMNS):
        problems.fail(
            "[columns] needs session_id or customer_id (or both): events are grouped into "
            "sessions by the source's session id, or by customer with an inactivity gap",
            "columns",
        )


def choice_key(
    doc: dict[str, Any], key: str, choices: tuple[str, ...], default: str, problems: Problems
) -> str:
    """A top-level key that takes one of a few fixed words."""
    value = doc.get(key, default)
    if value not in choices:
        listed = " or ".join(f'"{c}"' for c in choices)
        problems.fail(f"{key} must be {listed}, not {value!r}", None, key)
    return str(value)


def divisor_key(doc: dict[str, Any], problems: Problems) -> float:
    """money_divisor: prices and revenue are divided by it (GA360 writes money in micros)."""
    value = doc.get("money_divisor", 1)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        problems.fail(
            f"money_divisor must be a number above 0, such as 1000000; got {value!r}",
            None,
            "money_divisor",
        )
    return float(value)
