"""The known input formats, recognised by their header.

A format is a set of header *variants* (the same data under different column names, such as
the UCI clickstream and its renamed train/test split) plus one adapter SQL file that maps the
variant's columns, renamed to the format's internal names, onto canonical events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from warehouse.errors import MissingColumnError, UnknownHeaderError
from warehouse.schema import REES46_COLUMNS, SESSION_AGGREGATE_COLUMNS


@dataclass(frozen=True)
class Variant:
    """One header layout of a format: source column name → internal column name."""

    name: str
    columns: dict[str, str]
    optional: frozenset[str] = field(default_factory=frozenset)

    @property
    def required(self) -> set[str]:
        return set(self.columns) - set(self.optional)


@dataclass(frozen=True)
class FormatSpec:
    """A known source format and how it maps onto the warehouse."""

    name: str
    description: str
    variants: tuple[Variant, ...]
    adapter_sql: str
    grain: Literal["event", "session"] = "event"
    has_clock_time: bool = True
    # The ISO 4217 currency the source states its money in, where it states one.
    currency: str | None = None


def _identity(*names: str) -> dict[str, str]:
    return {n: n for n in names}


UCI_INTERNAL = tuple(
    """year month day sequence country_code session_id main_category clothing_model
    colour_code location_code photo_code price price_level page""".split()
)

FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            name="uci-clickstream",
            description="UCI 553 e-shop clothing 2008 clickstream (browse-only, ';'-separated)",
            variants=(
                Variant(
                    "uci-553",
                    dict(
                        zip(
                            (
                                "year",
                                "month",
                                "day",
                                "order",
                                "country",
                                "session ID",
                                "page 1 (main category)",
                                "page 2 (clothing model)",
                                "colour",
                                "location",
                                "model photography",
                                "price",
                                "price 2",
                                "page",
                            ),
                            UCI_INTERNAL,
                            strict=True,
                        )
                    ),
                ),
                Variant(
                    "train-test-split",
                    dict(
                        zip(
                            (
                                "year",
                                "month",
                                "day",
                                "order",
                                "country",
                                "session_id",
                                "page1_main_category",
                                "page2_clothing_model",
                                "colour",
                                "location",
                                "model_photography",
                                "price",
                                "price_2",
                                "page",
                            ),
                            UCI_INTERNAL,
                            strict=True,
                        )
                    ),
                ),
            ),
            adapter_sql="adapt_uci_clickstream",
            has_clock_time=False,
        ),
        FormatSpec(
            name="event-log",
            description="REES46 / OTTO-style event rows (view, cart, remove_from_cart, purchase)",
            variants=(
                Variant(
                    "rees46",
                    _identity(*REES46_COLUMNS),
                    optional=frozenset({"category_id", "category_code", "brand"}),
                ),
            ),
            adapter_sql="adapt_event_log",
        ),
        FormatSpec(
            name="ga4-export",
            description="GA4 BigQuery export (Parquet or newline-delimited JSON)",
            variants=(
                Variant(
                    "bigquery-export",
                    _identity(
                        "event_timestamp",
                        "event_name",
                        "event_params",
                        "user_pseudo_id",
                        "items",
                        "ecommerce",
                        "device",
                        "geo",
                        "traffic_source",
                    ),
                ),
            ),
            adapter_sql="adapt_ga4_export",
            # The adapter reads the export's *_in_usd columns: GA converts to US dollars.
            currency="USD",
        ),
        FormatSpec(
            name="online-retail",
            description="Order lines: UCI Online Retail (352) and Online Retail II (502)",
            variants=(
                Variant(
                    "online-retail",
                    dict(
                        zip(
                            (
                                "InvoiceNo",
                                "StockCode",
                                "Description",
                                "Quantity",
                                "InvoiceDate",
                                "UnitPrice",
                                "CustomerID",
                                "Country",
                            ),
                            (
                                "invoice",
                                "stock_code",
                                "description",
                                "quantity",
                                "invoice_date",
                                "unit_price",
                                "customer_id",
                                "country",
                            ),
                            strict=True,
                        )
                    ),
                    optional=frozenset({"Description", "Country"}),
                ),
                Variant(
                    "online-retail-ii",
                    dict(
                        zip(
                            (
                                "Invoice",
                                "StockCode",
                                "Description",
                                "Quantity",
                                "InvoiceDate",
                                "Price",
                                "Customer ID",
                                "Country",
                            ),
                            (
                                "invoice",
                                "stock_code",
                                "description",
                                "quantity",
                                "invoice_date",
                                "unit_price",
                                "customer_id",
                                "country",
                            ),
                            strict=True,
                        )
                    ),
                    optional=frozenset({"Description", "Country"}),
                ),
            ),
            adapter_sql="adapt_online_retail",
        ),
        FormatSpec(
            name="online-shoppers",
            description="UCI 468 Online Shoppers Purchasing Intention: one row per session",
            variants=(
                Variant(
                    "uci-468",
                    {src: src for src, _, _ in SESSION_AGGREGATE_COLUMNS},
                ),
            ),
            adapter_sql="adapt_online_shoppers",
            grain="session",
            has_clock_time=False,
        ),
    )
}


# File suffixes whose header is not a line of text (see warehouse.sources).
_NO_HEADER_LINE = frozenset({".parquet", ".pq", ".ndjson", ".jsonl", ".json"})


@dataclass(frozen=True)
class Detection:
    spec: FormatSpec
    variant: Variant


def _norm(name: str) -> str:
    return name.strip().lower()


def match_variant(spec: FormatSpec, header: list[str]) -> tuple[Variant, set[str]]:
    """Best variant of ``spec`` for ``header`` and the required columns it lacks."""
    present = {_norm(h) for h in header}
    best: tuple[Variant, set[str]] | None = None
    for variant in spec.variants:
        missing = {c for c in variant.required if _norm(c) not in present}
        if best is None or len(missing) < len(best[1]):
            best = (variant, missing)
    assert best is not None
    return best


def resolve_columns(variant: Variant, header: list[str]) -> dict[str, str]:
    """Map the file's actual column names (any case) to internal names, for present columns."""
    by_norm = {_norm(h): h for h in header}
    return {
        by_norm[_norm(src)]: internal
        for src, internal in variant.columns.items()
        if _norm(src) in by_norm
    }


def detect(path: Path, header: list[str], explicit: str | None = None) -> Detection:
    """Recognise the format of a file from its header.

    An explicit ``--format`` wins over detection, but its required columns must still be
    present. A header that is close to one format (at least half of its required columns)
    gets a "missing column" error naming what is missing; anything else gets an "unknown
    header" error listing what each format expects.
    """
    if explicit is not None:
        if explicit not in FORMATS:
            raise UnknownHeaderError(
                path, f"unknown --format {explicit!r}; known formats: {', '.join(FORMATS)}"
            )
        candidates = [FORMATS[explicit]]
    else:
        candidates = list(FORMATS.values())

    scored = []
    for spec in candidates:
        variant, missing = match_variant(spec, header)
        if not missing:
            return Detection(spec, variant)
        scored.append((len(missing) / max(len(variant.required), 1), spec, variant, missing))
    scored.sort(key=lambda item: item[0])
    share_missing, spec, variant, missing = scored[0]
    # The header is line 1 of a CSV or a sheet; Parquet and JSON files have no header line.
    suffix = Path(path.name.lower().removesuffix(".gz").removesuffix(".zst")).suffix
    header_line = 1 if suffix not in _NO_HEADER_LINE else None
    if explicit is not None:
        # The user chose the format: it does not "look like" anything, it lacks columns.
        raise MissingColumnError(
            path,
            f"--format {spec.name} ({variant.name}) needs column(s) "
            f"{', '.join(sorted(missing))}, which the file lacks; found: {', '.join(header)}",
            line=header_line,
        )
    if share_missing <= 0.5:
        raise MissingColumnError(
            path,
            f"looks like {spec.name} ({variant.name}) but lacks required column(s) "
            f"{', '.join(sorted(missing))}; found: {', '.join(header)}",
            line=header_line,
        )
    expected = "; ".join(
        f"{s.name}: {', '.join(sorted(s.variants[0].required))}" for s in FORMATS.values()
    )
    hint = ""
    if len(header) == 1:
        hint = (
            " The header has a single column, so the delimiter may be wrong (tried , ; tab and |)."
        )
    raise UnknownHeaderError(
        path,
        f"unknown header: found columns {', '.join(header) or '(none)'}; expected one of "
        f"the known formats ({expected}), or pass --mapping FILE.{hint}",
        line=header_line,
    )
