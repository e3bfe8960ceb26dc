"""Every built-in input format keeps the adapter contract of docs/adapters.md.

Parametrised over ``warehouse.formats.FORMATS`` and each of a format's header variants: a
tiny file is written from the variant's own header (never a copy of the real datasets) with
good rows and one deliberately bad row, built, and checked for detection by header, the
canonical output columns and types, row accounting and the bad row's reject record. A new
format without a sample here fails ``test_every_format_has_a_contract_sample``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.warehouses import query
from warehouse.adapters import resolve_builtin
from warehouse.build import build_warehouse
from warehouse.codebook import codebook_rows
from warehouse.engine import run
from warehouse.formats import FORMATS, FormatSpec, Variant
from warehouse.raw import load_raw
from warehouse.schema import CAPABILITIES, EVENT_COLUMNS, SESSION_AGGREGATE_COLUMNS
from warehouse.sources import classify


@dataclass(frozen=True)
class Sample:
    """Rows for one format, keyed by the format's internal column names."""

    suffix: str  # ".csv" (written with ``delimiter``) or ".ndjson"
    good: list[dict[str, Any]]
    bad: dict[str, Any]  # one row an adapter must refuse, written after the first good row
    bad_column: str  # the column the reject names; also the bad value's key in ``bad``
    reason: str  # a fragment of the reject reason
    # What the sample's data supports: the most the format can (docs/adapters.md).
    capabilities: frozenset[str]
    delimiter: str = ","


def _uci(sequence: int, session: int, model: str, **overrides: Any) -> dict[str, Any]:
    row = dict(
        year=2008,
        month=4,
        day=1,
        sequence=sequence,
        country_code=29,
        session_id=session,
        main_category=1,
        clothing_model=model,
        colour_code=3,
        location_code=2,
        photo_code=1,
        price=28,
        price_level=2,
        page=1,
    )
    return row | overrides


def _event(time: str, kind: str, product: str, price: str, user: str, session: str) -> dict:
    return dict(
        event_time=time,
        event_type=kind,
        product_id=product,
        category_id="10",
        category_code="apparel.shoes",
        brand="acme",
        price=price,
        user_id=user,
        user_session=session,
    )


def _ga4(micros: int, name: str, user: str | None, session: int, revenue: float | None) -> dict:
    return {
        "event_timestamp": micros,
        "event_name": name,
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": session, "string_value": None}},
            {"key": "page_location", "value": {"int_value": None, "string_value": "https://x/p"}},
        ],
        "user_pseudo_id": user,
        "items": [
            {
                "item_id": "SKU1",
                "item_name": "Mug",
                "item_category": "Drinkware",
                "item_brand": "Acme",
                "price_in_usd": 12.5,
            },
        ],
        "ecommerce": {"total_item_quantity": 1, "purchase_revenue_in_usd": revenue},
        "device": {"category": "desktop"},
        "geo": {"country": "Poland"},
        "traffic_source": {"medium": "organic"},
    }


def _retail(invoice: str, code: str, quantity: object, customer: str) -> dict[str, Any]:
    return dict(
        invoice=invoice,
        stock_code=code,
        description="WHITE MUG",
        quantity=quantity,
        invoice_date="2010-12-01 08:26:00",
        unit_price=2.55,
        customer_id=customer,
        country="United Kingdom",
    )


def _shopper(administrative: object, revenue: str) -> dict[str, Any]:
    numbers = dict.fromkeys((s for s, _, t in SESSION_AGGREGATE_COLUMNS if t != "VARCHAR"), 1)
    return numbers | dict(
        Administrative=administrative,
        Month="Feb",
        VisitorType="Returning_Visitor",
        Weekend="FALSE",
        Revenue=revenue,
    )


#: What an event source with customers, carts, purchases and clock times supports.
EVENTS_WITH_EVERYTHING = frozenset(CAPABILITIES) - {"is_session_aggregate"}

SAMPLES: dict[str, Sample] = {
    "uci-clickstream": Sample(
        ".csv",
        good=[_uci(1, 1, "A13"), _uci(2, 1, "B4", main_category=2), _uci(1, 2, "C7", day=2)],
        bad=_uci(3, 1, "A2", price="abc"),
        bad_column="price",
        reason="non-numeric price 'abc'",
        # Browse-only clicks with dates but no clock time.
        capabilities=frozenset({"has_page_views", "has_complete_journeys"}),
        delimiter=";",
    ),
    "event-log": Sample(
        ".csv",
        good=[
            _event("2024-03-01 10:00:00 UTC", "view", "p1", "20.00", "u1", "s1"),
            _event("2024-03-01 10:02:00 UTC", "cart", "p1", "20.00", "u1", "s1"),
            _event("2024-03-01 10:04:00 UTC", "purchase", "p1", "20.00", "u1", "s1"),
        ],
        bad=_event("2024-03-01 10:03:00 UTC", "wishlist", "p1", "20.00", "u1", "s1"),
        bad_column="event_type",
        reason="unknown event type 'wishlist'",
        capabilities=EVENTS_WITH_EVERYTHING,
    ),
    "ga4-export": Sample(
        ".ndjson",
        good=[
            _ga4(1_700_000_000_000_000, "page_view", "user-1", 11, None),
            _ga4(1_700_000_060_000_000, "add_to_cart", "user-1", 11, None),
            _ga4(1_700_000_120_000_000, "purchase", "user-1", 11, 12.5),
        ],
        bad=_ga4(1_700_000_030_000_000, "view_item", None, 11, None),
        bad_column="user_pseudo_id",
        reason="missing user_pseudo_id",
        capabilities=EVENTS_WITH_EVERYTHING,
    ),
    "online-retail": Sample(
        ".csv",
        good=[
            _retail("536365", "85123A", 6, "17850"),
            _retail("536365", "71053", 2, "17850"),
            _retail("C536379", "85123A", -1, "17850"),
        ],
        bad=_retail("536366", "22633", "two", "17851"),
        bad_column="quantity",
        reason="non-numeric quantity 'two'",
        # Order lines: no page views, no carts.
        capabilities=EVENTS_WITH_EVERYTHING - {"has_carts", "has_page_views"},
    ),
    "online-shoppers": Sample(
        ".csv",
        good=[_shopper(0, "FALSE"), _shopper(2, "TRUE"), _shopper(1, "FALSE")],
        bad=_shopper("x", "FALSE"),
        bad_column="Administrative",
        reason="not a number",
        # Sessions labelled bought / not bought: no customers, carts, amounts or clock times.
        capabilities=frozenset(
            {"has_purchases", "has_page_views", "has_complete_journeys", "is_session_aggregate"}
        ),
    ),
}

VARIANTS = [(spec, variant) for spec in FORMATS.values() for variant in spec.variants]


def write_sample(folder: Path, spec: FormatSpec, variant: Variant) -> Path:
    """The sample of ``spec`` under ``variant``'s header: good[0], the bad row, the rest."""
    sample = SAMPLES[spec.name]
    rows = [sample.good[0], sample.bad, *sample.good[1:]]
    path = folder / f"{variant.name}{sample.suffix}"
    source_of = {internal: source for source, internal in variant.columns.items()}
    if sample.suffix == ".ndjson":
        lines = [json.dumps({source_of[k]: v for k, v in row.items()}) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=sample.delimiter, lineterminator="\n")
        writer.writerow(variant.columns)
        writer.writerows([row[internal] for internal in variant.columns.values()] for row in rows)
    return path


@dataclass(frozen=True)
class Built:
    spec: FormatSpec
    variant: Variant
    sample: Sample
    path: Path
    db: Path


@pytest.fixture(scope="module", params=VARIANTS, ids=[f"{s.name}:{v.name}" for s, v in VARIANTS])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    spec, variant = request.param
    if spec.name not in SAMPLES:
        pytest.fail(f"format {spec.name!r} has no contract sample in SAMPLES: add one")
    folder = tmp_path_factory.mktemp(variant.name)
    path = write_sample(folder, spec, variant)
    db = folder / "w.duckdb"
    build_warehouse(db, [str(path)])  # no --format: the header alone must say what it is
    return Built(spec, variant, SAMPLES[spec.name], path, db)


def test_every_format_has_a_contract_sample():
    assert set(SAMPLES) == set(FORMATS)


def test_the_header_alone_detects_the_format_and_variant(built):
    [(fmt, variant, status)] = query(built.db, "SELECT format, variant, status FROM ingest_ledger")
    assert (fmt, variant, status) == (built.spec.name, built.variant.name, "loaded")


@dataclass(frozen=True)
class Adapted:
    columns: list[str]
    rejects: list[tuple[str | None, str | None]]  # (reject_column, reject_reason) per row


def adapt(path: Path) -> Adapted:
    """What the format's adapter SQL returns for ``path``, run as a build runs it."""
    source = classify(path)
    adapter = resolve_builtin(source, None)
    con = duckdb.connect()
    try:
        run(con, "staging_tables")
        con.executemany("INSERT INTO codebook VALUES (?, ?, ?)", [list(r) for r in codebook_rows()])
        load_raw(
            con, source, adapter.column_map, delimiter=adapter.delimiter, header=adapter.header
        )
        params = {"source_id": "sample", **adapter.params}
        con.execute(f"CREATE TEMP TABLE adapted AS {adapter.sql}", params)
        return Adapted(
            columns=[r[0] for r in con.sql("DESCRIBE adapted").fetchall()],
            rejects=con.sql("SELECT reject_column, reject_reason FROM adapted").fetchall(),
        )
    finally:
        con.close()


def test_the_adapter_returns_the_canonical_columns_in_order(built):
    if built.spec.grain == "event":
        expected = [name for name, _ in EVENT_COLUMNS]
    else:
        marts = [mart for _, mart, _ in SESSION_AGGREGATE_COLUMNS]
        expected = ["session_id", *marts, "source_id", "source_line"]
    assert adapt(built.path).columns == [*expected, "reject_column", "reject_reason"]


def test_the_adapter_returns_every_row_once_with_a_reason_for_each_reject(built):
    rejects = adapt(built.path).rejects
    assert len(rejects) == len(built.sample.good) + 1
    # A row names a rejecting column exactly when it gives a reason: a column without a
    # reason would be loaded by the build as if nothing were wrong.
    assert all((column is None) == (reason is None) for column, reason in rejects)
    assert sum(reason is not None for _, reason in rejects) == 1


def test_the_built_tables_have_the_canonical_columns_and_types(built):
    events = query(built.db, "SELECT column_name, column_type FROM (DESCRIBE events)")
    canonical = [EVENT_COLUMNS[0], ("event_date", "DATE"), *EVENT_COLUMNS[1:]]
    assert events == canonical
    if built.spec.grain == "session":
        sessions = dict(query(built.db, "SELECT column_name, column_type FROM (DESCRIBE sessions)"))
        for _, mart, kind in SESSION_AGGREGATE_COLUMNS:
            assert sessions.get(mart) == kind, mart


def test_rows_read_equals_loaded_plus_rejected(built):
    [(read, loaded, rejected)] = query(
        built.db, "SELECT rows_read, rows_loaded, rows_rejected FROM ingest_ledger"
    )
    assert read == loaded + rejected
    assert (read, loaded, rejected) == (len(built.sample.good) + 1, len(built.sample.good), 1)
    # One row in, one row out: every loaded row is exactly one event (or one session).
    table = "events" if built.spec.grain == "event" else "sessions"
    assert query(built.db, f"SELECT count(*) FROM {table}")[0][0] == loaded


def test_the_bad_row_is_rejected_with_file_line_column_reason_and_raw(built):
    [(file, line, column, reason, raw)] = query(
        built.db, "SELECT file, line, column_name, reason, raw FROM rejected_rows"
    )
    assert Path(file) == built.path.resolve()
    # The bad row is the second data row: file line 3 under a CSV header, record 2 in NDJSON.
    assert line == (2 if built.sample.suffix == ".ndjson" else 3)
    assert column == built.sample.bad_column
    assert built.sample.reason in reason
    # The raw values are kept under the format's internal names, the bad one as it was read.
    bad_value = built.sample.bad[built.sample.bad_column]
    kept = json.loads(raw)[built.sample.bad_column]
    assert kept in (bad_value, str(bad_value))


def test_capabilities_follow_what_the_format_can_support(built):
    rows = query(built.db, "SELECT name, available, reason FROM capabilities")
    caps = {name: (available, reason) for name, available, reason in rows}
    assert set(caps) == set(CAPABILITIES)
    assert all(reason for _, reason in caps.values())
    assert caps["has_clock_time"][0] == built.spec.has_clock_time
    assert caps["is_session_aggregate"][0] == (built.spec.grain == "session")
    assert {name for name, (available, _) in caps.items() if available} == (
        built.sample.capabilities
    )
