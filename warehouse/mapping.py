"""Mapping files: a small TOML file that maps any other event export onto canonical events.

``shopsight build --mapping FILE`` loads CSV, Parquet, newline-delimited JSON or XLSX exports
whose header no built-in format recognises. The mapping names which of the file's columns
feeds which canonical column, which of its event values mean which canonical event type,
and how its timestamps are written. The schema, with every key and default, is in
``docs/mapping.md``.

The per-key checks live in :mod:`warehouse.mapping_keys`, nested sources (dotted paths,
explode) in :mod:`warehouse.mapping_nested`.

Security: column names from the mapping reach SQL only through :func:`quote_ident` (in
``warehouse/raw.py``, which renames them to internal names; struct fields of a dotted path
are quoted identifiers too); every value of the mapping (event names, null markers, time
formats, the time zone, constants) is a bound parameter.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from warehouse.adapters import ResolvedAdapter, read_header
from warehouse.engine import load_sql, quote_ident
from warehouse.errors import IngestError, MissingColumnError
from warehouse.mapping_keys import (
    IDENTITY_COLUMNS,
    MAPPABLE_COLUMNS,
    REQUIRED_COLUMNS,
    TIME_UNITS,
    Problems,
    choice_key,
    columns_key,
    delimiter_key,
    divisor_key,
    event_types_key,
    null_values_key,
    time_key,
)
from warehouse.mapping_nested import (
    SourcePath,
    composed_expression,
    nested_type_problem,
    path_expression,
    probe_types,
    split_path,
    swapped_formats,
)
from warehouse.schema import EVENT_TYPES
from warehouse.sources import DELIMITER_CANDIDATES, InputFile

__all__ = [
    "IDENTITY_COLUMNS",
    "MAPPABLE_COLUMNS",
    "REQUIRED_COLUMNS",
    "TIME_UNITS",
    "Mapping",
    "adapter_params",
    "adapter_sql",
    "load_mapping",
    "resolve_mapping",
]

UNKNOWN_EVENT_POLICIES: tuple[str, ...] = ("reject", "other")
DECIMAL_SEPARATORS: tuple[str, ...] = (".", ",")
DUPLICATE_RULES: tuple[str, ...] = ("identical-lines", "mapped-columns", "keep")
EMPTY_REVENUE_RULES: tuple[str, ...] = ("empty", "reject", "price-times-quantity")
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(
    """name description delimiter has_clock_time unknown_event_types decimal_separator
    null_values duplicates empty_revenue money_divisor explode columns event_types
    time""".split()
)

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}")
_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_ISO_EXPECTED = (
    "an ISO 8601 time (YYYY-MM-DD[ HH:MM[:SS]][+HH:MM]) or epoch seconds; "
    "set [time] format or unit in the mapping for other shapes"
)
# try_strptime needs a valid format list even in modes that never reach it.
_UNUSED_FORMATS = ["%Y-%m-%d %H:%M:%S"]
# The internal raw_source names of the columns that are not a canonical column's own.
OFFSET_COLUMN = "event_time_offset"
EXPLODE_COLUMN = "exploded_list"

# A read of one raw_source column: its internal name, or the name and a path below it.
Read = str | tuple[str, tuple[str | int, ...]]


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file.

    Attributes
    ----------
    columns
        Canonical column → the source file's column name (or a dotted path into one).
    composed
        Canonical key → the several columns whose values are joined into it.
    constants
        Canonical column → the value every row gets (for a column the file lacks).
    event_types
        Lower-case source event value → canonical event type.
    time_formats
        strptime formats tried in order; empty when the file uses ISO times or epochs.
    time_unit
        Epoch unit (``s``, ``ms``, ``us``, ``ns``) when timestamps are numbers.
    time_offset
        A column added to the event time (GA360: ``hits.time``, milliseconds into the visit).
    duplicates
        How duplicate rows are judged: every source column, the mapped columns, or not at all.
    empty_revenue
        What an empty mapped revenue on a purchase row becomes.
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
    composed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    explode: str | None = None
    duplicates: str = "identical-lines"
    empty_revenue: str = "empty"
    money_divisor: float = 1.0
    time_offset: str | None = None
    time_offset_unit: str = "ms"

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

    @property
    def revenue_rule(self) -> str:
        """Which rule produced revenue on purchase rows, as the ingest ledger records it."""
        scale = "" if self.money_divisor == 1 else f" ÷ {self.money_divisor:g}"
        if "revenue" in self.constants:
            return f"the constant {self.constants['revenue']!r}{scale}"
        if "revenue" not in self.columns:
            return f"price × quantity{scale} (no revenue column mapped)"
        column = f"column {self.columns['revenue']!r}{scale}"
        return {
            "empty": f"{column}; empty stays empty",
            "reject": f"{column}; a purchase without it is rejected",
            "price-times-quantity": f"{column}, else price × quantity",
        }[self.empty_revenue]

    def sources(self) -> dict[str, str]:
        """Every column the mapping reads, by what it feeds: canonical column (composed
        parts as ``session_id (part 2)``), the time offset and the exploded list."""
        out = dict(self.columns)
        for canonical, parts in self.composed.items():
            for number, part in enumerate(parts, start=1):
                out[f"{canonical} (part {number})"] = part
        if self.time_offset is not None:
            out["time offset"] = self.time_offset
        if self.explode is not None:
            out["explode"] = self.explode
        return out


# --------------------------------------------------------------------------- loading


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
    return _validate(path, document, Problems(path, text))


def _validate(path: Path, doc: dict[str, Any], problems: Problems) -> Mapping:
    unknown = [k for k in doc if k not in TOP_LEVEL_KEYS]
    if unknown:
        first = unknown[0]
        is_table = isinstance(doc[first], dict)
        problems.fail(
            f"unknown key {first!r}; a mapping has the keys {', '.join(TOP_LEVEL_KEYS)}",
            first if is_table else None,
            None if is_table else first,
        )
    name, description = _name(path, doc, problems)
    delimiter = delimiter_key(doc.get("delimiter"), problems)
    has_clock_time = _clock_time(doc, problems)
    unknown_policy = choice_key(
        doc, "unknown_event_types", UNKNOWN_EVENT_POLICIES, "reject", problems
    )
    decimal = choice_key(doc, "decimal_separator", DECIMAL_SEPARATORS, ".", problems)
    if decimal == "," and delimiter == ",":
        problems.fail(
            'decimal_separator "," needs another column delimiter than ","',
            None,
            "decimal_separator",
        )
    columns = columns_key(doc.get("columns"), problems)
    empty_revenue = choice_key(doc, "empty_revenue", EMPTY_REVENUE_RULES, "empty", problems)
    if "empty_revenue" in doc and "revenue" not in columns.single:
        problems.fail(
            "empty_revenue says what an empty revenue cell becomes, so it needs a revenue "
            "column in [columns]; without one, revenue is price × quantity",
            None,
            "empty_revenue",
        )
    explode = doc.get("explode")
    if explode is not None and (not isinstance(explode, str) or not explode.strip()):
        problems.fail(f"explode must name one list column, not {explode!r}", None, "explode")
    time = time_key(doc.get("time", {}), problems)
    event_types = _event_types(doc, columns.constants, problems)
    return Mapping(
        path=path,
        name=name,
        description=description,
        columns=columns.single,
        composed=columns.composed,
        constants=columns.constants,
        event_types=event_types,
        delimiter=delimiter,
        has_clock_time=has_clock_time,
        unknown_event_types="other" if unknown_policy == "other" else "reject",
        decimal_separator="," if decimal == "," else ".",
        null_values=null_values_key(doc.get("null_values", []), problems),
        time_formats=time.formats,
        time_unit=time.unit,
        timezone=time.timezone,
        time_offset=time.offset,
        time_offset_unit=time.offset_unit,
        explode=explode,
        duplicates=choice_key(doc, "duplicates", DUPLICATE_RULES, "identical-lines", problems),
        empty_revenue=empty_revenue,
        money_divisor=divisor_key(doc, problems),
    )


def _clock_time(doc: dict[str, Any], problems: Problems) -> bool:
    has_clock_time = doc.get("has_clock_time", True)
    if not isinstance(has_clock_time, bool):
        problems.fail(
            f"has_clock_time must be true or false, not {has_clock_time!r}",
            None,
            "has_clock_time",
        )
    return has_clock_time


def _event_types(
    doc: dict[str, Any], constants: dict[str, str], problems: Problems
) -> dict[str, str]:
    """[event_types]; optional when event_type is a constant canonical type (a view-only log
    says ``event_type = { constant = "product_view" }`` and needs no value list)."""
    constant = constants.get("event_type")
    if constant is not None and "event_types" not in doc and constant in EVENT_TYPES:
        return {}
    event_types = event_types_key(doc.get("event_types"), problems)
    if (
        constant is not None
        and constant not in EVENT_TYPES
        and constant.strip().lower() not in event_types
    ):
        problems.fail(
            f"the constant event type {constant!r} is neither a canonical event type "
            f"({', '.join(EVENT_TYPES)}) nor a value listed in [event_types]",
            "columns",
            "event_type",
        )
    return event_types


def _name(path: Path, doc: dict[str, Any], problems: Problems) -> tuple[str, str]:
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
    return name, description


# --------------------------------------------------------------------------- resolving


def _match_columns(wanted: list[str], header: list[str]) -> tuple[dict[str, SourcePath], list[str]]:
    """Each mapped path against the header, and the paths that match nothing."""
    found: dict[str, SourcePath] = {}
    missing: list[str] = []
    for name in wanted:
        resolved = split_path(name, header)
        if resolved is None:
            missing.append(name)
        else:
            found[name] = resolved
    return found, missing


def _delimiter_name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _check_delimiter(
    mapping: Mapping, source: InputFile, header: list[str], delimiter: str, missing: list[str]
) -> None:
    """Raise a "wrong delimiter" error when another delimiter would fit the mapping better."""
    wanted = list(dict.fromkeys(mapping.sources().values()))
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
        When the mapping is invalid, the file's header splits better with another
        delimiter than the one the mapping names, a struct or list would feed a single
        value, or ``explode`` does not name a list column.
    MissingColumnError
        When a column the mapping names is not in the file's header.
    """
    mapping = load_mapping(mapping_path)
    header, delimiter = read_header(source, mapping.delimiter)
    sources = mapping.sources()
    wanted = list(dict.fromkeys(sources.values()))
    found, missing = _match_columns(wanted, header)
    if source.container == "csv" and (missing or len(header) == 1):
        _check_delimiter(mapping, source, header, delimiter, missing)
    if missing:
        feeds = {name: [c for c, s in sources.items() if s == name] for name in missing}
        listed = ", ".join(f"{name!r} (for {', '.join(feeds[name])})" for name in missing)
        raise MissingColumnError(
            source.path,
            f"the mapping {mapping.path.name} names column(s) the file lacks: {listed}; "
            f"found: {', '.join(repr(h) for h in header)}",
            # The header is line 1 of a CSV or a sheet; Parquet and JSON have no header line.
            line=1 if source.container in ("csv", "xlsx") else None,
        )
    paths = {label: found[text] for label, text in sources.items()}
    _check_nested(mapping, source, paths)
    column_map, reads = _internal_names(mapping, paths)
    explode = column_map[paths["explode"].column] if "explode" in paths else None
    offset = reads.pop("time offset", None)
    spelling = {text: path.text for text, path in found.items()}
    return ResolvedAdapter(
        format_name=mapping.format_name,
        variant=mapping.path.name,
        grain="event",
        has_clock_time=mapping.has_clock_time,
        column_map=column_map,
        sql=adapter_sql(
            reads,
            constants=tuple(mapping.constants),
            explode=explode is not None,
            offset=offset if isinstance(offset, str | tuple) else None,
        ),
        params=adapter_params(mapping, spelling),
        delimiter=delimiter,
        header=header,
        explode=explode,
        duplicates=mapping.duplicates,
        revenue_rule=mapping.revenue_rule,
        date_order=_date_order(mapping, reads),
    )


def _date_order(mapping: Mapping, reads: dict[str, Read | list[Read]]) -> dict[str, Any] | None:
    """What the build needs to check a day/month-ambiguous format against the data."""
    swapped = swapped_formats(mapping.time_formats)
    event_time = reads.get("event_time")
    if swapped is None or event_time is None or isinstance(event_time, list):
        return None
    session = reads.get("session_id")
    if session is None:
        session_sql = "NULL"
    elif isinstance(session, list):
        session_sql = " || '|' || ".join(f"({_read_expression(r)})::VARCHAR" for r in session)
    else:
        session_sql = _read_expression(session)
    return {
        "event_time": _read_expression(event_time),
        "session_id": session_sql,
        "formats": mapping.time_formats,
        "swapped": swapped,
    }


def _check_nested(mapping: Mapping, source: InputFile, paths: dict[str, SourcePath]) -> None:
    """Refuse an explode that is not a list, and a struct or list feeding a single value."""
    explode = paths.get("explode")
    if explode is not None and (explode.segments or source.container not in ("parquet", "ndjson")):
        raise IngestError(
            source.path,
            f"explode = {mapping.explode!r} must name a top-level list column of a Parquet "
            "or JSON file; CSV and XLSX columns hold single values",
        )
    if source.container not in ("parquet", "ndjson"):
        return  # every CSV or XLSX cell is one value
    scalar = {label: path for label, path in paths.items() if label != "explode"}
    types = probe_types(source, scalar, explode.column if explode else None)
    for label, path in scalar.items():
        problem = nested_type_problem(label, path, types[label], mapping.explode)
        if problem is not None:
            raise IngestError(source.path, problem)


def _internal_names(
    mapping: Mapping, paths: dict[str, SourcePath]
) -> tuple[dict[str, str], dict[str, Read | list[Read]]]:
    """The file column → internal name map raw.py reads with, and each canonical column's
    read. A column that feeds several canonical columns (sku as product_id and product_name,
    or a struct several paths go into) is read once, under the first name it gets."""
    column_map: dict[str, str] = {}
    reads: dict[str, Read | list[Read]] = {}
    for canonical in mapping.columns:
        path = paths[canonical]
        internal = column_map.setdefault(path.column, canonical)
        reads[canonical] = (internal, path.segments) if path.segments else internal
    for canonical, parts in mapping.composed.items():
        composed: list[Read] = []
        for number in range(1, len(parts) + 1):
            path = paths[f"{canonical} (part {number})"]
            internal = column_map.setdefault(path.column, f"{canonical}_part{number}")
            composed.append((internal, path.segments))
        reads[canonical] = composed
    if "time offset" in paths:
        path = paths["time offset"]
        reads["time offset"] = (column_map.setdefault(path.column, OFFSET_COLUMN), path.segments)
    if "explode" in paths:
        column_map.setdefault(paths["explode"].column, EXPLODE_COLUMN)
    return column_map, reads


def _read_expression(read: Read) -> str:
    if isinstance(read, str):
        return path_expression(read, ())
    return path_expression(read[0], read[1])


def adapter_sql(
    reads: dict[str, Read | list[Read]],
    *,
    constants: tuple[str, ...] = (),
    explode: bool = False,
    offset: Read | None = None,
) -> str:
    """The adapter SELECT for one mapping, from ``warehouse/sql/adapt_mapping.sql``.

    Generated, not fixed, because which canonical columns a file has varies per mapping:
    each ``{canonical}`` placeholder of the template becomes the quoted ``raw_source`` column
    that feeds it (with the struct fields and list indexes of a dotted path, each a quoted
    identifier or an integer), a composed key, a bound ``$constant_<column>`` parameter, or
    ``NULL`` when the mapping leaves it out. ``raw_source`` columns carry internal names
    (raw.py has already renamed the file's own columns), checked here; every value of the
    mapping is a bound parameter (:func:`adapter_params`).

    Parameters
    ----------
    reads
        Canonical column → the ``raw_source`` column it is read from (with a path below it),
        or a list of them for a composed key.
    constants
        Canonical columns read from ``$constant_<column>``.
    explode
        The rows come from ``explode_rows.sql`` (they carry ``record`` and ``element``).
    offset
        The read added to the event time (``[time] offset``).
    """
    template = load_sql("adapt_mapping")
    for canonical in MAPPABLE_COLUMNS:
        read = reads.get(canonical)
        if canonical in constants:
            replacement = f"$constant_{canonical}"
        elif read is None:
            replacement = "NULL"
        elif isinstance(read, list):
            replacement = composed_expression([_read_expression(r) for r in read])
        else:
            replacement = _read_expression(read)
        template = template.replace("{" + canonical + "}", replacement)
    fills = {
        "event_time_offset": "NULL" if offset is None else _read_expression(offset),
        "explode_record": quote_ident("record") if explode else "NULL",
        "explode_element": quote_ident("element") if explode else "NULL",
    }
    for slot, replacement in fills.items():
        template = template.replace("{" + slot + "}", replacement)
    return template


def adapter_params(mapping: Mapping, spelling: dict[str, str] | None = None) -> dict[str, Any]:
    """The bound parameters of :func:`adapter_sql` for ``mapping`` (all but ``source_id``).

    ``spelling`` maps a column name as the mapping writes it to the header's own spelling
    (they differ in case or spaces), so reject reasons name the column as the file has it.
    """
    event_types = dict(mapping.event_types)
    constant_type = mapping.constants.get("event_type")
    if constant_type is not None:
        event_types.setdefault(constant_type.strip().lower(), constant_type.strip().lower())
    values = sorted(event_types)
    spelling = spelling or {}
    # Reject reasons name the file's own column, where the person fixing it will look.
    checks = {canonical: spelling.get(name, name) for canonical, name in mapping.columns.items()}
    for canonical, parts in mapping.composed.items():
        checks[canonical] = " + ".join(spelling.get(p, p) for p in parts)
    for canonical in mapping.constants:
        checks[canonical] = f"{canonical} (constant)"
    checks["identity"] = checks.get("session_id") or checks["customer_id"]
    if mapping.time_offset is not None:
        checks["time_offset"] = spelling.get(mapping.time_offset, mapping.time_offset)
    if mapping.explode is not None:
        checks["explode"] = spelling.get(mapping.explode, mapping.explode)
    micros = TIME_UNITS[mapping.time_unit or "s"][0]
    return {
        "null_values": list(mapping.null_values),
        "decimal_comma": mapping.decimal_separator == ",",
        "event_map": {"key": values, "value": [event_types[v] for v in values]},
        "mapped_events": ", ".join(repr(v) for v in values),
        "unknown_as_other": mapping.unknown_event_types == "other",
        "time_mode": mapping.time_mode,
        "time_formats": list(mapping.time_formats) or _UNUSED_FORMATS,
        "epoch_micros": micros,
        "timezone": mapping.timezone,
        "time_expected": mapping.time_expected,
        "has_clock_time": mapping.has_clock_time,
        "source_columns": {"key": list(checks), "value": list(checks.values())},
        "offset_micros": TIME_UNITS[mapping.time_offset_unit][0],
        "money_divisor": mapping.money_divisor,
        "revenue_mapped": "revenue" in mapping.columns or "revenue" in mapping.constants,
        "revenue_fallback": mapping.empty_revenue == "price-times-quantity",
        "revenue_required": mapping.empty_revenue == "reject",
        "explode_column": mapping.explode or "",
        **{f"constant_{c}": v for c, v in mapping.constants.items()},
    }
