"""The web process's one way into the warehouse.

One read-only connection per process, a cursor per call, results materialised inside the
call, and a reopen when the ``--db`` symlink starts pointing at a new build. DuckDB caches
database instances per path within a process, so reopening the *same* path after a swap
would return the old contents: the reader opens the link's real target instead.

Connections are locked down before any query runs: no access to files outside the
warehouse, no extension loading, configuration frozen, a memory limit.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.engine import load_sql
from warehouse.errors import WarehouseNotFoundError

LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoload_known_extensions = false",
    "SET autoinstall_known_extensions = false",
)


class WarehouseReader:
    """Read-only, swap-aware access to a built warehouse.

    Parameters
    ----------
    db_path
        The ``--db`` path: a symlink that builds repoint atomically.
    memory_limit
        DuckDB memory limit of this process's connection.
    threads
        DuckDB threads for this process's connection (``None``: DuckDB's default).
    """

    def __init__(
        self, db_path: Path | str, *, memory_limit: str = "2GB", threads: int | None = None
    ) -> None:
        self.db_path = Path(db_path)
        self.memory_limit = memory_limit
        self.threads = threads
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._target: str | None = None

    @property
    def target(self) -> str | None:
        """Real path of the build file currently open."""
        return self._target

    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            target = os.path.realpath(self.db_path, strict=True)
        except OSError:
            raise WarehouseNotFoundError(self.db_path) from None
        with self._lock:
            if self._con is None or target != self._target:
                fresh = duckdb.connect(target, read_only=True)
                if not _already_locked(fresh):
                    for statement in LOCKDOWN:
                        fresh.execute(statement)
                    # Quoted as a literal: the value is ours, and SET takes no parameters.
                    fresh.execute(f"SET memory_limit = '{_safe_size(self.memory_limit)}'")
                    if self.threads:
                        fresh.execute(f"SET threads = {int(self.threads)}")
                    fresh.execute("SET lock_configuration = true")
                old, self._con, self._target = self._con, fresh, target
                if old is not None:
                    old.close()
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the current build, for work that streams (close it when done).

        A cursor pins the build it was opened on: a long export stays consistent even if a
        rebuild swaps the link meanwhile.
        """
        return self._connection().cursor()

    def frame(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        """Run a query (values as bound parameters) and return a materialised frame."""
        cursor = self._connection().cursor()
        try:
            relation = cursor.sql(sql, params=params) if params else cursor.sql(sql)
            result: pl.DataFrame = relation.pl()
            return result
        finally:
            cursor.close()

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        cursor = self._connection().cursor()
        try:
            relation = cursor.sql(sql, params=params) if params else cursor.sql(sql)
            return relation.fetchall()
        finally:
            cursor.close()

    def build_id(self) -> str:
        """Id of the build currently served."""
        return str(self.frame(load_sql("current_build"))["build_id"][0])

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
            self._target = None


def _safe_size(value: str) -> str:
    cleaned = value.strip().upper()
    if not cleaned.replace(".", "", 1).rstrip("KMGTIB").isdigit():
        raise ValueError(f"not a memory size: {value!r}")
    return cleaned


def _already_locked(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this database instance was locked down by an earlier reader.

    DuckDB shares one instance per file within a process, so a second reader of the same
    build (a second app in a test, say) gets a connection whose configuration is already
    locked; it must then find the lockdown in place rather than set it again.
    """
    locked, external = con.sql(
        "SELECT current_setting('lock_configuration'), current_setting('enable_external_access')"
    ).fetchall()[0]
    if not locked:
        return False
    if external:
        raise RuntimeError("a warehouse connection in this process is locked but not sandboxed")
    return True
