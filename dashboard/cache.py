"""A small result cache for read-only queries, keyed by the build being served.

The key includes the real path of the build file the ``--db`` link points at, so a rebuild
(a new file) can never serve a stale number: the first request after a swap misses and
recomputes. Per process; each worker keeps its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ResultCache:
    """Least-recently-used results with a time limit."""

    def __init__(self, db_path: Path, *, max_entries: int = 2048, ttl_seconds: float = 600) -> None:
        self.db_path = Path(db_path)
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        # One computation per key at a time: when sixteen users open the same cold view,
        # one computes and fifteen wait for its result instead of sixteen computing it.
        self._inflight: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, name: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The cached result of ``compute`` for (build, name, args), computing it on a miss."""
        try:
            build = os.path.realpath(self.db_path, strict=True)
        except OSError:
            return compute()  # no warehouse: let the caller's error surface
        key = (build, name, args)
        found = self._lookup(key)
        if found is not None:
            return found[0]  # type: ignore[no-any-return]
        with self._lock:
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            found = self._lookup(key)  # computed by another thread while we waited
            if found is not None:
                return found[0]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self.misses += 1
                self._entries[key] = (time.monotonic(), value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
                self._inflight.pop(key, None)
        return value

    def _lookup(self, key: Hashable) -> tuple[Any] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and time.monotonic() - found[0] < self.ttl_seconds:
                self._entries.move_to_end(key)
                self.hits += 1
                return (found[1],)
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
