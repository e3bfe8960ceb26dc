"""Adding tables to the current build without ever writing to the file readers have open.

Scoring writes ``session_scores``, ``customer_scores``, ``segments`` and ``model_runs`` into
the warehouse. Writing into the file a dashboard holds read-only would fail (DuckDB refuses a
read-only open while a writer holds the file), so a derived version is made instead: the
current build file is copied, the tables are written into the copy, and the ``--db`` link is
repointed atomically, exactly as a build does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.build import _prune_old_versions, _remove_quietly, _swap
from warehouse.engine import connect
from warehouse.errors import WarehouseNotFoundError


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
        raise WarehouseNotFoundError(
            f"{db_path}: no warehouse here; build one with `shopsight build --db {db_path} …`"
        )
    current = Path(os.path.realpath(db_path))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = db_path.with_name(f"{db_path.stem}.{stamp}-{label}.duckdb")
    shutil.copyfile(current, target)
    con = connect(target, temp_directory=db_path.with_name(f".{target.stem}.tmp"))
    try:
        yield con
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        _remove_quietly(target)
        _remove_quietly(db_path.with_name(f".{target.stem}.tmp"))
        raise
    con.close()
    _remove_quietly(db_path.with_name(f".{target.stem}.tmp"))
    _swap(db_path, target)
    _prune_old_versions(db_path, keep_seconds=keep_seconds)
