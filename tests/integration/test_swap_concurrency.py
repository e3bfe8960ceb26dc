"""A second process querying the warehouse in a loop during rebuilds sees no failed query."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS

READER_LOOP = r"""
import json, sys, time
from warehouse.reader import WarehouseReader

db, stop_file = sys.argv[1], sys.argv[2]
reader = WarehouseReader(db)
queries = failures = 0
seen = []
errors = []
import os
while not os.path.exists(stop_file):
    try:
        build_id = reader.build_id()
        count = reader.rows("SELECT count(*) FROM sessions JOIN customers USING (customer_id)")
        assert count[0][0] > 0
        if not seen or seen[-1] != build_id:
            seen.append(build_id)
        queries += 2
    except Exception as exc:
        failures += 1
        errors.append(repr(exc))
print(json.dumps({"queries": queries, "failures": failures, "seen": seen, "errors": errors[:5]}))
"""


# Slow: repeated rebuilds under a second reading process.
@pytest.mark.slow
def test_rebuilds_under_a_reading_process_fail_no_query(write_file, build, tmp_path):
    many = []
    for copy in range(40):  # a few thousand rows so each build takes a moment
        many += [line.replace(",u", f",c{copy}u").replace(",s", f",c{copy}s") for line in EVENTS]
    log = write_file("log.csv", "\n".join([EVENT_LOG_HEADER, *many]) + "\n")
    first = build(log)
    db = tmp_path / "w.duckdb"
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_LOOP, str(db), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        time.sleep(1.0)
        build_ids = [first.build_id]
        for _ in range(4):
            build_ids.append(build(log, force=True).build_id)
            time.sleep(0.3)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    report = json.loads(out)
    assert report["failures"] == 0, report["errors"]
    assert report["queries"] > 50
    assert report["seen"][-1] == build_ids[-1], "the reader serves the newest build"
    assert set(report["seen"]) <= set(build_ids)
