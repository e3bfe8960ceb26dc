"""Small warehouses shared by several test modules, and a helper to query one.

``add_fake_scores`` writes score tables with the columns ``shopsight score`` writes,
filled by fixed formulas of each customer's own numbers (not by a model), so tests of the
pages and queries are fast and know every expected value. ``trained_warehouse`` really
trains and scores (fast candidates): the what-if and model pages need real models.

The session fixtures in tests/conftest.py and tests/integration/conftest.py build each kind
once per test session; benchmarks call these functions directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from synthetic.shop import generate_events
from warehouse.build import build_warehouse
from warehouse.engine import run
from warehouse.versions import derived_version

FAKE_SCORES_SQL = """
CREATE TABLE customer_scores AS
SELECT
    customer_id,
    as_of,
    1 / (1 + exp(-(orders - 1.0))) AS purchase_prob,
    'test-purchase-v1' AS purchase_model_version,
    least(recency_days / 90.0, 1.0) AS churn_prob,
    CASE WHEN recency_days / 90.0 >= 0.6 THEN 'High'
         WHEN recency_days / 90.0 >= 0.3 THEN 'Medium' ELSE 'Low' END AS churn_tier,
    'test-churn-v1' AS churn_model_version,
    recency_days::VARCHAR || ' days since last visit raised churn risk' AS churn_reason_1,
    orders::VARCHAR || ' orders lowered churn risk' AS churn_reason_2,
    'no further factor' AS churn_reason_3,
    revenue / 10.0 AS predicted_revenue,
    least(recency_days / 90.0, 1.0) * revenue / 10.0 AS value_at_risk,
    (orders % 3)::BIGINT AS segment_id,
    ['Browsers', 'Buyers', 'Loyal'][(orders % 3) + 1] AS segment_name,
    CASE WHEN sessions = 1 THEN -1 ELSE (orders % 2) END::BIGINT AS hdbscan_segment_id,
    CASE WHEN sessions = 1 THEN 'Noise' ELSE 'Group ' || (orders % 2)::VARCHAR END
        AS hdbscan_segment_name,
    CASE WHEN orders >= 3 THEN 'Champions' WHEN orders >= 1 THEN 'Active' ELSE 'Lapsed' END
        AS rfm_tier
FROM customers
"""


#: A horizon short enough for every customer model on 90 days of data (3 horizons needed).
HORIZON_DAYS = 20


def query(db: Path, sql: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
    """Run a read-only query against a built warehouse."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.sql(sql, params=params) if params else con.sql(sql)
        return rel.fetchall()
    finally:
        con.close()


def generated_warehouse(root: Path, customers: int = 400, days: int = 120) -> Path:
    data = root / "data"
    generate_events(data, customers=customers, days=days, seed=11)
    db = root / "w.duckdb"
    build_warehouse(db, [str(data)])
    return db


def add_fake_scores(db: Path) -> None:
    profile = json.dumps(
        {
            "orders": {"mean": 2.0, "rest_mean": 0.5, "effect_size": 1.2},
            "recency_days": {"mean": 10.0, "rest_mean": 40.0, "effect_size": -0.9},
        }
    )
    with derived_version(db, "scores") as con:
        con.execute(FAKE_SCORES_SQL)
        run(con, "customers_scored")
        con.execute(
            "CREATE TABLE session_scores AS SELECT session_id, customer_id, "
            "0.1 AS conversion_prob, 'scored' AS conversion_status FROM sessions"
        )
        con.execute(
            "CREATE TABLE segments AS "
            "SELECT 'kmeans' AS method, 'customer' AS entity, segment_id, "
            "any_value(segment_name) AS segment_name, count(*) AS members, "
            "count(*) / sum(count(*)) OVER () AS share, $profile AS profile, "
            "'test-seg-v1' AS model_version FROM customer_scores GROUP BY segment_id "
            "UNION ALL "
            "SELECT 'hdbscan', 'customer', hdbscan_segment_id, any_value(hdbscan_segment_name), "
            "count(*), count(*) / sum(count(*)) OVER (), $profile, 'test-seg-v1' "
            "FROM customer_scores GROUP BY hdbscan_segment_id",
            {"profile": profile},
        )


def trained_warehouse(root: Path, customers: int = 400, days: int = 90) -> Path:
    """Generate, build, train (fast candidates) and score a small warehouse."""
    # Imported here: the model stack (scikit-learn, XGBoost) is slow to import, and most
    # users of this module only need a built warehouse.
    from threadpoolctl import threadpool_limits

    from models.score import score_models
    from models.train import TrainOptions, train_models

    db = generated_warehouse(root, customers=customers, days=days)
    # XGBoost's OpenMP threads and another process's tests fighting over two cores made
    # this fit take minutes instead of seconds; one thread keeps it near 10 s.
    with threadpool_limits(limits=1, user_api="openmp"):
        train_models(db, TrainOptions(fast=True, horizon_days=HORIZON_DAYS))
        score_models(db, None)
    return db
