"""Rebuilds: identical marts from identical input, no-op re-ingest, atomic versioned swap."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS
from tests.support.warehouses import query
from warehouse.build import MART_TABLES
from warehouse.errors import WarehouseNotFoundError
from warehouse.reader import WarehouseReader


@pytest.fixture
def log(write_file) -> Path:
    return write_file("log.csv", "\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n")


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(query(db, f"SELECT * FROM {t}"), key=repr) for t in MART_TABLES}


def test_same_input_built_twice_gives_identical_marts(log, build, tmp_path):
    first = build(log)
    before = snapshot(tmp_path / "w.duckdb")
    second = build(log, force=True)
    assert second.build_id != first.build_id
    assert snapshot(tmp_path / "w.duckdb") == before


def test_rebuilding_unchanged_inputs_is_a_no_op(log, build):
    first = build(log)
    again = build(log)
    assert again.noop and again.build_id == first.build_id


def test_the_same_bytes_twice_are_ingested_once(log, build, tmp_path, write_file):
    copy = write_file("copy/log.csv", log.read_text())
    result = build(log, copy)
    statuses = [(s.status, s.note) for s in result.sources]
    assert statuses[0] == ("loaded", "")
    assert statuses[1][0] == "skipped" and f"same bytes as {log}" in statuses[1][1]
    assert query(tmp_path / "w.duckdb", "SELECT count(*) FROM events") == [(len(EVENTS),)]


def test_db_path_is_a_symlink_to_a_versioned_file_and_the_previous_is_kept(log, build, tmp_path):
    db = tmp_path / "w.duckdb"
    first = build(log)
    assert db.is_symlink() and os.readlink(db) == first.version_path.name
    second = build(log, force=True)
    assert os.readlink(db) == second.version_path.name
    assert first.version_path.exists(), "the previous build is kept for rollback"
    third = build(log, force=True, keep_seconds=0)
    assert not first.version_path.exists(), "older versions go after the grace period"
    assert second.version_path.exists() and third.version_path.exists()


def test_a_regular_file_at_the_db_path_is_not_overwritten(log, build, tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_text("precious")
    with pytest.raises(Exception, match="regular file"):
        build(log)
    assert db.read_text() == "precious"


def test_reader_follows_the_swap_and_is_locked_down(log, build, tmp_path):
    db = tmp_path / "w.duckdb"
    first = build(log)
    reader = WarehouseReader(db)
    assert reader.build_id() == first.build_id
    second = build(log, force=True)
    assert reader.build_id() == second.build_id
    for statement in (
        "SELECT * FROM read_csv('/etc/passwd')",
        f"COPY sessions TO '{tmp_path / 'leak.csv'}'",
        "INSTALL httpfs",
        f"ATTACH '{first.version_path}' AS other",
    ):
        with pytest.raises(duckdb.Error):
            reader.rows(statement)
    with pytest.raises(duckdb.Error):
        reader.rows("SET enable_external_access = true")
    assert reader.rows("SELECT count(*) FROM sessions") == [(5,)]
    reader.close()


def test_reader_without_a_warehouse_says_how_to_build_one(tmp_path):
    with pytest.raises(WarehouseNotFoundError, match="shopsight build"):
        WarehouseReader(tmp_path / "none.duckdb").build_id()


CRASHING_BUILD = """
import os, sys
from warehouse.build import BuildOptions, build_warehouse

def die(message):
    # Killed mid-build, as the kernel's OOM killer or a native abort would: no clean-up runs.
    if message.startswith("building marts"):
        os._exit(134)

build_warehouse(sys.argv[1], [sys.argv[2]], BuildOptions(force=True), progress=die)
"""


def test_a_crashed_build_is_never_the_rollback_target_and_is_removed_next_time(
    log, build, tmp_path
):
    import subprocess
    import sys

    from tests.support.fixtures_data import ROOT
    from warehouse.versions import previous_version

    db = tmp_path / "w.duckdb"
    first = build(log)
    second = build(log, force=True)
    before = set(tmp_path.glob("w.*.duckdb"))
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_BUILD, str(db), str(log)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert crashed.returncode == 134
    (partial,) = set(tmp_path.glob("w.*.duckdb")) - before
    assert os.readlink(db) == second.version_path.name, "the crash left the link alone"
    assert previous_version(db) == first.version_path, "a crashed file is no rollback target"
    # The partial is newer than every real build: choosing by time would keep it.
    assert partial.stat().st_mtime >= second.version_path.stat().st_mtime

    third = build(log, force=True, keep_seconds=0)
    assert not partial.exists(), "the crashed build's file is removed at the next start"
    assert not list(tmp_path.glob(".w.*.tmp")) and not list(tmp_path.glob(".*.writing"))
    assert second.version_path.exists(), "the real previous build is kept"
    assert previous_version(db) == second.version_path
    assert not first.version_path.exists(), "older versions go after the grace period"
    assert os.readlink(db) == third.version_path.name
