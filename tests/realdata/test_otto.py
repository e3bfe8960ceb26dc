"""The OTTO mapping (docs/examples/otto_nested.toml) on the real nested OTTO sample.

One JSON line per user with a list of events, loaded through ``explode`` without a flattening
step; the facts are those of ../shared/data/README.md. Skips, saying why, when the folder is
absent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.support.warehouses import query
from warehouse.build import BuildOptions, build_warehouse
from warehouse.info import warehouse_info

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

MAPPING = Path(__file__).resolve().parents[2] / "docs" / "examples" / "otto_nested.toml"


@pytest.fixture(scope="module")
def otto(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    """Build the nested sample with a 30- and a 60-minute gap: gap → db path."""
    source = shared_data / "real_event_samples" / "otto_sessions_nested.jsonl"
    built = {}
    for gap in (30, 60):
        db = tmp_path_factory.mktemp(f"otto{gap}") / "w.duckdb"
        build_warehouse(db, [str(source)], BuildOptions(mapping=MAPPING, session_gap_minutes=gap))
        built[gap] = db
    return built


def test_every_event_of_the_twenty_users_loads(otto) -> None:
    db = otto[30]
    (source,) = warehouse_info(db)["sources"]
    assert (source["rows_read"], source["rows_loaded"], source["rows_rejected"]) == (862, 862, 0)
    assert source["format"] == "mapping:otto-nested"
    assert source["line_unit"] == "row"  # one row per exploded event
    assert query(db, "SELECT count(DISTINCT customer_id) FROM events") == [(20,)]
    assert query(db, "SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1") == [
        ("add_to_cart", 52),
        ("product_view", 800),
        ("purchase", 10),
    ]
    first, last = query(db, "SELECT min(event_time), max(event_time) FROM events")[0]
    assert (first.replace(second=0, microsecond=0), last.replace(second=0, microsecond=0)) == (
        datetime(2022, 7, 31, 22, 0),
        datetime(2022, 8, 28, 21, 59),
    )
    assert query(db, "SELECT count(price), count(revenue) FROM events") == [(0, 0)]  # no prices


def test_visits_by_a_30_minute_gap(otto) -> None:
    db = otto[30]
    visits = query(
        db,
        "SELECT count(*), count(*) FILTER (WHERE purchases > 0), "
        "count(*) FILTER (WHERE cart_adds > 0), "
        "count(*) FILTER (WHERE cart_adds > 0 AND purchases = 0), "
        "count(*) FILTER (WHERE events = 1) FROM sessions",
    )
    assert visits == [(144, 5, 21, 17, 41)]
    buyers = query(
        db,
        "SELECT count(*) FILTER (WHERE orders > 0), count(*) FILTER (WHERE orders >= 2) "
        "FROM customers",
    )
    assert buyers == [(3, 2)]


def test_visits_by_a_60_minute_gap(otto) -> None:
    assert query(otto[60], "SELECT count(*) FROM sessions") == [(138,)]
