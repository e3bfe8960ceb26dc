"""The records of an export: what was asked (:class:`ExportRequest`), what it wrote
(:class:`ExportResult`) and what it says about itself (:class:`Provenance`), with the errors
that refuse one."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from analytics.cohort import Cohort
from common.errors import ShopSightError

Entity = Literal["customers", "sessions"]
Format = Literal["csv", "parquet", "xlsx"]
ENTITIES: tuple[Entity, ...] = ("customers", "sessions")
FORMATS: tuple[Format, ...] = ("csv", "parquet", "xlsx")
ID_COLUMNS: dict[str, str] = {"customers": "customer_id", "sessions": "session_id"}
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HOLDOUT_COLUMN = "holdout"
HOLDOUT_METHOD = (
    "holdout = int(md5('<seed>:<id>')[:8], 16) / 2**32 < share: a seeded hash of the id, "
    "not a random draw"
)


class ExportError(ShopSightError):
    """An export cannot be made as asked (the message says why and what to do instead)."""


class ExportTooLargeError(ExportError):
    """The cohort has more rows than the chosen format can hold (Excel's sheet limit)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export.

    Parameters
    ----------
    cohort
        The filters (the page's URL query string, parsed).
    entity
        ``"customers"`` (one row per customer, with score columns when the build has
        scores) or ``"sessions"`` (one row per session of the cohort).
    fmt
        ``"csv"``, ``"parquet"`` or ``"xlsx"``.
    holdout_share
        When set, a boolean ``holdout`` column marks about this share of the rows as a
        control group (``0 <= share < 1``). See :func:`analytics.export.holdout_flag`.
    holdout_seed
        Seed of the hold-out hash: the same list and seed give the same control group.
    user
        Who asked, for the provenance record.
    """

    cohort: Cohort
    entity: Entity = "customers"
    fmt: Format = "csv"
    holdout_share: float | None = None
    holdout_seed: int = 0
    user: str | None = None
    #: The money columns' currency as the caller knows it (``{"code", "source"}``), or None.
    currency: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ExportError(f"cannot export {self.entity!r}; choose one of {', '.join(ENTITIES)}")
        if self.fmt not in FORMATS:
            raise ExportError(
                f"unknown export format {self.fmt!r}; choose one of {', '.join(FORMATS)}"
            )
        share = self.holdout_share
        if share is not None and (
            isinstance(share, bool)
            or not isinstance(share, int | float)
            or not math.isfinite(share)
            or not 0.0 <= share < 1.0
        ):
            raise ExportError(
                f"hold-out share {share!r} must be a number from 0 up to (not including) 1"
            )
        seed = self.holdout_seed
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ExportError(f"hold-out seed {seed!r} must be a whole number from 0 to 2**63 - 1")
        if self.user is not None and len(self.user) > 200:
            raise ExportError("user name longer than 200 characters")


@dataclass(frozen=True)
class Filters:
    """The cohort of an export: its query string and its description in words."""

    query: str
    description: list[str]


@dataclass(frozen=True)
class Holdout:
    """The control group of an export: column, share, seed, the exact row count, the rule."""

    column: str
    share: float
    seed: int
    rows: int
    method: str = HOLDOUT_METHOD


NO_CURRENCY = "no currency stated: money is in the shop's own unit (set one with --currency)"


@dataclass
class Provenance:
    """Where an export came from; written as the sidecar, the Parquet footer, the workbook's
    "about" sheet and the export log, always through :meth:`document`.

    ``rows`` is the count at the start; the writers set it to the rows written, and
    ``file_sha256`` / ``file_bytes`` once the file is complete.
    """

    shopsight_version: str
    created_at: str
    user: str | None
    entity: str
    format: str
    file: str
    filters: Filters
    rows: int
    holdout: Holdout | None
    build_id: str
    warehouse_file: str | None
    model_versions: dict[str, list[str]] | str
    columns: dict[str, str]
    order: str
    sql_sha256: str
    neutralised: str
    #: Each exported model-derived column's verdict (analytics.model_verdicts), so a number
    #: from a weak model says so in the file's own record.
    model_verdicts: dict[str, Any] | str = "no exported column comes from a trained model"
    #: The money columns' currency and where it comes from (the data, or --currency).
    currency: dict[str, str] | str = NO_CURRENCY
    file_sha256: str | None = None
    file_bytes: int | None = None

    def document(self) -> dict[str, Any]:
        """The JSON document (a fresh dict); the file checksum keys only once known."""
        document = dataclasses.asdict(self)
        for late in ("file_sha256", "file_bytes"):
            if document[late] is None:
                del document[late]
        return document


@dataclass
class ExportResult:
    """What an export wrote: rows, the provenance document and, from a file export, paths."""

    rows: int
    provenance: dict[str, Any]
    path: Path | None = None
    sidecar: Path | None = None


__all__ = [
    "CONTENT_TYPES",
    "ENTITIES",
    "FORMATS",
    "HOLDOUT_COLUMN",
    "HOLDOUT_METHOD",
    "ID_COLUMNS",
    "Entity",
    "ExportError",
    "ExportRequest",
    "ExportResult",
    "ExportTooLargeError",
    "Filters",
    "Format",
    "Holdout",
    "Provenance",
]
