"""Derived versions add tables without touching the file readers hold."""

from __future__ import annotations

import os

import pytest

from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS
from tests.support.warehouses import query
from warehouse.reader import WarehouseReader
from warehouse.versions import derived_version


def test_derived_version_adds_a_table_and_swaps_atomically(write_file, build, tmp_path):
    log = write_file("log.csv", "\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n")
    first = build(log)
    db = tmp_path / "w.duckdb"
    reader = WarehouseReader(db)
    assert reader.rows("SELECT count(*) FROM sessions") == [(5,)]
    with derived_version(db, "scores") as con:
        con.execute("CREATE TABLE session_scores AS SELECT session_id, 0.5 AS p FROM sessions")
    assert os.readlink(db).endswith("-scores.duckdb")
    assert first.version_path.exists()
    assert query(db, "SELECT count(*) FROM session_scores") == [(5,)]
    assert reader.rows("SELECT count(*) FROM session_scores") == [(5,)]
    assert reader.build_id() == first.build_id  # same build, more tables
    reader.close()


def test_a_failed_derivation_leaves_the_current_version(write_file, build, tmp_path):
    log = write_file("log.csv", "\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n")
    first = build(log)
    db = tmp_path / "w.duckdb"
    with pytest.raises(RuntimeError), derived_version(db, "scores") as con:
        con.execute("CREATE TABLE half AS SELECT 1")
        raise RuntimeError("model failed")
    assert os.readlink(db) == first.version_path.name
    assert not list(tmp_path.glob("*-scores.duckdb"))
