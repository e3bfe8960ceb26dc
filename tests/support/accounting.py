"""Checks that a built warehouse lost nothing: rows read = loaded + rejected, every CSV row on
lines of its own after the header, and every loaded row in ``events``."""

from __future__ import annotations

from pathlib import Path

from tests.support.fixtures_data import EVENT_LOG_HEADER
from tests.support.warehouses import query


def event_log(*lines: str) -> str:
    """An event-log CSV: the REES46 header, then ``lines``."""
    return "\n".join([EVENT_LOG_HEADER, *lines]) + "\n"


def ledger(db: Path) -> list[tuple[object, ...]]:
    return query(
        db,
        "SELECT path, rows_read, rows_loaded, rows_rejected, status, note "
        "FROM ingest_ledger ORDER BY file_order",
    )


def rejected(db: Path) -> list[tuple[object, ...]]:
    return query(db, "SELECT file, line, column_name, reason, raw FROM rejected_rows ORDER BY line")


def assert_accounted(db: Path) -> None:
    lines = dict(query(db, "SELECT path, lines_read FROM ingest_ledger"))
    for path, read, loaded, rejected_count, status, _ in ledger(db):
        if status == "loaded":
            assert read == loaded + rejected_count, path
            if ".csv" in str(path):  # every row on at least one line of its own, after the header
                assert lines[path] is not None and lines[path] >= 1 + read, path
            else:
                assert lines[path] is None, path
            events = query(
                db,
                "SELECT count(*) FROM events e JOIN ingest_ledger l USING (source_id) "
                "WHERE l.path = $p",
                {"p": path},
            )[0][0]
            assert events == loaded
