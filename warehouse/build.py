"""Building a warehouse: every input file through its adapter into the events table, then
the marts, into a new versioned DuckDB file that replaces the old one atomically
(see :mod:`warehouse.versions`).

SQL: the build's queries are files in ``warehouse/sql``. What stays inline is plumbing, not
queries: DDL written from the schema's column list (``event_rows``, the ``events`` view, the
typed-NULL padding view), ``executemany`` VALUES inserts of rows Python holds, and one-line
``count(*)`` checks on the build's own temp tables.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse import __version__
from warehouse.adapters import ResolvedAdapter, resolve_builtin
from warehouse.capabilities import write_capabilities
from warehouse.codebook import codebook_rows
from warehouse.engine import (
    create_table,
    fill_slots,
    insert_into,
    load_sql,
    quote_ident,
    rows,
    run,
    with_relations,
)
from warehouse.errors import IngestError, NothingLoadedError
from warehouse.formats import FORMATS
from warehouse.ledger import SourceResult, write_ledger
from warehouse.mapping_nested import date_order_warning, explode_sql
from warehouse.raw import RAW, RawLoad, load_raw
from warehouse.schema import DEDUP_HASH_KEY, DEDUP_KEY, EVENT_COLUMN_NAMES, EVENT_COLUMNS
from warehouse.sources import InputFile, expand_inputs, sha256_of
from warehouse.versions import writing_version

Progress = Callable[[str], None]

MART_TABLES = ("sessions", "customers", "cohort_retention", "daily_sessions")
# Columns every build stores, filled or not: the duplicate check and the marts rely on them.
ALWAYS_STORED = (
    "event_time",
    "session_id",
    "customer_id",
    "event_type",
    "source_id",
    "source_line",
)


@dataclass
class BuildOptions:
    format: str | None = None
    mapping: Path | None = None
    session_gap_minutes: int = 30
    threads: int | None = None
    # Bounded by default so a 100M-event build spills to disk instead of taking the machine.
    memory_limit: str | None = "4GB"
    keep_seconds: float = 600.0
    force: bool = False


@dataclass
class BuildResult:
    build_id: str
    db_path: Path
    version_path: Path
    sources: list[SourceResult]
    seconds: float
    noop: bool = False
    warnings: list[str] = field(default_factory=list)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def build_warehouse(
    db_path: Path | str,
    inputs: list[str],
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Ingest ``inputs`` and (re)build the warehouse at ``db_path``.

    Raises
    ------
    IngestError
        When an input path does not exist or cannot be classified.
    NothingLoadedError
        When no row of any input could be loaded; the current warehouse is left untouched.
    """
    options = options or BuildOptions()
    started = time.perf_counter()
    db_path = Path(db_path)
    files = _checked_inputs(inputs, options)

    _say(progress, f"hashing {len(files)} input file(s)")
    hashed = [(f, sha256_of(f.path)) for f in files]
    fingerprint = _fingerprint(hashed, options)

    unchanged = _unchanged_build(db_path, fingerprint, options, started, progress)
    if unchanged is not None:
        return unchanged
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + fingerprint[:8]
    version_path, sources = _write_new_version(
        db_path, hashed, build_id, fingerprint, options, progress
    )
    return BuildResult(
        build_id=build_id,
        db_path=db_path,
        version_path=version_path,
        sources=sources,
        seconds=time.perf_counter() - started,
        warnings=_warnings(sources),
    )


def _checked_inputs(inputs: list[str], options: BuildOptions) -> list[InputFile]:
    """The input files, after one clear error for a bad mapping (not one per file)."""
    if options.mapping is not None:
        from warehouse.mapping import load_mapping

        load_mapping(Path(options.mapping))
    files = expand_inputs(inputs)
    if not files:
        raise IngestError(Path(inputs[0]) if inputs else Path("."), "no input files given")
    return files


def _unchanged_build(
    db_path: Path,
    fingerprint: str,
    options: BuildOptions,
    started: float,
    progress: Progress | None,
) -> BuildResult | None:
    """The no-op result when the current warehouse was built from these very inputs (and
    the build is not forced); ``None`` when a build is needed."""
    current = current_build(db_path)
    if current is None or current.get("input_fingerprint") != fingerprint or options.force:
        return None
    _say(progress, f"inputs unchanged since build {current['build_id']}: nothing to do")
    return BuildResult(
        build_id=str(current["build_id"]),
        db_path=db_path,
        version_path=db_path.resolve(),
        sources=[],
        seconds=time.perf_counter() - started,
        noop=True,
    )


def _write_new_version(
    db_path: Path,
    hashed: list[tuple[InputFile, str]],
    build_id: str,
    fingerprint: str,
    options: BuildOptions,
    progress: Progress | None,
) -> tuple[Path, list[SourceResult]]:
    """Ingest into a new version file and build its marts; the version replaces the
    current warehouse only if this returns (see :func:`warehouse.versions.writing_version`)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    version_path = db_path.with_name(f"{db_path.stem}.{build_id}.duckdb")
    with writing_version(
        db_path,
        version_path,
        threads=options.threads,
        memory_limit=options.memory_limit,
        keep_seconds=options.keep_seconds,
    ) as con:
        sources, stored = _ingest_all(con, hashed, options, progress)
        loaded = sum(s.rows_loaded for s in sources)
        if loaded == 0:
            raise NothingLoadedError(_nothing_loaded_message(con, sources))
        _say(progress, "building marts: events, sessions, customers, cohorts, daily roll-up")
        _build_marts(con, sources, stored, build_id, fingerprint, options)
    return version_path, sources


def _warnings(sources: list[SourceResult]) -> list[str]:
    """What the build tells the user: rejected rows, files that did not load, and session
    ids that carry more than one customer id."""
    warnings = [
        f"{s.path}: {s.rows_rejected:,} of {s.rows_read:,} rows rejected"
        + (f" ({s.note})" if s.note else "")
        for s in sources
        if s.rows_rejected and s.status == "loaded"
    ] + [
        f"{s.path}: {s.note}"
        for s in sources
        if s.status != "loaded" or (s.note and not s.rows_rejected)
    ]
    warnings += [
        f"{s.path}: {s.shared_sessions:,} session id(s) carry more than one customer id; "
        "each customer keeps their own events, but the session id is not unique per visit: "
        'compose it from several columns (session_id = ["visitor", "visit"]) in a mapping'
        for s in sources
        if s.shared_sessions
    ]
    return warnings


def _fingerprint(hashed: list[tuple[InputFile, str]], options: BuildOptions) -> str:
    digest = hashlib.sha256()
    digest.update(__version__.encode())
    digest.update(json.dumps([options.format, options.session_gap_minutes]).encode())
    if options.mapping is not None:
        digest.update(sha256_of(Path(options.mapping)).encode())
    for _, sha in sorted(hashed, key=lambda item: item[1]):
        digest.update(sha.encode())
    return digest.hexdigest()


def _resolve(source: InputFile, options: BuildOptions) -> ResolvedAdapter:
    if options.mapping is not None:
        from warehouse.mapping import resolve_mapping

        adapter: ResolvedAdapter = resolve_mapping(Path(options.mapping), source)
        return adapter
    return resolve_builtin(source, options.format)


def _ingest_all(
    con: duckdb.DuckDBPyConnection,
    hashed: list[tuple[InputFile, str]],
    options: BuildOptions,
    progress: Progress | None,
) -> tuple[list[SourceResult], tuple[str, ...]]:
    run(con, "staging_tables")
    con.executemany("INSERT INTO codebook VALUES (?, ?, ?)", [list(r) for r in codebook_rows()])
    # First recognise every file (headers only), so the events table is created with just
    # the columns some source can fill: an all-NULL column still costs DuckDB a compression
    # pass per row group (10 of them: 2.5 s of a 10M-event build).
    results, adapters = _recognise_all(hashed, options, progress)
    stored = stored_event_columns(a for a in adapters.values() if a.grain == "event")
    create_event_rows(con, stored)
    _ingest_recognised(con, hashed, results, adapters, stored, progress)
    _record_rules(results, adapters)
    con.executemany(
        "INSERT INTO source_order VALUES (?, ?, ?, ?)",
        [[r.source_id, r.file_order, r.path, r.duplicates or "keep"] for r in results],
    )
    loaded = [
        (source, adapters[r.source_id], r.source_id)
        for (source, _), r in zip(hashed, results, strict=True)
        if r.status == "loaded" and r.source_id in adapters
    ]
    if loaded:
        _derive_sessions_and_dedupe(con, options, progress, stored, loaded)
    _account(con, results)
    return results, stored


def _recognise_all(
    hashed: list[tuple[InputFile, str]], options: BuildOptions, progress: Progress | None
) -> tuple[list[SourceResult], dict[str, ResolvedAdapter]]:
    """A result per file (in input order) and the adapter of each file that will be read,
    by source id. Repeated bytes are skipped; a file no adapter fits is marked failed."""
    results: list[SourceResult] = []
    adapters: dict[str, ResolvedAdapter] = {}
    seen: dict[str, SourceResult] = {}
    for order, (source, sha) in enumerate(hashed, start=1):
        result = SourceResult(
            source_id=sha[:16],
            # Absolute, so a rebuild started elsewhere (the dashboard) finds the same files.
            path=str(source.path.resolve()),
            format="",
            variant="",
            sha256=sha,
            size_bytes=source.size,
            file_order=order,
        )
        results.append(result)
        if sha in seen:
            # Same bytes twice: ingesting them again would only produce duplicates.
            result.status = "skipped"
            result.source_id = f"{sha[:16]}-dup{order}"
            result.note = f"same bytes as {seen[sha].path}; ingested once"
            continue
        seen[sha] = result
        adapter = _recognise(source, result, options, progress, len(hashed))
        if adapter is not None:
            adapters[result.source_id] = adapter
    return results, adapters


def _recognise(
    source: InputFile,
    result: SourceResult,
    options: BuildOptions,
    progress: Progress | None,
    n_files: int,
) -> ResolvedAdapter | None:
    """The adapter for ``source``, its facts recorded on ``result``; ``None`` (and the
    result marked failed) when no adapter fits."""
    try:
        adapter = _resolve(source, options)
    except IngestError as exc:
        result.status = "failed"
        result.note = str(exc)
        _say(progress, f"[{result.file_order}/{n_files}] {source.path}: {exc}")
        return None
    result.format = adapter.format_name
    result.variant = adapter.variant
    result.line_unit = line_unit(source, adapter)
    result.has_clock_time = adapter.has_clock_time
    return adapter


def _ingest_recognised(
    con: duckdb.DuckDBPyConnection,
    hashed: list[tuple[InputFile, str]],
    results: list[SourceResult],
    adapters: dict[str, ResolvedAdapter],
    stored: tuple[str, ...],
    progress: Progress | None,
) -> None:
    """Read every recognised file into the staging tables; a file that cannot be mapped is
    marked failed and the others still load."""
    for (source, _), result in zip(hashed, results, strict=True):
        adapter = adapters.get(result.source_id)
        if adapter is None:
            continue
        _say(progress, f"[{result.file_order}/{len(hashed)}] reading {source.path}")
        try:
            _ingest_one(con, source, adapter, result, stored)
        except IngestError as exc:
            result.status = "failed"
            result.note = str(exc)
            _say(progress, f"  failed: {exc}")
            continue
        _say(
            progress,
            f"  {adapter.format_name} ({adapter.variant}): {result.rows_read:,} rows read",
        )


def _record_rules(results: list[SourceResult], adapters: dict[str, ResolvedAdapter]) -> None:
    """Each file's duplicate rule and revenue rule, for source_order and the ledger."""
    for result in results:
        adapter = adapters.get(result.source_id)
        result.duplicates = adapter.duplicates if adapter else ""
        result.revenue_rule = adapter.revenue_rule if adapter else ""


def line_unit(source: InputFile, adapter: ResolvedAdapter) -> str:
    """What a rejected row's line number counts in ``source``, as messages say it."""
    if adapter.explode is not None:
        return "row"
    return "record" if source.container in ("parquet", "ndjson") else "line"


def stored_event_columns(adapters: Iterable[ResolvedAdapter]) -> tuple[str, ...]:
    """Canonical columns at least one of ``adapters`` can fill, in canonical order.

    The key columns are always stored, so the duplicate check and the marts can rely on
    them even when no source fills one.
    """
    fillable = set(DEDUP_HASH_KEY) | set(ALWAYS_STORED)
    for adapter in adapters:
        fillable |= set(EVENT_COLUMN_NAMES) - adapter.null_outputs
    return tuple(
        c for c in EVENT_COLUMN_NAMES if c in fillable or c in ("source_id", "source_line")
    )


def create_event_rows(con: duckdb.DuckDBPyConnection, stored: tuple[str, ...]) -> None:
    """The physical events table of a build: stored columns, event_date, reject columns."""
    types = dict(EVENT_COLUMNS)
    columns = [f"{quote_ident(c)} {types[c]}" for c in stored]
    columns[1:1] = ["event_date DATE"]
    columns += ["reject_column VARCHAR", "reject_reason VARCHAR"]
    con.execute(f"CREATE TABLE event_rows ({', '.join(columns)})")


def create_events_view(con: duckdb.DuckDBPyConnection, stored: tuple[str, ...]) -> None:
    """``events``: every canonical column, NULL where no source of this build fills it."""
    types = dict(EVENT_COLUMNS)
    select = []
    for name in EVENT_COLUMN_NAMES:
        ident = quote_ident(name)
        select.append(ident if name in stored else f"NULL::{types[name]} AS {ident}")
        if name == "event_time":
            select.append("event_date")
    con.execute(f"CREATE VIEW events AS SELECT {', '.join(select)} FROM event_rows")


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    source: InputFile,
    adapter: ResolvedAdapter,
    result: SourceResult,
    stored: tuple[str, ...],
) -> None:
    relation, raw, rows_read = _open_raw(con, source, adapter)
    result.rows_read = rows_read
    result.lines_read = raw.lines_read
    if adapter.null_columns:
        # Optional columns the file lacks become typed NULLs so one adapter fits every variant.
        extra = ", ".join(f"NULL::VARCHAR AS {quote_ident(c)}" for c in adapter.null_columns)
        con.execute(f"CREATE OR REPLACE TEMP VIEW raw_padded AS SELECT *, {extra} FROM {relation}")
        relation = "raw_padded"
    sql = adapter.sql.replace("FROM raw_source", f"FROM {relation}")
    if raw.rejects:
        con.executemany(
            "INSERT INTO staged_rejects VALUES (?, ?, ?, ?, ?)",
            [[result.source_id, r.line, r.column, r.reason, r.raw] for r in raw.rejects],
        )
    params = {"source_id": result.source_id, **adapter.params}
    if adapter.grain == "event":
        target = "event_rows"
        wanted = ", ".join(quote_ident(c) for c in stored)
        stored_rows = fill_slots(load_sql("stored_event_rows"), {"stored_columns": wanted})
        sql = with_relations(stored_rows, {"adapted_rows": sql})
    else:
        # The session adapter returns the staging table's columns, matched by name.
        target = "staged_session_aggregates"
    try:
        insert_into(con, target, sql=sql, params=params)
    except duckdb.Error as exc:
        raise IngestError(
            source.path, f"could not be mapped as {adapter.format_name}: {exc}"
        ) from None
    if adapter.date_order is not None:
        _check_date_order(con, adapter.date_order, relation, result)
    # Rejected rows keep their raw values, so nothing is lost and the reason can be checked.
    has_rejects = rows(
        con,
        f"SELECT count(*) FROM {target} WHERE source_id = $source_id AND reject_reason IS NOT NULL",
        {"source_id": result.source_id},
    )[0][0]
    if not has_rejects:
        return
    relations = {
        "adapted_rows": f"SELECT * FROM {target}",
        "raw_rows": f"SELECT * FROM {relation}",
    }
    rejected = with_relations(load_sql("rejected_source_rows"), relations)
    insert_into(con, "staged_rejects", sql=rejected, params={"source_id": result.source_id})


def _check_date_order(
    con: duckdb.DuckDBPyConnection, check: dict[str, Any], relation: str, result: SourceResult
) -> None:
    """Warn (in the ledger note and the build's warnings) when the file's data speaks
    against the day/month order of its mapping's time format."""
    sql = load_sql("date_order_evidence")
    sql = sql.replace("{event_time}", check["event_time"]).replace(
        "{session_id}", check["session_id"]
    )
    sql = with_relations(sql, {"raw_rows": f"SELECT * FROM {relation}"})
    params = {"formats": list(check["formats"]), "swapped": list(check["swapped"])}
    evidence = tuple(int(v) for v in rows(con, sql, params)[0])
    warning = date_order_warning(check["formats"], check["swapped"], evidence)
    if warning is not None:
        result.note = f"{result.note}; {warning}" if result.note else warning


def _open_raw(
    con: duckdb.DuckDBPyConnection,
    source: InputFile,
    adapter: ResolvedAdapter,
    *,
    every_column: bool = False,
) -> tuple[str, RawLoad, int]:
    """Read ``source`` as the adapter needs it: the relation its SQL reads, the raw load
    and the rows read (after exploding a list column, one row per element).

    ``every_column`` also reads the columns the adapter does not use, under names that
    cannot collide with its own (for judging duplicates and keeping their raw values)."""
    column_map = dict(adapter.column_map)
    if every_column:
        column_map.update(_unused_columns(adapter))
    raw = load_raw(con, source, column_map, delimiter=adapter.delimiter, header=adapter.header)
    if adapter.explode is None:
        return RAW, raw, raw.rows_read
    create_table(con, "raw_exploded", sql=explode_sql(adapter.explode), temp=True)
    exploded = int(rows(con, "SELECT count(*) FROM raw_exploded")[0][0])
    return "raw_exploded", raw, exploded


def _unused_columns(adapter: ResolvedAdapter) -> dict[str, str]:
    """The file's columns the adapter does not read → a raw name for each: its own name,
    or ``source:<name>`` where that would clash (DuckDB names ignore case)."""
    taken = {n.lower() for n in adapter.column_map.values()} | {"line", "record", "element"}
    unused: dict[str, str] = {}
    for column in adapter.header:
        if column in adapter.column_map or column in unused:
            continue
        name = column if column.lower() not in taken else f"source:{column}"
        taken.add(name.lower())
        unused[column] = name
    return unused


def _derive_sessions_and_dedupe(
    con: duckdb.DuckDBPyConnection,
    options: BuildOptions,
    progress: Progress | None,
    stored: tuple[str, ...],
    inputs: list[tuple[InputFile, ResolvedAdapter, str]],
) -> None:
    unsessioned = rows(
        con,
        "SELECT count(*) FROM event_rows WHERE session_id IS NULL AND reject_reason IS NULL",
    )[0][0]
    if unsessioned:
        _say(
            progress,
            f"deriving sessions for {unsessioned:,} events"
            f" by a {options.session_gap_minutes}-minute gap",
        )
        run(con, "derive_sessions", {"gap_minutes": options.session_gap_minutes})
    _say(progress, "looking for duplicate rows")
    key = ", ".join(quote_ident(c) for c in DEDUP_KEY if c in stored)
    hash_key = ", ".join(quote_ident(c) for c in DEDUP_HASH_KEY)
    repeated = load_sql("repeated_hashes").replace("{hash_key}", hash_key)
    create_table(con, "repeated_hashes", sql=repeated, temp=True)
    if not rows(con, "SELECT count(*) FROM repeated_hashes")[0][0]:
        return  # duplicate_rows stays the empty table the staging step created
    candidates = load_sql("duplicate_candidates")
    candidates = candidates.replace("{dedup_key}", key).replace("{hash_key}", hash_key)
    create_table(con, "duplicate_candidates", sql=candidates, temp=True)
    if not rows(con, "SELECT count(*) FROM duplicate_candidates")[0][0]:
        return
    for source, adapter, source_id in inputs:
        _stage_candidate_lines(con, source, adapter, source_id)
    create_table(con, "duplicate_rows", temp=True)
    insert_into(con, "staged_rejects", "duplicate_rejects")


def _stage_candidate_lines(
    con: duckdb.DuckDBPyConnection, source: InputFile, adapter: ResolvedAdapter, source_id: str
) -> None:
    """Re-read one file that holds duplicate candidates (rare: most builds have none) with
    every column, and keep the candidates' raw values and the hash of the columns their
    canonical values do not capture."""
    if not rows(
        con,
        "SELECT count(*) FROM duplicate_candidates WHERE source_id = $sid",
        {"sid": source_id},
    )[0][0]:
        return
    relation, _, _ = _open_raw(con, source, adapter, every_column=True)
    line_hash = "0"
    if adapter.duplicates == "identical-lines":
        described = rows(con, f"DESCRIBE SELECT * FROM {relation}")
        # Columns read as plain values are already compared as canonical values (so the same
        # line in a CSV and a Parquet file is still one line); the rest are compared raw.
        scalar = {n for n, t, *_ in described if not _is_nested(str(t))}
        mapped = set(adapter.column_map.values())
        compared = sorted(
            n
            for n, *_ in described
            if n not in ("line", "record", "element") and not (n in mapped and n in scalar)
        )
        if compared:
            line_hash = f"hash({', '.join(quote_ident(n) for n in compared)})"
    sql = load_sql("candidate_lines").replace("{line_hash}", line_hash)
    sql = with_relations(sql, {"raw_rows": f"SELECT * FROM {relation}"})
    insert_into(con, "candidate_lines", sql=sql, params={"source_id": source_id})


def _is_nested(duckdb_type: str) -> bool:
    return duckdb_type.endswith("]") or duckdb_type.startswith(("STRUCT(", "MAP(", "UNION("))


def _account(con: duckdb.DuckDBPyConnection, results: list[SourceResult]) -> None:
    rejected = dict(rows(con, load_sql("rejected_line_counts")))
    for r in results:
        if r.status != "loaded":
            continue
        r.rows_rejected = int(rejected.get(r.source_id, 0))
        r.rows_loaded = r.rows_read - r.rows_rejected
        if r.rows_loaded == 0 and r.rows_read:
            r.note = "every row was rejected; see rejected_rows"


def _nothing_loaded_message(con: duckdb.DuckDBPyConnection, sources: list[SourceResult]) -> str:
    lines = ["no rows could be loaded from any input; the warehouse was not changed."]
    for s in sources:
        if s.status != "loaded":
            lines.append(f"  {s.note}")
            continue
        lines.append(f"  {s.path}: all {s.rows_read:,} rows rejected, for example:")
        examples = rows(
            con, load_sql("staged_reject_examples"), {"source_id": s.source_id, "limit": 5}
        )
        for line, column, reason in examples:
            col = f", column {column!r}" if column else ""
            lines.append(f"    {s.path}, {s.line_unit} {line}{col}: {reason}")
    return "\n".join(lines)


def _build_marts(
    con: duckdb.DuckDBPyConnection,
    sources: list[SourceResult],
    stored: tuple[str, ...],
    build_id: str,
    fingerprint: str,
    options: BuildOptions,
) -> None:
    run(con, "events")
    create_events_view(con, stored)
    shared = dict(rows(con, load_sql("shared_sessions")))
    for source in sources:
        source.shared_sessions = int(shared.get(source.source_id, 0))
    write_ledger(con, sources)
    create_table(con, "rejected_rows")
    for name in MART_TABLES:
        create_table(con, name)
    capabilities = write_capabilities(con, sources)
    create_table(
        con,
        "build_info",
        params={
            "build_id": build_id,
            "version": __version__,
            "duckdb": duckdb.__version__,
            "fingerprint": fingerprint,
            "gap": options.session_gap_minutes,
            "capabilities": json.dumps(capabilities),
            "currency": stated_currency(sources),
        },
    )
    for temp in (
        "staged_session_aggregates",
        "staged_rejects",
        "duplicate_rows",
        "duplicate_candidates",
        "candidate_lines",
    ):
        con.execute(f"DROP TABLE IF EXISTS {temp}")


def stated_currency(sources: list[SourceResult]) -> str | None:
    """The currency every loaded source states its money in; ``None`` when one states none
    or they disagree (the dashboard then falls back to ``--currency``)."""
    stated = {
        FORMATS[s.format].currency if s.format in FORMATS else None
        for s in sources
        if s.status == "loaded"
    }
    return stated.pop() if len(stated) == 1 else None


def current_build(db_path: Path) -> dict[str, Any] | None:
    """The build_info row of the warehouse at ``db_path``, or ``None`` if there is none."""
    if not db_path.exists():
        return None
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        result = con.sql(load_sql("current_build")).pl().to_dicts()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return result[0] if result else None
