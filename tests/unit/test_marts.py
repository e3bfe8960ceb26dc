"""The marts on a tiny event log whose every number is worked out by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS
from tests.support.warehouses import query
from warehouse.info import warehouse_info


@pytest.fixture
def tiny_db(write_file, build, tmp_path) -> Path:
    path = write_file("tiny.csv", "\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n")
    build(path)
    return tmp_path / "w.duckdb"


def test_sessions_mart(tiny_db):
    rows = query(
        tiny_db,
        "SELECT session_id, customer_id, hits, events, duration_seconds, distinct_products, "
        "distinct_categories, cart_adds, purchases, revenue, converted, cart_abandoned, bounced "
        "FROM sessions ORDER BY session_id",
    )
    assert rows == [
        ("s1", "u1", 2, 4, 600, 2, 2, 1, 1, 20.0, True, False, False),
        ("s2", "u1", 1, 4, 120, 2, 1, 1, 2, 50.0, True, False, False),
        ("s3", "u2", 1, 1, 0, 1, 1, 0, 0, 0.0, False, False, True),
        ("s4", "u2", 1, 2, 180, 1, 1, 1, 0, 0.0, False, True, False),
        ("s5", "u3", 2, 2, 120, 1, 1, 0, 0, 0.0, False, False, False),
    ]


def test_customers_mart(tiny_db):
    rows = query(
        tiny_db,
        "SELECT customer_id, sessions, orders, revenue, is_repeat_purchaser, "
        "cart_abandonment_rate, round(mean_days_between_orders, 4), recency_days, tenure_days, "
        "acquisition_month FROM customers ORDER BY customer_id",
    )
    assert rows == [
        ("u1", 2, 2, 70.0, True, 0.0, round((45 * 24 + 2) / 24, 4), 15, 60, date(2024, 3, 1)),
        ("u2", 2, 0, 0.0, False, 1.0, None, 10, 51, date(2024, 3, 1)),
        ("u3", 1, 0, 0.0, False, None, None, 0, 0, date(2024, 4, 1)),
    ]


def test_cohort_retention(tiny_db):
    rows = query(
        tiny_db,
        "SELECT acquisition_month, months_since_acquisition, cohort_size, active_customers, "
        "buying_customers, retention_rate FROM cohort_retention",
    )
    assert rows == [
        (date(2024, 3, 1), 0, 2, 2, 1, 1.0),
        (date(2024, 3, 1), 1, 2, 2, 1, 1.0),
        (date(2024, 4, 1), 0, 1, 1, 0, 1.0),
    ]


def test_daily_rollup_adds_up_to_the_sessions_mart(tiny_db):
    rollup = query(
        tiny_db,
        "SELECT sum(sessions), sum(converted_sessions), sum(revenue), "
        "sum(abandoned_sessions), sum(bounced_sessions) FROM daily_sessions",
    )
    assert rollup == [(5, 2, 70.0, 1, 1)]


def test_metrics_and_capabilities(tiny_db):
    info = warehouse_info(tiny_db)
    metrics = {name: m.get("value") for name, m in info["metrics"].items()}
    assert metrics == {
        "hit_rate": pytest.approx(7 / 5),
        "bounce_rate": pytest.approx(1 / 5),
        "conversion_rate": pytest.approx(2 / 5),
        "cart_abandonment_rate": pytest.approx(1 / 3),
        "repeat_purchase_rate": pytest.approx(1.0),
    }
    assert info["capabilities"] == {
        "has_customer_ids": True,
        "has_purchases": True,
        "has_carts": True,
        "has_clock_time": True,
        "has_revenue": True,
        "has_page_views": True,
        "has_complete_journeys": True,
        "is_session_aggregate": False,
    }
    assert info["tables"]["events"] == len(EVENTS)
    (source,) = info["sources"]
    assert source["rows_read"] == source["rows_loaded"] == len(EVENTS)


def test_events_have_a_date_key(tiny_db):
    assert query(tiny_db, "SELECT count(*) FROM events WHERE event_date <> event_time::DATE") == [
        (0,)
    ]


def test_sessions_are_derived_by_inactivity_gap_where_the_source_has_none(
    write_file, build, tmp_path
):
    lines = [
        "2024-03-01 10:00:00 UTC,view,p1,1,a,b,1,u9,",
        "2024-03-01 10:10:00 UTC,view,p2,1,a,b,1,u9,",
        "2024-03-01 11:00:00 UTC,view,p3,1,a,b,1,u9,",  # 50 minutes later: a new session
    ]
    path = write_file("nosession.csv", "\n".join([EVENT_LOG_HEADER, *lines]) + "\n")
    build(path)
    db = tmp_path / "w.duckdb"
    assert query(db, "SELECT session_id, events FROM sessions ORDER BY 1") == [
        ("u9#1", 2),
        ("u9#2", 1),
    ]
    build(path, session_gap_minutes=60, force=True)
    assert query(db, "SELECT count(*) FROM sessions") == [(1,)]
