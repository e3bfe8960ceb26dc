"""Tests for TOML mapping files (warehouse/mapping.py, warehouse/sql/adapt_mapping.sql).

Most tests build a real warehouse from a few-line file through ``build_warehouse`` and read
it back read-only, so they prove the whole path: header check, raw load, the generated
adapter, session derivation, the ledger and ``rejected_rows``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from dashboard.cli import main as shopsight
from warehouse.build import BuildOptions, build_warehouse
from warehouse.engine import load_sql
from warehouse.errors import IngestError, MissingColumnError, NothingLoadedError
from warehouse.mapping import (
    MAPPABLE_COLUMNS,
    adapter_params,
    adapter_sql,
    load_mapping,
    resolve_mapping,
)
from warehouse.schema import EVENT_COLUMN_NAMES, EVENT_COLUMNS, EVENT_TYPES
from warehouse.sources import classify

DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"

BASE_TOML = """\
name = "acme-shop"
[columns]
event_time = "ts"
event_type = "action"
customer_id = "visitor"
session_id = "visit_id"
product_id = "sku"
product_name = "title"
category = "cat"
price = "unit_price"
quantity = "qty"
country = "country"
[event_types]
page_view = ["pageview", "page"]
product_view = ["detail"]
add_to_cart = ["add"]
purchase = ["order", "buy"]
[time]
format = "%d/%m/%Y %H:%M"
"""

HEADER = "ts,action,visitor,visit_id,sku,title,cat,unit_price,qty,country\n"

EVENT_TYPES_TOML = "[event_types]\n" + BASE_TOML.split("[event_types]\n")[1].split("[time]")[0]


def _minimal(columns: str = "", *, top: str = "", time: str = 'format = "%d/%m/%Y %H:%M"') -> str:
    """A mapping of ts, action and visitor (plus ``columns``) for files with few columns."""
    return (
        top
        + '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "visitor"\n'
        + columns
        + EVENT_TYPES_TOML
        + (f"[time]\n{time}\n" if time else "")
    )


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _build(
    tmp_path: Path,
    data: str,
    toml: str = BASE_TOML,
    **options: Any,
) -> Path:
    source = _write(tmp_path, "export.csv", data)
    mapping = _write(tmp_path, "acme.toml", toml)
    db = tmp_path / "warehouse.duckdb"
    build_warehouse(db, [str(source)], BuildOptions(mapping=mapping, **options))
    return db


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _events(db: Path, columns: str) -> list[tuple[Any, ...]]:
    return _query(db, f"SELECT {columns} FROM events ORDER BY source_line")


def _rejects(db: Path) -> list[tuple[Any, ...]]:
    return _query(db, "SELECT line, column_name, reason FROM rejected_rows ORDER BY line")


def _ledger(db: Path) -> tuple[Any, ...]:
    return _query(
        db,
        "SELECT format, variant, rows_read, rows_loaded, rows_rejected, status FROM ingest_ledger",
    )[0]


# --------------------------------------------------------------------------- loading rows


def test_events_load_with_canonical_types_and_values(tmp_path: Path) -> None:
    db = _build(
        tmp_path,
        HEADER
        + "03/06/2024 09:12,PageView,c1,v1,,,,,,PL\n"
        + "03/06/2024 09:13,detail,c1,v1,SKU-1,Linen shirt,shirts,129.90,,PL\n"
        + "03/06/2024 09:15,add,c1,v1,SKU-1,Linen shirt,shirts,129.90,2,PL\n"
        + "03/06/2024 09:19,BUY,c1,v1,SKU-1,Linen shirt,shirts,129.90,2,PL\n",
    )

    def at(minute: int) -> datetime:
        return datetime(2024, 6, 3, 9, minute)

    visit, shirt = ("v1", "c1"), ("SKU-1", "Linen shirt", "shirts", 129.9)
    assert _events(
        db,
        "event_time, session_id, customer_id, event_type, source_event, product_id, "
        "product_name, category, price, quantity, revenue, country, source_line",
    ) == [
        (at(12), *visit, "page_view", "PageView", None, None, None, None, None, None, "PL", 2),
        (at(13), *visit, "product_view", "detail", *shirt, None, None, "PL", 3),
        (at(15), *visit, "add_to_cart", "add", *shirt, 2.0, None, "PL", 4),
        (at(19), *visit, "purchase", "BUY", *shirt, 2.0, 259.8, "PL", 5),
    ]
    assert _ledger(db) == ("mapping:acme-shop", "acme.toml", 4, 4, 0, "loaded")
    assert _query(db, "SELECT count(*) FROM sessions") == [(1,)]


def test_bad_rows_are_rejected_with_line_column_and_reason(tmp_path: Path) -> None:
    db = _build(
        tmp_path,
        HEADER
        + "03/06/2024 09:12,pageview,c1,v1,,,,,,PL\n"  # line 2 loads
        + "31/02/2024 10:00,pageview,c1,v1,,,,,,PL\n"
        + ",pageview,c1,v1,,,,,,PL\n"
        + "03/06/2024 09:14,wishlist,c1,v1,,,,,,PL\n"
        + "03/06/2024 09:15,,c1,v1,,,,,,PL\n"
        + "03/06/2024 09:16,detail,c1,v1,SKU-1,,,abc,,PL\n"
        + "03/06/2024 09:17,detail,c1,v1,SKU-1,,,-5,,PL\n"
        + "03/06/2024 09:18,detail,c1,v1,SKU-1,,,nan,,PL\n"
        + "03/06/2024 09:19,buy,c1,v1,SKU-1,,,5,two,PL\n"
        + "03/06/2024 09:20,detail,,,SKU-1,,,5,,PL\n"
        + "03/06/2024 09:21,detail,c1,v1,SKU-1,,,5,,PL,extra\n"  # structural
        + "03/06/2024 09:22,buy,c1,v1,SKU-2,,,5,1,PL\n",  # line 13 loads
    )
    assert _rejects(db) == [
        (3, "ts", "unparsable timestamp '31/02/2024 10:00'; expected %d/%m/%Y %H:%M"),
        (4, "ts", "missing event time"),
        (
            5,
            "action",
            "unknown event type 'wishlist'; the mapping maps "
            "'add', 'buy', 'detail', 'order', 'page', 'pageview'",
        ),
        (6, "action", "missing event type"),
        (7, "unit_price", "non-numeric price 'abc'"),
        (8, "unit_price", "negative price -5"),
        (9, "unit_price", "non-numeric price 'nan'"),
        (10, "qty", "non-numeric quantity 'two'"),
        (11, "visit_id", "neither a session id nor a customer id to group the event by"),
        (12, None, "too many fields: expected 10, found 11"),
    ]
    # The raw values are kept with the reason, so nothing is lost.
    raw = _query(db, "SELECT raw FROM rejected_rows WHERE line = 7")[0][0]
    assert "abc" in raw
    assert _events(db, "source_line") == [(2,), (13,)]
    _, _, read, loaded, rejected, _ = _ledger(db)
    assert (read, loaded, rejected) == (12, 2, 10)
    assert read == loaded + rejected


def test_unmapped_event_values_can_become_other(tmp_path: Path) -> None:
    toml = 'unknown_event_types = "other"\n' + BASE_TOML
    db = _build(
        tmp_path,
        HEADER
        + "03/06/2024 09:12,wishlist,c1,v1,,,,,,PL\n"
        + "03/06/2024 09:13,detail,c1,v1,,,,,,PL\n",
        toml,
    )
    assert _events(db, "event_type, source_event") == [
        ("other", "wishlist"),
        ("product_view", "detail"),
    ]
    assert _rejects(db) == []


@pytest.mark.parametrize(("gap", "sessions"), [(30, 2), (60, 1)])
def test_sessions_are_derived_by_gap_without_a_session_column(
    tmp_path: Path, gap: int, sessions: int
) -> None:
    db = _build(
        tmp_path,
        "ts,action,visitor\n03/06/2024 09:00,pageview,c1\n03/06/2024 09:45,pageview,c1\n",
        _minimal(),
        session_gap_minutes=gap,
    )
    assert _query(db, "SELECT count(DISTINCT session_id) FROM events") == [(sessions,)]
    assert _query(db, "SELECT count(*) FROM sessions") == [(sessions,)]
    assert _query(db, "SELECT count(*) FROM customers") == [(1,)]


def test_mapped_revenue_wins_and_is_kept_on_purchases_only(tmp_path: Path) -> None:
    toml = _minimal(
        'session_id = "visit_id"\nprice = "unit_price"\nquantity = "qty"\nrevenue = "amount"\n'
    )
    db = _build(
        tmp_path,
        "ts,action,visitor,visit_id,unit_price,qty,amount\n"
        "03/06/2024 09:00,add,c1,v1,10,3,30\n"
        "03/06/2024 09:01,buy,c1,v1,10,3,27.5\n"  # a discount: the file's amount wins
        "03/06/2024 09:02,buy,c1,v1,10,,\n",  # no amount, no quantity: one unit
        toml,
    )
    # Issue 9, item 5: a mapped revenue column that is empty stays empty (it used to fall
    # back to price × quantity silently); the fallback needs empty_revenue, see
    # tests/unit/test_ingest_trust.py.
    assert _events(db, "event_type, quantity, revenue") == [
        ("add_to_cart", 3.0, None),
        ("purchase", 3.0, 27.5),
        ("purchase", 1.0, None),
    ]


def test_iso_times_with_offsets_are_stored_as_utc(tmp_path: Path) -> None:
    toml = _minimal(time='timezone = "Europe/Warsaw"')
    db = _build(
        tmp_path,
        "ts,action,visitor\n"
        "2024-03-01T10:00:00+02:00,page,c1\n"  # explicit offset: the zone key does not apply
        "2024-03-01 10:00:00Z,page,c2\n"
        "2024-03-01 10:00:00,page,c3\n"  # naive: Warsaw winter time, UTC+1
        "2024-07-01 10:00,page,c4\n"  # naive: Warsaw summer time, UTC+2
        "1709287200,page,c5\n"  # epoch seconds are instants
        "1709287200000,page,c6\n",  # 13 digits: not seconds, so rejected with a hint
        toml,
    )
    assert _events(db, "customer_id, event_time") == [
        ("c1", datetime(2024, 3, 1, 8, 0)),
        ("c2", datetime(2024, 3, 1, 10, 0)),
        ("c3", datetime(2024, 3, 1, 9, 0)),
        ("c4", datetime(2024, 7, 1, 8, 0)),
        ("c5", datetime(2024, 3, 1, 10, 0)),
    ]
    [(line, column, reason)] = _rejects(db)
    assert (line, column) == (7, "ts")
    assert reason.startswith("unparsable timestamp '1709287200000'; expected an ISO 8601 time")
    assert "set [time] format or unit" in reason


def test_epoch_milliseconds_with_unit(tmp_path: Path) -> None:
    toml = _minimal(time='unit = "ms"')
    db = _build(
        tmp_path,
        "ts,action,visitor\n1709287200500,page,c1\n2024-03-01,page,c1\n",
        toml,
    )
    assert _events(db, "event_time") == [(datetime(2024, 3, 1, 10, 0, 0, 500000),)]
    assert _rejects(db) == [
        (
            3,
            "ts",
            "unparsable timestamp '2024-03-01'; expected a number of milliseconds "
            "since 1970-01-01 UTC",
        ),
    ]


def test_format_with_offset_and_a_list_of_formats(tmp_path: Path) -> None:
    toml = _minimal(time='format = ["%d/%m/%Y %H:%M %z", "%d/%m/%Y %H:%M:%S %z"]')
    db = _build(
        tmp_path,
        "ts,action,visitor\n01/03/2024 10:00 +0200,page,c1\n01/03/2024 10:00:30 -0100,page,c2\n",
        toml,
    )
    assert _events(db, "event_time") == [
        (datetime(2024, 3, 1, 8, 0),),
        (datetime(2024, 3, 1, 11, 0, 30),),
    ]


def test_semicolons_decimal_commas_null_markers_and_header_case(tmp_path: Path) -> None:
    toml = (
        'delimiter = ";"\ndecimal_separator = ","\nnull_values = ["-", "N/A"]\n'
        + BASE_TOML.replace('customer_id = "visitor"', 'customer_id = "Visitor"')
    )
    db = _build(
        tmp_path,
        HEADER.replace(",", ";").replace("visitor", "VISITOR ")
        + "03/06/2024 09:12;detail;c1;v1;SKU-1;-;n/a;1 234,5;-;PL\n"
        + "03/06/2024 09:13;detail;c1;v1;SKU-1;-;n/a;12,5;-;-\n",
        toml,
    )
    assert _events(db, "customer_id, product_name, category, price, quantity, country") == [
        ("c1", None, None, 12.5, None, None),
    ]
    assert _rejects(db) == [(2, "unit_price", "non-numeric price '1 234,5'")]
    # Reasons name the column as the file spells it, not as the mapping does.
    again = tmp_path / "again"
    again.mkdir()
    db = _build(
        again, (tmp_path / "export.csv").read_text(), toml.replace("unit_price", "Unit_Price")
    )
    assert _rejects(db) == [(2, "unit_price", "non-numeric price '1 234,5'")]


def test_one_source_column_can_feed_two_canonical_columns(tmp_path: Path) -> None:
    toml = BASE_TOML.replace('product_name = "title"', 'product_name = "sku"')
    db = _build(tmp_path, HEADER + "03/06/2024 09:13,detail,c1,v1,SKU-1,T,c,1,,PL\n", toml)
    assert _events(db, "product_id, product_name") == [("SKU-1", "SKU-1")]


def test_date_only_sources_order_by_sequence(tmp_path: Path) -> None:
    toml = _minimal(
        'sequence_number = "step"\n',
        top="has_clock_time = false\n",
        time='format = "%d/%m/%Y"\ntimezone = "Asia/Tokyo"',
    )
    db = _build(
        tmp_path,
        "ts,action,visitor,step\n03/06/2024,page,c1,1\n03/06/2024,detail,c1,2\n"
        "03/06/2024,detail,c1,2.5\n",
        toml,
    )
    # The date stays the date written (no shift by the zone); the step orders the day.
    assert _events(db, "event_time, sequence_number") == [
        (datetime(2024, 6, 3, 0, 0, 1), 1),
        (datetime(2024, 6, 3, 0, 0, 2), 2),
    ]
    assert _rejects(db) == [(4, "step", "sequence number '2.5' is not a whole number")]
    assert _query(db, "SELECT has_clock_time FROM ingest_ledger") == [(False,)]


@pytest.mark.parametrize("container", ["parquet", "ndjson", "xlsx"])
def test_other_containers(tmp_path: Path, container: str) -> None:
    frame = pl.DataFrame(
        {
            "ts": ["03/06/2024 09:12", "03/06/2024 09:13", "bad"],
            "action": ["page", "buy", "page"],
            "visitor": ["c1", "c1", "c1"],
            "unit_price": [None, 9.5, None],
        }
    )
    path = tmp_path / f"export.{container}"
    if container == "parquet":
        frame.write_parquet(path)
    elif container == "ndjson":
        frame.write_ndjson(path)
    else:
        frame.write_excel(path)
    mapping = _write(tmp_path, "acme.toml", _minimal('price = "unit_price"\n'))
    db = tmp_path / "warehouse.duckdb"
    build_warehouse(db, [str(path)], BuildOptions(mapping=mapping))
    assert _events(db, "event_type, price, revenue") == [
        ("page_view", None, None),
        ("purchase", 9.5, 9.5),
    ]
    line = 4 if container == "xlsx" else 3  # spreadsheet row vs record number
    assert _rejects(db) == [(line, "ts", "unparsable timestamp 'bad'; expected %d/%m/%Y %H:%M")]


# --------------------------------------------------------------------------- validation


def _load_error(tmp_path: Path, text: str) -> IngestError:
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(IngestError) as caught:
        load_mapping(path)
    assert caught.value.path == path
    return caught.value


def test_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    error = _load_error(tmp_path, 'name = "x"\n[columns]\nevent_time = "ts\n')
    assert error.line == 3
    assert "not valid TOML" in error.detail
    assert str(error).startswith(f"{tmp_path / 'bad.toml'}, line 3: not valid TOML")


def test_unknown_canonical_column_lists_the_valid_ones(tmp_path: Path) -> None:
    error = _load_error(tmp_path, BASE_TOML.replace('country = "country"', 'contry = "country"'))
    assert "unknown canonical column 'contry'" in error.detail
    assert ", ".join(MAPPABLE_COLUMNS) in error.detail
    assert error.line == BASE_TOML.splitlines().index('country = "country"') + 1


def test_build_filled_columns_cannot_be_mapped(tmp_path: Path) -> None:
    error = _load_error(tmp_path, BASE_TOML.replace("[columns]\n", '[columns]\nsource_id = "f"\n'))
    assert "column 'source_id' cannot be mapped: the build sets it" in error.detail


def test_unknown_event_type_lists_the_valid_ones(tmp_path: Path) -> None:
    error = _load_error(tmp_path, BASE_TOML.replace("add_to_cart =", "add_to_basket ="))
    assert "unknown canonical event type 'add_to_basket'" in error.detail
    assert ", ".join(EVENT_TYPES) in error.detail
    assert error.line == BASE_TOML.splitlines().index('add_to_cart = ["add"]') + 1


@pytest.mark.parametrize(
    ("removed", "message"),
    [
        ('event_time = "ts"\n', "lacks the required column(s) event_time"),
        ('event_type = "action"\n', "lacks the required column(s) event_type"),
        (
            'customer_id = "visitor"\nsession_id = "visit_id"\n',
            "[columns] needs session_id or customer_id (or both)",
        ),
    ],
)
def test_missing_required_columns(tmp_path: Path, removed: str, message: str) -> None:
    error = _load_error(tmp_path, BASE_TOML.replace(removed, ""))
    assert message in error.detail
    assert error.line == 2  # the [columns] header


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ('delimiter = ";;"\n', "delimiter must be one character"),
        ('delimiter = ""\n', "delimiter must be one character"),
        ('delimiter = "\\""\n', "delimiter must be one character other than a quote"),
        ("delimiter = 1\n", "delimiter must be one character"),
        ('unknown_event_types = "drop"\n', 'must be "reject" or "other"'),
        ('decimal_separator = ";"\n', 'decimal_separator must be "." or ","'),
        ('delimiter = ","\ndecimal_separator = ","\n', "needs another column delimiter"),
        ('has_clock_time = "yes"\n', "has_clock_time must be true or false"),
        ('nmae = "x"\n', "unknown key 'nmae'"),
        ('name = "a/b"\n', "name must be 1-60 letters"),
        ("null_values = [1]\n", "null_values must be a list of strings"),
    ],
)
def test_top_level_key_errors(tmp_path: Path, prefix: str, message: str) -> None:
    text = prefix + BASE_TOML.replace('name = "acme-shop"\n', "")
    error = _load_error(tmp_path, text)
    assert message in error.detail
    assert error.line == prefix.count("\n")


@pytest.mark.parametrize(
    ("time_table", "message"),
    [
        ('unit = "min"', "time.unit must be one of s, ms, us, ns"),
        ('format = "%d/%m/%Y"\nunit = "s"', "not both"),
        ('format = "%Q"', "not a valid strptime format"),
        ('format = "dd/mm/yyyy"', "must be a strptime format"),
        ('format = ["%d/%m/%Y %z", "%d/%m/%Y"]', "all carry an offset"),
        ('timezone = "Mars/Olympus"', "unknown time.timezone 'Mars/Olympus'"),
        ('zone = "UTC"', "unknown key 'zone' in [time]"),
    ],
)
def test_time_table_errors(tmp_path: Path, time_table: str, message: str) -> None:
    text = BASE_TOML.replace('format = "%d/%m/%Y %H:%M"\n', time_table + "\n")
    error = _load_error(tmp_path, text)
    assert message in error.detail
    assert error.line is not None and error.line > text.splitlines().index("[time]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE_TOML.split("[event_types]")[0], "no [event_types] table"),
        ('name = "x"\n', "no [columns] table"),
        (
            BASE_TOML.replace('purchase = ["order", "buy"]', 'purchase = ["order", "add"]'),
            "'add' is listed under both add_to_cart and purchase",
        ),
        (
            BASE_TOML.replace('purchase = ["order", "buy"]', "purchase = []"),
            "must be a non-empty list",
        ),
        (
            BASE_TOML.replace('price = "unit_price"', 'price = ""'),
            "columns.price must name a column",
        ),
    ],
)
def test_table_errors(tmp_path: Path, text: str, message: str) -> None:
    assert message in _load_error(tmp_path, text).detail


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such mapping file"):
        load_mapping(tmp_path / "absent.toml")


def test_defaults(tmp_path: Path) -> None:
    text = BASE_TOML.replace('name = "acme-shop"\n', "").split("[time]")[0]
    mapping = load_mapping(_write(tmp_path, "my-export.toml", text))
    assert mapping.name == "my-export"
    assert mapping.format_name == "mapping:my-export"
    assert mapping.delimiter is None
    assert mapping.has_clock_time is True
    assert mapping.unknown_event_types == "reject"
    assert mapping.decimal_separator == "."
    assert mapping.null_values == ("",)
    assert mapping.time_mode == "auto"
    assert mapping.timezone == "UTC"
    assert mapping.event_types["pageview"] == "page_view"
    for spelling in ('"tab"', '"\\t"', "'\\t'"):
        tabbed = load_mapping(_write(tmp_path, "tab.toml", f"delimiter = {spelling}\n{text}"))
        assert tabbed.delimiter == "\t", spelling


# --------------------------------------------------------------------------- headers


def test_wrong_delimiter_is_named(tmp_path: Path) -> None:
    source = _write(tmp_path, "export.csv", HEADER.replace(",", ";") + "a;b;c;d;e;f;g;h;i;j\n")
    mapping = _write(tmp_path, "acme.toml", 'delimiter = ","\n' + BASE_TOML)
    with pytest.raises(IngestError) as caught:
        resolve_mapping(mapping, classify(source))
    assert caught.value.line == 1
    assert (
        "wrong delimiter: the mapping says ',' but the header looks ';'-separated "
        "(it splits into 1 column(s) with ',' and 10 with ';'); "
        'set delimiter = ";" in acme.toml'
    ) in caught.value.detail


def test_wrong_delimiter_fails_the_file_in_a_build(tmp_path: Path) -> None:
    source = _write(tmp_path, "export.csv", HEADER.replace(",", "\t") + "a\tb\n")
    mapping = _write(tmp_path, "acme.toml", 'delimiter = ";"\n' + BASE_TOML)
    with pytest.raises(
        NothingLoadedError, match=r"header looks tab-separated.*set delimiter = \"\\t\""
    ):
        build_warehouse(tmp_path / "w.duckdb", [str(source)], BuildOptions(mapping=mapping))


def test_missing_source_column_lists_the_header(tmp_path: Path) -> None:
    source = _write(tmp_path, "export.csv", "ts,action,visitor,sku\n1,2,3,4\n")
    mapping = _write(tmp_path, "acme.toml", BASE_TOML)
    with pytest.raises(MissingColumnError) as caught:
        resolve_mapping(mapping, classify(source))
    detail = caught.value.detail
    assert "the mapping acme.toml names column(s) the file lacks: 'visit_id' (for session_id)" in (
        detail
    )
    assert "'unit_price' (for price)" in detail
    assert detail.endswith("found: 'ts', 'action', 'visitor', 'sku'")


# --------------------------------------------------------------------------- safety


INJECTION = "'); DROP TABLE staged_events; --"
NULL_INJECTION = "x'); DROP TABLE events; --"


def test_sql_in_values_and_column_names_is_harmless(tmp_path: Path) -> None:
    weird_column = 'x"); DROP TABLE events; --'
    toml = f"""\
name = "evil"
null_values = ["{NULL_INJECTION}"]
[columns]
event_time = "ts"
event_type = 'a"b'
customer_id = '{weird_column}'
[event_types]
purchase = ["{INJECTION}"]
[time]
format = "%Y-%m-%d %H:%M"
"""
    header = f'ts,"a""b","{weird_column.replace(chr(34), chr(34) * 2)}"\n'
    db = _build(
        tmp_path,
        header
        + f'2024-06-03 09:00,"{INJECTION}",c1\n'
        + f'2024-06-03 09:01,"{INJECTION}","{NULL_INJECTION}"\n'
        + "2024-06-03 09:02,'; SELECT 1; --,c1\n",
        toml,
    )
    assert _events(db, "event_type, source_event, customer_id") == [
        ("purchase", INJECTION, "c1"),
    ]
    assert _rejects(db) == [
        # The customer id equals a null marker, so the row has no identity.
        (3, weird_column, "neither a session id nor a customer id to group the event by"),
        (
            4,
            'a"b',
            "unknown event type ''; SELECT 1; --'; the mapping maps "
            '"\'); drop table staged_events; --"',
        ),
    ]
    tables = {t for (t,) in _query(db, "SELECT table_name FROM information_schema.tables")}
    assert {"events", "sessions", "rejected_rows", "ingest_ledger"} <= tables


def test_generated_sql_interpolates_only_canonical_identifiers(tmp_path: Path) -> None:
    template = load_sql("adapt_mapping")
    assert set(MAPPABLE_COLUMNS) == set(EVENT_COLUMN_NAMES) - {
        "source_event",
        "source_id",
        "source_line",
    }
    for column in MAPPABLE_COLUMNS:
        assert template.count("{" + column + "}") == 1, column
    source = _write(tmp_path, "export.csv", 'ts,"a""b",zz_who_col\n2024-06-03 09:00,x,c1\n')
    mapping = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = \'a"b\'\ncustomer_id = "zz_who_col"\n'
        '[event_types]\npurchase = ["zz-unique-value"]\n',
    )
    adapter = resolve_mapping(mapping, classify(source))
    assert adapter.column_map == {
        "ts": "event_time",
        'a"b': "event_type",
        "zz_who_col": "customer_id",
    }
    for user_text in ('a"b', "zz_who_col", "zz-unique-value"):
        assert user_text not in adapter.sql
    assert re.search(r"\{[a-z_]+\}::VARCHAR", adapter.sql) is None
    assert '"event_type"::VARCHAR AS event_type_text' in adapter.sql
    assert "NULL::VARCHAR AS price_text" in adapter.sql
    with pytest.raises(ValueError, match="not a canonical name"):
        adapter_sql({"event_time": 'x" FROM y; --'})


def test_adapter_output_matches_the_canonical_columns(tmp_path: Path) -> None:
    mapping = load_mapping(_write(tmp_path, "m.toml", _minimal()))
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TEMP TABLE raw_source AS "
            "SELECT '2024-01-01' AS event_time, 'a' AS event_type, 'c' AS customer_id, "
            "1::BIGINT AS line"
        )
        sql = adapter_sql({c: c for c in ("event_time", "event_type", "customer_id")})
        params = {"source_id": "s", **adapter_params(mapping)}
        result = con.sql(sql, params=params)
        columns = result.columns
        types = [str(t) for t in result.types]
    finally:
        con.close()
    assert columns == [*EVENT_COLUMN_NAMES, "reject_column", "reject_reason"]
    assert types == [t for _, t in EVENT_COLUMNS] + ["VARCHAR", "VARCHAR"]


# --------------------------------------------------------------------------- the docs example


def test_docs_example_builds(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    build_warehouse(
        db,
        [str(DOCS / "shop-export.csv")],
        BuildOptions(mapping=DOCS / "shop-export.toml"),
    )
    read, loaded, rejected = _query(
        db, "SELECT rows_read, rows_loaded, rows_rejected FROM ingest_ledger"
    )[0]
    assert (read, loaded, rejected) == (21, 21, 0)
    assert _query(db, "SELECT count(*) FROM events WHERE event_type = 'other'") == [(1,)]
    assert _query(db, "SELECT min(event_time) FROM events") == [(datetime(2024, 6, 3, 7, 12),)]
    assert _query(db, "SELECT round(sum(revenue), 2) FROM events") == [(477.4,)]
    assert _query(db, "SELECT count(*) FROM sessions") == [(6,)]


def test_docs_example_builds_with_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.duckdb"
    code = shopsight(
        [
            "build",
            "--db",
            str(db),
            "--mapping",
            str(DOCS / "shop-export.toml"),
            str(DOCS / "shop-export.csv"),
        ]
    )
    assert code == 0
    assert shopsight(["info", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "mapping:shop-export" in out
    assert "read 21 = loaded 21 + rejected 0" in out
