"""The one build cache (results, what-if engines, warehouse shapes) never serves a value
from a previous build."""

from __future__ import annotations

import os

import pytest

from analytics.build_cache import BuildCache as ResultCache


def test_hits_within_a_build_and_misses_after_a_swap(tmp_path):
    (tmp_path / "w.1.duckdb").write_text("one")
    (tmp_path / "w.2.duckdb").write_text("two")
    link = tmp_path / "w.duckdb"
    os.symlink("w.1.duckdb", link)
    cache = ResultCache(link)
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("count", ("q",), compute) == 1
    assert cache.get("count", ("q",), compute) == 1
    assert cache.get("count", ("other",), compute) == 2
    tmp = tmp_path / "tmp.link"
    os.symlink("w.2.duckdb", tmp)
    os.replace(tmp, link)
    assert cache.get("count", ("q",), compute) == 3
    assert (cache.hits, cache.misses) == (1, 3)


def test_least_recently_used_entries_go_first(tmp_path):
    (tmp_path / "w.1.duckdb").write_text("one")
    link = tmp_path / "w.duckdb"
    os.symlink("w.1.duckdb", link)
    cache = ResultCache(link, max_entries=2)
    cache.get("a", (), lambda: 1)
    cache.get("b", (), lambda: 2)
    cache.get("a", (), lambda: 99)  # touch a
    cache.get("c", (), lambda: 3)  # evicts b
    assert cache.get("a", (), lambda: 0) == 1
    assert cache.get("b", (), lambda: 22) == 22


def test_concurrent_misses_compute_once(tmp_path):
    import threading
    import time

    (tmp_path / "w.1.duckdb").write_text("one")
    link = tmp_path / "w.duckdb"
    os.symlink("w.1.duckdb", link)
    cache = ResultCache(link)
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("kpis", ("",), slow)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8
    assert len(calls) == 1


def test_kept_resources_outlive_the_time_limit_but_not_the_build(tmp_path):
    (tmp_path / "w.1.duckdb").write_text("one")
    (tmp_path / "w.2.duckdb").write_text("two")
    link = tmp_path / "w.duckdb"
    os.symlink("w.1.duckdb", link)
    cache = ResultCache(link, ttl_seconds=0)  # every result expires at once
    loads = []

    def load() -> str:
        loads.append(os.path.realpath(link))
        return f"engine {len(loads)}"

    assert cache.get("kpis", (), lambda: len(loads)) == 0
    assert cache.get("kpis", (), lambda: 99) == 99  # a result: recomputed after its limit
    assert cache.keep("whatif-engine", (), load) == "engine 1"
    assert cache.keep("whatif-engine", (), load) == "engine 1"  # kept: no time limit
    tmp = tmp_path / "tmp.link"
    os.symlink("w.2.duckdb", tmp)
    os.replace(tmp, link)
    assert cache.keep("whatif-engine", (), load) == "engine 2"  # a new build: a new engine
    assert len(cache._kept) == 1  # the old build's engine is let go


def test_analytics_and_the_dashboard_share_the_readers_cache(tmp_path):
    from analytics.build_cache import attach, for_reader
    from warehouse.reader import WarehouseReader

    link = tmp_path / "w.duckdb"
    reader, other = WarehouseReader(link), WarehouseReader(link)
    made = for_reader(reader)
    assert for_reader(reader) is made  # one cache per reader
    assert for_reader(other) is not made
    mine = ResultCache(link, ttl_seconds=5)
    attach(reader, mine)
    assert for_reader(reader) is mine


def test_a_failed_computation_is_not_cached(tmp_path):
    (tmp_path / "w.1.duckdb").write_text("one")
    link = tmp_path / "w.duckdb"
    os.symlink("w.1.duckdb", link)
    cache = ResultCache(link)

    def broken() -> int:
        raise RuntimeError("query failed")

    for _ in range(2):  # the failure reaches each caller; nothing is stored for it
        with pytest.raises(RuntimeError, match="query failed"):
            cache.keep("shape", (), broken)
    assert cache.keep("shape", (), lambda: 7) == 7
