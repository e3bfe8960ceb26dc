"""The one cache of the build being served: query results, what-if engines, warehouse shapes.

Every key includes the real path of the build file the ``--db`` link points at, so a
rebuild (a new file) can never serve a stale value: the first request after a swap misses
and recomputes. Two kinds of entry:

- :meth:`BuildCache.get`: results of read-only queries, least recently used first out, and
  forgotten after a time limit;
- :meth:`BuildCache.keep`: what is costly to make and valid for the whole build (the
  what-if engine: loading refits scikit-learn models, 11 s for a random forest on the
  100k-customer benchmark; the warehouse shape): no time limit, dropped when the build
  changes.

Per process; each worker keeps its own. :func:`for_reader` gives the cache of a reader, so
analytics reaches the same cache the dashboard attached (:func:`attach`) without Dash.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from warehouse.reader import WarehouseReader

T = TypeVar("T")
Key = tuple[str, str, tuple[Hashable, ...]]


class BuildCache:
    """Per-build results (least-recently-used, with a time limit) and per-build resources."""

    def __init__(self, db_path: Path, *, max_entries: int = 2048, ttl_seconds: float = 600) -> None:
        self.db_path = Path(db_path)
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Key, tuple[float, Any]] = OrderedDict()
        self._kept: dict[Key, Any] = {}
        self._lock = threading.Lock()
        # One computation per key at a time: when sixteen users open the same cold view,
        # one computes and fifteen wait for its result instead of sixteen computing it.
        self._inflight: dict[Key, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, name: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The cached result of ``compute`` for (build, name, args), computing it on a miss."""
        return self._cached(name, args, compute, kept=False)

    def keep(self, name: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """Like :meth:`get`, but kept for as long as the build is served (no time limit)."""
        return self._cached(name, args, compute, kept=True)

    def _cached(
        self, name: str, args: tuple[Hashable, ...], compute: Callable[[], T], *, kept: bool
    ) -> T:
        try:
            build = os.path.realpath(self.db_path, strict=True)
        except OSError:
            return compute()  # no warehouse: let the caller's error surface
        key: Key = (build, name, args)
        found = self._lookup(key, kept)
        if found is not None:
            return found[0]  # type: ignore[no-any-return]
        with self._lock:
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            found = self._lookup(key, kept)  # computed by another thread while we waited
            if found is not None:
                return found[0]  # type: ignore[no-any-return]
            try:
                value = compute()
                self._store(key, value, kept)
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
        return value

    def _lookup(self, key: Key, kept: bool) -> tuple[Any] | None:
        with self._lock:
            if kept:
                if key in self._kept:
                    self.hits += 1
                    return (self._kept[key],)
                return None
            found = self._entries.get(key)
            if found is not None and time.monotonic() - found[0] < self.ttl_seconds:
                self._entries.move_to_end(key)
                self.hits += 1
                return (found[1],)
        return None

    def _store(self, key: Key, value: Any, kept: bool) -> None:
        with self._lock:
            self.misses += 1
            if kept:
                # One build is served at a time: what was kept for another is useless.
                for old in [k for k in self._kept if k[0] != key[0]]:
                    del self._kept[old]
                self._kept[key] = value
                return
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every result and every kept resource."""
        with self._lock:
            self._entries.clear()
            self._kept.clear()


#: The name the dashboard has always used for it.
ResultCache = BuildCache

_BY_READER: weakref.WeakKeyDictionary[WarehouseReader, BuildCache] = weakref.WeakKeyDictionary()
_BY_READER_LOCK = threading.Lock()


def attach(reader: WarehouseReader, cache: BuildCache) -> None:
    """Make ``cache`` the one cache of ``reader`` (the dashboard's, with its time limit)."""
    with _BY_READER_LOCK:
        _BY_READER[reader] = cache


def for_reader(reader: WarehouseReader) -> BuildCache:
    """The cache of ``reader``: the one attached, else one made for it on first use."""
    with _BY_READER_LOCK:
        found = _BY_READER.get(reader)
        if found is None:
            found = _BY_READER[reader] = BuildCache(reader.db_path)
        return found
