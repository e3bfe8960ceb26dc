"""Acceptance against the real public datasets in ../shared/data (facts from its README).

Each test skips, with the reason, only when that folder is absent.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from tests.support.warehouses import query
from warehouse.build import BuildOptions, build_warehouse
from warehouse.codebook import load_codebook, parse_description
from warehouse.info import warehouse_info

# Whole-dataset builds and fits: slow by nature, so `run.sh test-fast` leaves them out.
pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data):
    """Build each dataset once per module: name → db path."""
    cache: dict[str, Path] = {}

    def _get(name: str, *relative: str) -> Path:
        if name not in cache:
            db = tmp_path_factory.mktemp(name) / "w.duckdb"
            build_warehouse(db, [str(shared_data / r) for r in relative])
            cache[name] = db
        return cache[name]

    return _get


def test_uci_clickstream(built):
    db = built("uci", "uci_clickstream/e-shop_clothing_2008.csv.zst")
    info = warehouse_info(db)
    assert info["tables"]["events"] == 165_474
    assert info["tables"]["sessions"] == 24_026
    assert query(db, "SELECT count(DISTINCT product_id) FROM events") == [(217,)]
    assert info["capabilities"]["has_purchases"] is False
    assert info["capabilities"]["has_customer_ids"] is False
    assert info["capabilities"]["has_clock_time"] is False
    assert "browse-only" in info["capability_reasons"]["has_purchases"]
    assert info["metrics"]["conversion_rate"]["available"] is False
    (source,) = info["sources"]
    assert (source["rows_read"], source["rows_loaded"], source["rows_rejected"]) == (
        165_474,
        165_474,
        0,
    )
    # The codebook is decoded: 29 = Poland holds 81.0 % of clicks, 1..4 are category names.
    top = query(db, "SELECT country, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 2")
    assert [c for c, _ in top] == ["Poland", "Czech Republic"]
    assert round(top[0][1] / 165_474, 3) == 0.810
    assert sorted(r[0] for r in query(db, "SELECT DISTINCT category FROM events")) == [
        "blouses",
        "sale",
        "skirts",
        "trousers",
    ]
    depth = query(db, "SELECT deepest_page, count(*) FROM sessions GROUP BY 1 ORDER BY 1")
    assert depth == [(1, 9_522), (2, 5_379), (3, 4_346), (4, 3_148), (5, 1_631)]
    assert query(db, "SELECT count(*) FROM sessions WHERE bounced") == [(5_042,)]
    # No purchase data: conversion is NULL, never a made-up false.
    assert query(db, "SELECT count(converted), count(revenue) FROM sessions") == [(0, 0)]


def test_train_and_test_split_files_give_back_the_uci_sessions(built):
    uci = built("uci", "uci_clickstream/e-shop_clothing_2008.csv.zst")
    split = built(
        "split",
        "clickstream_train_test/train_data.csv.zst",
        "clickstream_train_test/test_data.csv.zst",
    )
    columns = (
        "session_id, session_start, session_end, events, hits, distinct_products, "
        "distinct_categories, deepest_page, country, bounced, landing_page"
    )
    sql = f"SELECT {columns} FROM sessions ORDER BY session_id"
    assert query(split, sql) == query(uci, sql)
    info = warehouse_info(split)
    assert {s["variant"] for s in info["sources"]} == {"train-test-split"}
    assert sum(s["rows_read"] for s in info["sources"]) == 165_474


def test_online_shoppers(built):
    db = built("shoppers", "online_shoppers/online_shoppers_intention.csv")
    info = warehouse_info(db)
    assert info["tables"]["sessions"] == 12_330
    assert info["tables"]["events"] == 0
    assert query(db, "SELECT count(*) FROM sessions WHERE converted") == [(1_908,)]
    assert query(db, "SELECT count(*) FROM sessions WHERE weekend") == [(2_868,)]
    assert query(db, "SELECT visitor_type, count(*) FROM sessions GROUP BY 1 ORDER BY 2 DESC") == [
        ("Returning_Visitor", 10_551),
        ("New_Visitor", 1_694),
        ("Other", 85),
    ]
    names = {r[0] for r in query(db, "SELECT column_name FROM (DESCRIBE sessions)")}
    # All 18 columns of the UCI file, under their snake_case names.
    for column in """administrative administrative_duration informational informational_duration
        product_related product_related_duration bounce_rates exit_rates page_values special_day
        month operating_systems browser region traffic_type visitor_type weekend
        revenue_label""".split():
        assert column in names
    assert info["capabilities"]["is_session_aggregate"] is True
    assert info["metrics"]["conversion_rate"]["value"] == pytest.approx(1_908 / 12_330)


def test_online_retail(built):
    db = built("retail", "online_retail/online_retail.parquet")
    info = warehouse_info(db)
    (source,) = info["sources"]
    assert source["rows_read"] == 541_909
    assert source["rows_loaded"] + source["rows_rejected"] == 541_909
    assert source["rows_rejected"] == 5_268  # the file's exact duplicate rows
    assert info["tables"]["sessions"] == 25_900
    assert info["tables"]["customers"] == 4_372
    assert info["capabilities"]["has_purchases"] is True
    assert info["capabilities"]["has_carts"] is False
    assert info["metrics"]["cart_abandonment_rate"]["available"] is False
    assert query(db, "SELECT count(*) FROM events WHERE product_name = 'nan'") == [(0,)]
    non_products = query(
        db,
        "SELECT count(*) FROM events WHERE product_id IN ('POST', 'DOT', 'M', 'BANK CHARGES', "
        "'AMAZONFEE', 'D')",
    )
    assert non_products == [(0,)]
    returns = query(db, "SELECT count(DISTINCT session_id) FROM events WHERE event_type='return'")
    assert returns[0][0] > 3_000  # 3,836 cancellation invoices, minus fee-only ones


def test_online_retail_ii_and_xlsx_overlap_is_not_counted_twice(shared_data, tmp_path):
    """Online Retail II renames columns and stores dates as text; its first sheet overlaps
    Online Retail I on 2010-12-01…09. Loading I plus an II-shaped XLSX of that overlap must
    not count those lines twice."""
    source = pl.read_parquet(shared_data / "online_retail/online_retail.parquet")
    overlap = source.filter(pl.col("InvoiceDate") < pl.datetime(2010, 12, 10)).head(3000)
    ii = overlap.rename(
        {"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"}
    ).with_columns(pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S"))
    workbook = tmp_path / "online_retail_II.xlsx"
    ii.write_excel(workbook)
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [str(shared_data / "online_retail/online_retail.parquet"), str(workbook)])
    info = warehouse_info(db)
    by_variant = {s["variant"]: s for s in info["sources"]}
    xlsx = by_variant["online-retail-ii"]
    assert xlsx["rows_read"] == 3000
    assert xlsx["rows_loaded"] == 0
    assert xlsx["rows_rejected"] == 3000
    assert info["tables"]["sessions"] == 25_900
    assert info["tables"]["customers"] == 4_372
    assert query(db, "SELECT count(*) FROM events") == [(541_909 - 5_268,)]
    reasons = query(
        db,
        "SELECT reason FROM rejected_rows WHERE file = $f ORDER BY line LIMIT 1",
        {"f": str(workbook)},
    )
    assert "already loaded from" in reasons[0][0] and "online_retail.parquet" in reasons[0][0]


def test_ga4_sample(built):
    db = built("ga4", "ga4_sample/ga4_events_sampled.snappy.parquet")
    info = warehouse_info(db)
    assert info["tables"]["events"] == 24_219
    assert info["tables"]["customers"] == 19_210
    assert info["tables"]["sessions"] == 20_705
    assert query(db, "SELECT count(*) FROM events WHERE event_type = 'purchase'") == [(624,)]
    assert query(db, "SELECT round(sum(revenue)) FROM events") == [(41_529.0,)]
    devices = dict(query(db, "SELECT device, count(*) FROM events GROUP BY 1"))
    assert devices == {"desktop": 13_947, "mobile": 9_755, "tablet": 517}
    # An event sample breaks journeys: rates that would be artefacts are refused.
    assert info["capabilities"]["has_complete_journeys"] is False
    assert info["metrics"]["conversion_rate"]["available"] is False
    assert "sampled" in info["metrics"]["conversion_rate"]["reason"]


def test_shipped_codebook_equals_uci_description(shared_data):
    description = shared_data / "uci_clickstream/e-shop_clothing_2008_data_description.txt"
    assert parse_description(description.read_bytes()) == load_codebook()
    archive = shared_data / "uci_clickstream/clickstream+data+for+online+shopping.zip"
    with zipfile.ZipFile(archive) as z:
        original = z.read("e-shop clothing 2008 data description.txt")
    with pytest.raises(UnicodeDecodeError):
        original.decode("utf-8")  # the UCI original is Windows-1250
    assert parse_description(original) == load_codebook()


def test_uci_builds_with_explicit_format(shared_data, tmp_path):
    db = tmp_path / "w.duckdb"
    result = build_warehouse(
        db,
        [str(shared_data / "uci_clickstream/e-shop_clothing_2008.csv.zst")],
        BuildOptions(format="uci-clickstream"),
    )
    assert result.sources[0].rows_loaded == 165_474


def test_ga4_newline_delimited_json_gives_the_same_events(shared_data, tmp_path, built):
    """BigQuery exports GA4 as NDJSON too; the same events load from either form."""
    import duckdb

    parquet = shared_data / "ga4_sample/ga4_events_sampled.snappy.parquet"
    ndjson = tmp_path / "ga4_events.ndjson"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{ndjson}' (FORMAT json)")
    con.close()
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [str(ndjson)])
    info = warehouse_info(db)
    assert info["sources"][0]["format"] == "ga4-export"
    assert info["tables"]["events"] == 24_219
    assert info["tables"]["sessions"] == 20_705
    sql = "SELECT session_id, events, hits, purchases, round(revenue, 2) FROM sessions ORDER BY 1"
    assert query(db, sql) == query(
        built("ga4", "ga4_sample/ga4_events_sampled.snappy.parquet"), sql
    )
