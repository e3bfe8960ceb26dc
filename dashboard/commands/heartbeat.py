"""Progress lines that keep coming while a long step says nothing.

A training step can fit one model for many seconds without a word (the demo's log was silent
for 44 s at a time, issue 11); :class:`Heartbeat` repeats the last message with the time
spent on it whenever the step has been quiet for ``every`` seconds, so a watcher can tell
slow from stuck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

Progress = Callable[[str], None]


class Heartbeat:
    """A progress callback that forwards each message and, in between, a heartbeat."""

    def __init__(self, say: Progress, every: float = 3.0) -> None:
        self._say = say
        self._every = every
        self._lock = threading.Lock()
        self._message = "working"
        self._since = time.perf_counter()
        self._last_line = self._since
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shopsight-heartbeat", daemon=True)

    def __call__(self, message: str) -> None:
        with self._lock:
            now = time.perf_counter()
            self._message, self._since, self._last_line = message, now, now
            self._say(message)

    def _run(self) -> None:
        while not self._stop.wait(min(0.25, self._every / 4)):
            with self._lock:
                now = time.perf_counter()
                if now - self._last_line >= self._every:
                    self._last_line = now
                    self._say(f"{self._message} … still working ({now - self._since:.0f} s)")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
