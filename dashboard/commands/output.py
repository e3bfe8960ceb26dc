"""Exit codes, progress lines and the usage error the commands share."""

from __future__ import annotations

import sys
import time
from typing import Any

from common.errors import ShopSightError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_STARTED = time.perf_counter()


class UsageError(ShopSightError):
    """The options contradict each other or name something unusable (exit code 2)."""


def progress(message: str) -> None:
    """One timestamped progress line on stderr."""
    print(f"  {time.perf_counter() - _STARTED:7.1f}s  {message}", file=sys.stderr, flush=True)


def bar(done: int, total: int, started: float, label: str) -> None:
    """A progress bar redrawn in place on stderr."""
    width = 30
    filled = int(width * done / max(total, 1))
    elapsed = time.perf_counter() - started
    sys.stderr.write(
        f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} "
        f"({elapsed:,.1f} s)"
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"
