"""Domain exceptions whose messages are fit to show a user as they are.

Every ingest problem names the file, and the line and column where there is one, so the
person fixing the file knows where to look without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path

from common.errors import ShopSightError


class IngestError(ShopSightError):
    """A file could not be read or mapped onto the canonical event model."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.detail = message
        where = str(self.path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class UnknownHeaderError(IngestError):
    """No known format matches the file's header."""


class MissingColumnError(IngestError):
    """The header matches a known format except for required columns."""


class EmptyInputError(IngestError):
    """The file holds no bytes, or a header and no data rows."""


class NothingLoadedError(ShopSightError):
    """Every row of every input was rejected, so no warehouse was written."""


class WarehouseNotFoundError(ShopSightError):
    """The --db path does not point at a built warehouse.

    ``detail`` says what is wrong when something is there but it is not a warehouse; the
    default is the one "nothing here yet" message every surface shows.
    """

    def __init__(self, db_path: Path | str, detail: str | None = None) -> None:
        self.db_path = Path(db_path)
        self.detail = detail or (
            f"no warehouse here; build one with `shopsight build` (--db {db_path} INPUT…) "
            "or run `shopsight demo`"
        )
        super().__init__(f"{db_path}: {self.detail}")
