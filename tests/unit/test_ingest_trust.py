"""Issue 9, ingest: nothing lost, nothing merged, nothing invented.

One fixture per item: duplicates judged on whole source lines (2) and kept with their raw
values (3), sessions shared by several customers (4), the revenue rule (5), dates and
sequences (6), mapping gaps: constants, dotted paths, explode, the GA360 example (9), and
what `shopsight info` and the messages show (10).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dashboard.cli import main as shopsight
from tests.support.fixtures_data import EVENT_LOG_HEADER
from tests.support.warehouses import query
from warehouse.build import BuildOptions, BuildResult, build_warehouse
from warehouse.errors import IngestError, MissingColumnError, NothingLoadedError
from warehouse.info import warehouse_info

DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"

VIEW_LOG_TOML = """\
name = "views"
has_clock_time = false
{top}
[columns]
event_time = "day"
customer_id = "visitor"
product_id = "sku"
event_type = {{ constant = "product_view" }}
{columns}
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _build(tmp_path: Path, files: list[Path], mapping: Path | None = None) -> BuildResult:
    return build_warehouse(
        tmp_path / "w.duckdb", [str(f) for f in files], BuildOptions(mapping=mapping)
    )


def _ledger(tmp_path: Path, columns: str) -> list[tuple[Any, ...]]:
    return query(tmp_path / "w.duckdb", f"SELECT {columns} FROM ingest_ledger ORDER BY file_order")


def _rejects(tmp_path: Path) -> list[tuple[Any, ...]]:
    return query(
        tmp_path / "w.duckdb",
        "SELECT line, column_name, reason, raw FROM rejected_rows ORDER BY line",
    )


# --------------------------------------------------------------------------- 2, 3 duplicates

# A date-only view log: the within-day sequence number tells two views of one product apart.
VIEWS = "day,seq,visitor,sku\n2024-05-01,1,v1,p1\n2024-05-01,2,v1,p1\n2024-05-01,2,v1,p1\n"


def _view_log(tmp_path: Path, top: str = "", columns: str = "") -> tuple[Path, Path]:
    data = _write(tmp_path, "views.csv", VIEWS)
    toml = _write(tmp_path, "views.toml", VIEW_LOG_TOML.format(top=top, columns=columns))
    return data, toml


def test_rows_that_differ_in_an_unmapped_column_are_not_duplicates(tmp_path: Path) -> None:
    data, toml = _view_log(tmp_path)  # seq is not mapped
    _build(tmp_path, [data], toml)
    # Lines 2 and 3 differ in seq: both load. Line 4 repeats line 3 exactly: rejected.
    assert query(tmp_path / "w.duckdb", "SELECT count(*) FROM events") == [(2,)]
    [(line, column, reason, raw)] = _rejects(tmp_path)
    assert (line, column, reason) == (4, None, "duplicate row: same as line 3")
    assert json.loads(raw) == {
        "event_time": "2024-05-01",
        "customer_id": "v1",
        "product_id": "p1",
        "line": 4,
        "seq": "2",
    }
    assert _ledger(tmp_path, "duplicates, rows_read, rows_loaded, rows_rejected") == [
        ("identical-lines", 3, 2, 1)
    ]


def test_mapped_columns_rule_judges_the_mapped_columns_only(tmp_path: Path) -> None:
    data, toml = _view_log(tmp_path, top='duplicates = "mapped-columns"')
    _build(tmp_path, [data], toml)
    assert query(tmp_path / "w.duckdb", "SELECT count(*) FROM events") == [(1,)]
    assert [(r[0], r[2]) for r in _rejects(tmp_path)] == [
        (3, "duplicate row: same as line 2"),
        (4, "duplicate row: same as line 2"),
    ]
    assert _ledger(tmp_path, "duplicates") == [("mapped-columns",)]


def test_keep_rule_loads_every_line(tmp_path: Path) -> None:
    data, toml = _view_log(tmp_path, top='duplicates = "keep"')
    _build(tmp_path, [data], toml)
    assert query(tmp_path / "w.duckdb", "SELECT count(*) FROM events") == [(3,)]
    assert _rejects(tmp_path) == []
    assert _ledger(tmp_path, "duplicates") == [("keep",)]


def test_built_in_format_duplicates_keep_their_raw_values(tmp_path: Path) -> None:
    line = "2024-03-01 10:00:00 UTC,view,p1,10,apparel.shoes,acme,19.99,u1,s1"
    data = _write(tmp_path, "dups.csv", "\n".join([EVENT_LOG_HEADER, line, line]) + "\n")
    _build(tmp_path, [data])
    [(number, _, reason, raw)] = _rejects(tmp_path)
    assert (number, reason) == (3, "duplicate row: same as line 2")
    assert json.loads(raw)["price"] == "19.99" and json.loads(raw)["user_session"] == "s1"


@pytest.mark.parametrize("container", ["parquet", "ndjson"])
def test_duplicates_keep_raw_values_in_parquet_and_json(tmp_path: Path, container: str) -> None:
    records = [
        {"ts": "2024-05-01 10:00", "action": "view", "who": "c1", "note": "a"},
        {"ts": "2024-05-01 10:00", "action": "view", "who": "c1", "note": "b"},  # differs
        {"ts": "2024-05-01 10:00", "action": "view", "who": "c1", "note": "b"},  # repeats
    ]
    data = _nested_file(tmp_path, "export", records, container)
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n',
    )
    _build(tmp_path, [data], toml)
    [(line, _, reason, raw)] = _rejects(tmp_path)
    assert (line, reason) == (3, "duplicate row: same as line 2")
    assert json.loads(raw)["note"] == "b" and json.loads(raw)["customer_id"] == "c1"
    assert _ledger(tmp_path, "line_unit") == [("record",)]


# --------------------------------------------------------------------------- 4 shared sessions


def test_a_session_id_shared_by_two_customers_merges_nobody(tmp_path: Path) -> None:
    rows = [
        "2024-03-01 10:00:00 UTC,view,p1,10,a,acme,20.00,u1,s1",
        "2024-03-01 10:01:00 UTC,purchase,p1,10,a,acme,20.00,u1,s1",
        "2024-03-01 10:02:00 UTC,view,p2,10,a,acme,5.00,u2,s1",  # u2 in u1's session id
        "2024-03-02 09:00:00 UTC,purchase,p2,10,a,acme,5.00,u2,s2",
    ]
    data = _write(tmp_path, "shared.csv", "\n".join([EVENT_LOG_HEADER, *rows]) + "\n")
    result = _build(tmp_path, [data])
    db = tmp_path / "w.duckdb"
    assert _ledger(tmp_path, "shared_sessions") == [(1,)]
    assert any("1 session id(s) carry more than one customer id" in w for w in result.warnings)
    customers = query(
        db, "SELECT customer_id, sessions, orders, revenue, first_seen FROM customers ORDER BY 1"
    )
    # Both customers exist; u1 keeps only its order, u2 gets its own view of s1 and s2's order.
    assert [c[:4] for c in customers] == [("u1", 1, 1, 20.0), ("u2", 2, 1, 5.0)]
    assert str(customers[1][4]) == "2024-03-01 10:02:00"


def test_a_composed_session_id_keeps_visits_of_two_visitors_apart(tmp_path: Path) -> None:
    data = _write(
        tmp_path,
        "visits.csv",
        "ts,visitor,visit,action\n"
        "2024-05-01 10:00,A,1,view\n2024-05-01 10:01,B,1,view\n2024-05-01 10:02,A,1,buy\n",
    )
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "visitor"\n'
        'session_id = ["visitor", "visit"]\n'
        '[event_types]\nproduct_view = ["view"]\npurchase = ["buy"]\n',
    )
    _build(tmp_path, [data], toml)
    db = tmp_path / "w.duckdb"
    assert query(db, "SELECT session_id, customer_id, events FROM sessions ORDER BY 1") == [
        ("A|1", "A", 2),
        ("B|1", "B", 1),
    ]
    assert _ledger(tmp_path, "shared_sessions") == [(0,)]


# --------------------------------------------------------------------------- 5 revenue


def _revenue_build(tmp_path: Path, top: str) -> Path:
    data = _write(
        tmp_path,
        "orders.csv",
        "ts,who,action,price,qty,amount\n"
        "2024-05-01 10:00,c1,buy,10,2,18\n"  # a discount: the amount is the revenue
        "2024-05-01 11:00,c1,buy,10,2,\n",  # no amount
    )
    toml = _write(
        tmp_path,
        "m.toml",
        top + '\n[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        'price = "price"\nquantity = "qty"\nrevenue = "amount"\n'
        '[event_types]\npurchase = ["buy"]\n',
    )
    _build(tmp_path, [data], toml)
    return tmp_path / "w.duckdb"


def test_an_empty_mapped_revenue_stays_empty(tmp_path: Path) -> None:
    db = _revenue_build(tmp_path, "")
    assert query(db, "SELECT revenue FROM events ORDER BY event_time") == [(18.0,), (None,)]
    assert _ledger(tmp_path, "revenue_rule") == [("column 'amount'; empty stays empty",)]


def test_the_price_times_quantity_fallback_only_when_asked(tmp_path: Path) -> None:
    db = _revenue_build(tmp_path, 'empty_revenue = "price-times-quantity"')
    assert query(db, "SELECT revenue FROM events ORDER BY event_time") == [(18.0,), (20.0,)]
    assert _ledger(tmp_path, "revenue_rule") == [("column 'amount', else price × quantity",)]


def test_an_empty_revenue_can_reject_the_purchase(tmp_path: Path) -> None:
    _revenue_build(tmp_path, 'empty_revenue = "reject"')
    assert [r[:3] for r in _rejects(tmp_path)] == [
        (3, "amount", 'missing revenue on a purchase row (empty_revenue = "reject")')
    ]


# --------------------------------------------------------------------------- 6 dates, sequences


def test_a_sequence_outside_one_day_is_rejected_not_added_to_the_date(tmp_path: Path) -> None:
    data = _write(
        tmp_path, "views.csv", "day,seq,visitor,sku\n2024-05-01,5,v1,p1\n2024-05-01,90000,v1,p2\n"
    )
    toml = _write(
        tmp_path, "views.toml", VIEW_LOG_TOML.format(top="", columns='sequence_number = "seq"')
    )
    _build(tmp_path, [data], toml)
    assert query(tmp_path / "w.duckdb", "SELECT event_time::VARCHAR FROM events") == [
        ("2024-05-01 00:00:05",)
    ]
    [(line, column, reason, _)] = _rejects(tmp_path)
    assert (line, column) == (3, "seq")
    assert reason.startswith("sequence number 90000 is outside one day")


def test_epoch_milliseconds_get_the_unit_hint(tmp_path: Path) -> None:
    data = _write(tmp_path, "ms.csv", "ts,who,action\n1717405920,c1,view\n1717405920000,c1,view\n")
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n',
    )
    _build(tmp_path, [data], toml)
    [(_, _, reason, _)] = _rejects(tmp_path)
    assert reason.endswith('its 13 digits look like epoch milliseconds: set [time] unit = "ms"')


def test_a_day_month_order_the_data_contradicts_is_warned_about(tmp_path: Path) -> None:
    data = _write(
        tmp_path,
        "us.csv",
        "ts,who,action\n02/03/2024 10:00,c1,view\n02/13/2024 10:00,c1,view\n",
    )
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n[time]\nformat = "%d/%m/%Y %H:%M"\n',
    )
    result = _build(tmp_path, [data], toml)
    expected = (
        "the time format %d/%m/%Y %H:%M may have day and month swapped: 1 value(s) only "
        "parse as %m/%d/%Y %H:%M; no value has a day above 12, so the data cannot settle it"
    )
    assert any(expected in w for w in result.warnings)
    assert expected in _ledger(tmp_path, "note")[0][0]


def test_a_day_month_order_the_data_confirms_is_not_warned_about(tmp_path: Path) -> None:
    data = _write(tmp_path, "eu.csv", "ts,who,action\n13/02/2024 10:00,c1,view\n")
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n[time]\nformat = "%d/%m/%Y %H:%M"\n',
    )
    assert _build(tmp_path, [data], toml).warnings == []


# --------------------------------------------------------------------------- 9 mapping gaps


def test_a_constant_event_type_loads_a_view_only_log(tmp_path: Path) -> None:
    data, toml = _view_log(tmp_path)
    _build(tmp_path, [data], toml)
    assert query(tmp_path / "w.duckdb", "SELECT DISTINCT event_type, source_event FROM events") == [
        ("product_view", "product_view")
    ]


def _nested_file(tmp_path: Path, stem: str, records: list[dict[str, Any]], container: str) -> Path:
    ndjson = _write(tmp_path, f"{stem}.ndjson", "".join(json.dumps(r) + "\n" for r in records))
    if container == "ndjson":
        return ndjson
    parquet = tmp_path / f"{stem}.parquet"
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT * FROM read_json('{ndjson}', format = 'newline_delimited')) "
            f"TO '{parquet}' (FORMAT parquet)"
        )
    finally:
        con.close()
    ndjson.unlink()
    return parquet


def test_a_struct_mapped_to_a_single_value_is_refused(tmp_path: Path) -> None:
    records = [{"ts": "2024-05-01 10:00", "action": "view", "who": "c1", "geo": {"country": "PL"}}]
    data = _nested_file(tmp_path, "geo", records, "ndjson")
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        'country = "geo"\n[event_types]\nproduct_view = ["view"]\n',
    )
    with pytest.raises(NothingLoadedError) as info:
        _build(tmp_path, [data], toml)
    message = str(info.value)
    assert "'geo' (for country) is a struct" in message
    assert "geo.field" in message and "never turned into text" in message


def test_a_missing_column_of_a_json_file_is_not_on_line_1(tmp_path: Path) -> None:
    from warehouse.mapping import resolve_mapping
    from warehouse.sources import classify

    data = _nested_file(tmp_path, "x", [{"ts": "2024-05-01", "action": "view"}], "ndjson")
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n',
    )
    with pytest.raises(MissingColumnError) as info:
        resolve_mapping(toml, classify(data))
    assert info.value.line is None and "line 1" not in str(info.value)


# GA360 BigQuery export, one row per visit (public schema): two visitors share visitId 7.
def _hit(number: int, ms: int, action: str, **extra: Any) -> dict[str, Any]:
    return {
        "hitNumber": number,
        "time": ms,
        "type": "PAGE" if action == "0" else "EVENT",
        "page": {"pagePath": "/p"},
        "eCommerceAction": {"action_type": action, "step": 1},
        "transaction": extra.pop("transaction", {"transactionRevenue": None}),
        "product": extra.pop("product", []),
    }


SKU = {
    "productSKU": "SKU-1",
    "v2ProductName": "Mug",
    "v2ProductCategory": "Home",
    "productBrand": "Acme",
    "productPrice": 12_500_000,
    "productQuantity": 2,
}
GA360_VISITS = [
    {
        "fullVisitorId": "111",
        "visitId": 7,
        "visitNumber": 1,
        "visitStartTime": 1_717_400_000,
        "totals": {"hits": 4, "transactionRevenue": 25_000_000},
        "device": {"deviceCategory": "mobile"},
        "geoNetwork": {"country": "Poland"},
        "trafficSource": {"source": "google"},
        "hits": [
            _hit(1, 0, "0"),
            _hit(2, 4_000, "2", product=[SKU]),
            _hit(3, 9_000, "3", product=[SKU]),
            _hit(4, 60_000, "6", product=[SKU], transaction={"transactionRevenue": 25_000_000}),
        ],
    },
    {
        "fullVisitorId": "222",
        "visitId": 7,
        "visitNumber": 1,
        "visitStartTime": 1_717_400_100,
        "totals": {"hits": 2, "transactionRevenue": None},
        "device": {"deviceCategory": "desktop"},
        "geoNetwork": {"country": "Germany"},
        "trafficSource": {"source": "(direct)"},
        # two hits alike in every mapped column, told apart by hitNumber: both load
        "hits": [_hit(1, 0, "0"), _hit(2, 0, "0")],
    },
]


@pytest.mark.parametrize("container", ["ndjson", "parquet"])
def test_ga360_example_loads_visits_with_nested_hits(tmp_path: Path, container: str) -> None:
    data = _nested_file(tmp_path, "ga_sessions_20240603", GA360_VISITS, container)
    _build(tmp_path, [data], DOCS / "ga360.toml")
    db = tmp_path / "w.duckdb"
    order = "ORDER BY customer_id, source_line"
    events = query(
        db, f"SELECT customer_id, session_id, event_type, event_time::VARCHAR FROM events {order}"
    )
    assert events == [
        ("111", "111|7", "page_view", "2024-06-03 07:33:20"),
        ("111", "111|7", "product_view", "2024-06-03 07:33:24"),
        ("111", "111|7", "add_to_cart", "2024-06-03 07:33:29"),
        ("111", "111|7", "purchase", "2024-06-03 07:34:20"),
        ("222", "222|7", "page_view", "2024-06-03 07:35:00"),
        ("222", "222|7", "page_view", "2024-06-03 07:35:00"),
    ]
    products = query(db, f"SELECT product_id, price, quantity, revenue FROM events {order}")
    assert (
        products
        == [(None, None, None, None)]
        + [("SKU-1", 12.5, 2.0, None)] * 2
        + [("SKU-1", 12.5, 2.0, 25.0)]
        + [(None, None, None, None)] * 2
    )
    places = query(db, f"SELECT DISTINCT customer_id, country, device FROM events {order}")
    assert places == [("111", "Poland", "mobile"), ("222", "Germany", "desktop")]
    assert query(db, "SELECT customer_id, orders, revenue FROM customers ORDER BY 1") == [
        ("111", 1, 25.0),
        ("222", 0, 0.0),
    ]
    (source,) = warehouse_info(db)["sources"]
    assert (source["rows_read"], source["rows_loaded"], source["rows_rejected"]) == (6, 6, 0)
    assert source["shared_sessions"] == 0 and source["duplicates"] == "identical-lines"
    assert source["revenue_rule"] == (
        "column 'hits.transaction.transactionRevenue' ÷ 1e+06; empty stays empty"
    )


def test_a_visit_without_hits_is_rejected_not_lost(tmp_path: Path) -> None:
    visits = [GA360_VISITS[0], {**GA360_VISITS[1], "hits": []}]
    data = _nested_file(tmp_path, "ga", visits, "ndjson")
    _build(tmp_path, [data], DOCS / "ga360.toml")
    (source,) = warehouse_info(tmp_path / "w.duckdb")["sources"]
    assert (source["rows_read"], source["rows_loaded"], source["rows_rejected"]) == (5, 4, 1)
    [(line, column, reason, _)] = _rejects(tmp_path)
    assert (line, column, reason) == (5, "hits", "record 2 has no elements in 'hits' to load")


def test_explode_needs_a_list(tmp_path: Path) -> None:
    data = _nested_file(tmp_path, "flat", [{"ts": "2024-05-01", "a": "view", "w": "c"}], "ndjson")
    toml = _write(
        tmp_path,
        "m.toml",
        'explode = "a"\n[columns]\nevent_time = "ts"\nevent_type = "a"\ncustomer_id = "w"\n'
        '[event_types]\nproduct_view = ["view"]\n',
    )
    with pytest.raises(NothingLoadedError, match="not a list"):
        _build(tmp_path, [data], toml)


# --------------------------------------------------------------------------- 10 messages, info


def test_info_shows_the_values_to_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(
        tmp_path,
        "e.csv",
        "ts,who,action\n2024-05-01 10:00,c1,view\n2024-05-01 10:01,c1,wish\n"
        "2024-05-01 10:02,c1,wish\n2024-05-01 10:03,c1,search\nyesterday,c1,view\n",
    )
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n',
    )
    _build(tmp_path, [data], toml)
    reasons = warehouse_info(tmp_path / "w.duckdb")["top_rejection_reasons"]
    unknown = next(r for r in reasons if r["reason"].startswith("unknown event type"))
    assert unknown["top_values"] == "'wish' ×2, 'search' ×1"
    assert unknown["first_at"] == "line 3"
    times = next(r for r in reasons if r["reason"].startswith("unparsable timestamp"))
    assert times["top_values"] == "'yesterday' ×1"
    assert shopsight(["info", "--db", str(tmp_path / "w.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "values: 'wish' ×2, 'search' ×1" in out
    assert "duplicates: identical-lines; revenue: price × quantity" in out


def test_a_forced_format_is_not_reported_as_looks_like(tmp_path: Path) -> None:
    data = _write(tmp_path, "e.csv", "event_time,event_type\n2024-05-01,view\n")
    with pytest.raises(NothingLoadedError) as info:
        build_warehouse(tmp_path / "w.duckdb", [str(data)], BuildOptions(format="event-log"))
    message = str(info.value)
    assert "looks like" not in message
    assert "--format event-log (rees46) needs column(s)" in message


def test_parquet_rejects_say_record_not_line(tmp_path: Path) -> None:
    data = _nested_file(tmp_path, "bad", [{"ts": "nope", "action": "view", "who": "c1"}], "parquet")
    toml = _write(
        tmp_path,
        "m.toml",
        '[columns]\nevent_time = "ts"\nevent_type = "action"\ncustomer_id = "who"\n'
        '[event_types]\nproduct_view = ["view"]\n',
    )
    with pytest.raises(NothingLoadedError) as info:
        _build(tmp_path, [data], toml)
    assert f"{data}, record 1, column 'ts'" in str(info.value)


def test_mapping_keys_are_checked(tmp_path: Path) -> None:
    from warehouse.mapping import load_mapping

    base = '[columns]\nevent_time = "ts"\nevent_type = "a"\ncustomer_id = "w"\n'
    events = '[event_types]\nproduct_view = ["view"]\n'
    cases = {
        'duplicates = "lines"\n' + base + events: "duplicates must be",
        'empty_revenue = "reject"\n' + base + events: "needs a revenue column",
        base.replace('"ts"', '{ constant = "2024" }') + events: "cannot be a constant",
        base + 'price = ["a", "b"]\n' + events: "only session_id, customer_id, product_id",
        "money_divisor = 0\n" + base + events: "money_divisor must be a number above 0",
    }
    for number, (text, expected) in enumerate(cases.items()):
        path = _write(tmp_path, f"m{number}.toml", text)
        with pytest.raises(IngestError, match=expected):
            load_mapping(path)
