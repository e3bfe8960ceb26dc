"""Checks on ``--db`` made before any work, so a wrong path fails at once with the reason."""

from __future__ import annotations

from pathlib import Path

from common.errors import ShopSightError
from dashboard.commands.output import UsageError
from warehouse.errors import WarehouseNotFoundError

# A DuckDB database file has these bytes after its 8-byte header checksum.
_DUCKDB_MAGIC = b"DUCK"


def _refuse_folder(db: Path) -> None:
    if db.is_dir():
        raise UsageError(
            f"--db {db} is a folder; give the warehouse file inside it, "
            f"e.g. --db {db / 'warehouse.duckdb'}"
        )


def existing_warehouse(db: Path) -> Path:
    """``db`` if it is a warehouse file, else the error that says what is there instead."""
    _refuse_folder(db)
    if not db.exists():
        raise WarehouseNotFoundError(db)
    if not db.is_file() or not _is_duckdb_file(db):
        raise WarehouseNotFoundError(db, "not a ShopSight warehouse (not a DuckDB file)")
    return db


def buildable_warehouse(db: Path) -> Path:
    """``db`` if a build may write there: nothing yet, or a link an earlier build made."""
    _refuse_folder(db)
    if db.exists() and not db.is_symlink():
        raise ShopSightError(
            f"{db} is a regular file, not a warehouse link made by shopsight build; "
            "move it away or choose another --db path"
        )
    return db


def _is_duckdb_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError:
        return False
    return header[8:12] == _DUCKDB_MAGIC
