"""Versioned warehouse files and the atomic swap of the ``--db`` link.

The ``--db`` path is a symlink to ``<stem>.<version>.duckdb``. Whatever writes a warehouse, a
build or scoring, writes a new version file, checkpoints and closes it, and only then repoints
the link (``os.replace`` of a temporary link), so a reader sees the old version or the new one,
never a half-written file. The previous version is kept for rollback; older ones are removed
once past a grace period, giving readers that still hold them time to notice the swap.

Scoring adds tables to the current build through :func:`derived_version`: writing into the
file a dashboard holds read-only would fail (DuckDB refuses a read-only open while a writer
holds the file), so the current file is copied and the copy written.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from common.errors import ShopSightError
from warehouse.engine import connect
from warehouse.errors import WarehouseNotFoundError


@contextmanager
def writing_version(
    db_path: Path,
    version_path: Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    keep_seconds: float = 600.0,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to ``version_path``; on success swap it in at ``db_path``.

    On any error the half-written version and its temp folder are removed and the link is
    left where it was.
    """
    temp_dir = version_path.with_name(f".{version_path.stem}.tmp")
    con = connect(version_path, threads=threads, memory_limit=memory_limit, temp_directory=temp_dir)
    try:
        yield con
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        _remove_quietly(version_path)
        _remove_quietly(temp_dir)
        raise
    con.close()
    _remove_quietly(temp_dir)
    _swap(db_path, version_path)
    _prune_old_versions(db_path, keep_seconds=keep_seconds)


@contextmanager
def derived_version(
    db_path: Path | str, label: str, *, keep_seconds: float = 600.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to a copy of the current build; swap it in on success.

    Parameters
    ----------
    db_path
        The ``--db`` link.
    label
        A short word for the file name (``scores``, ``models``), so a listing of the
        folder shows what each version added.
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise WarehouseNotFoundError(db_path)
    current = Path(os.path.realpath(db_path))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = db_path.with_name(f"{db_path.stem}.{stamp}-{label}.duckdb")
    shutil.copyfile(current, target)
    with writing_version(db_path, target, keep_seconds=keep_seconds) as con:
        yield con


def _swap(db_path: Path, version_path: Path) -> None:
    if db_path.exists() and not db_path.is_symlink():
        raise ShopSightError(
            f"{db_path} is a regular file, not a warehouse link made by shopsight build; "
            "move it away or choose another --db path"
        )
    tmp_link = db_path.with_name(f".{db_path.name}.{os.getpid()}.link")
    _remove_quietly(tmp_link)
    # A relative target keeps the folder movable.
    os.symlink(version_path.name, tmp_link)
    os.replace(tmp_link, db_path)


def _prune_old_versions(db_path: Path, keep_seconds: float) -> None:
    """Remove versions older than the previous one once they are past the grace period."""
    current = db_path.resolve().name
    versions = sorted(
        (p for p in db_path.parent.glob(f"{db_path.stem}.*.duckdb") if p.name != current),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    now = time.time()
    for old in versions[1:]:  # versions[0] is the previous build, kept for rollback
        if now - old.stat().st_mtime > keep_seconds:
            _remove_quietly(old)
            _remove_quietly(old.with_name(old.name + ".wal"))


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass
