"""The dashboard's result cache never serves a number from a previous build."""

from __future__ import annotations

import os

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
