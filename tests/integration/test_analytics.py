"""Analytics queries against generated warehouses: every number checked another way."""

from __future__ import annotations

import pytest

from analytics.churn import churn_view
from analytics.cohort import Cohort, CohortError
from analytics.cohort_sql import compile_cohort, warehouse_shape
from analytics.explore import count, customer_page, facet_counts
from analytics.funnel import funnel, retention_matrix
from analytics.overview import kpis
from analytics.segments import segment_heatmap, segment_map_sample, segment_summary
from tests.support.warehouses import query
from warehouse.reader import WarehouseReader

COHORTS = [
    "",
    "date_from=2025-02-01&date_to=2025-03-15",
    "min_orders=1",
    "carted_not_bought=1",
    "inactive_days=30&acquisition_month=2025-01",
    "churn_tier=High",
    "segment=1&min_purchase_prob=0.5",
]


@pytest.mark.parametrize("q", COHORTS)
def test_counts_match_plain_sql(scored_db, q):
    reader = WarehouseReader(scored_db)
    cohort = Cohort.from_query(q)
    compiled = compile_cohort(cohort, warehouse_shape(reader))
    n = count(reader, cohort)
    customers = reader.rows(f"SELECT count(*) FROM ({compiled.customers_sql})", compiled.params)
    assert n.customers == customers[0][0]
    sessions = reader.rows(
        f"SELECT count(*) FROM sessions AS s WHERE {compiled.session_where}", compiled.params
    )
    assert n.sessions == sessions[0][0]


@pytest.mark.parametrize("q", ["", "date_from=2025-02-01&date_to=2025-03-15"])
def test_kpis_from_the_rollup_equal_the_sessions_mart(scored_db, q):
    reader = WarehouseReader(scored_db)
    cohort = Cohort.from_query(q)
    compiled = compile_cohort(cohort, warehouse_shape(reader))
    assert compiled.rollup_ok
    cards = {k.name: k for k in kpis(reader, cohort)}
    where = compiled.session_where
    direct = reader.rows(
        "SELECT count(*), count(*) FILTER (WHERE converted)::DOUBLE / count(converted), "
        "sum(hits)::DOUBLE / count(*), sum(revenue) FROM sessions AS s WHERE " + where,
        compiled.params,
    )[0]
    assert cards["sessions"].value == direct[0]
    assert cards["conversion_rate"].value == pytest.approx(direct[1])
    assert cards["hit_rate"].value == pytest.approx(direct[2])
    assert cards["revenue"].value == pytest.approx(direct[3])
    assert sum(v for _, v in cards["sessions"].trend) == direct[0]


def test_kpis_of_a_customer_cohort_use_the_sessions_mart(scored_db):
    reader = WarehouseReader(scored_db)
    cohort = Cohort(min_orders=2)
    assert not compile_cohort(cohort, warehouse_shape(reader)).rollup_ok
    cards = {k.name: k for k in kpis(reader, cohort)}
    repeat = cards["repeat_purchase_rate"]
    assert repeat.available and repeat.value == 1.0  # everyone here bought twice
    expected = query(
        scored_db,
        "SELECT count(*) FROM customer_scores WHERE churn_tier = 'High' "
        "AND customer_id IN (SELECT customer_id FROM customers WHERE orders >= 2)",
    )[0][0]
    assert cards["at_risk_customers"].value == expected


def test_score_filters_without_scores_say_what_to_do(plain_db):
    reader = WarehouseReader(plain_db)
    with pytest.raises(CohortError, match="shopsight train"):
        count(reader, Cohort(churn_tier=("High",)))
    cards = {k.name: k for k in kpis(reader, Cohort())}
    assert not cards["value_at_risk"].available
    assert "shopsight train" in cards["value_at_risk"].reason


def test_facets_and_paging(scored_db):
    reader = WarehouseReader(scored_db)
    tiers = facet_counts(reader, Cohort(), "churn_tier")
    assert tiers["value"].to_list()[0] == "High"  # tiers in risk order
    assert sum(tiers["count"]) == query(scored_db, "SELECT count(*) FROM customers")[0][0]
    segments = facet_counts(reader, Cohort(), "segment")
    assert set(segments["label"]) <= {"Browsers", "Buyers", "Loyal"}
    page, total = customer_page(
        reader, Cohort(min_orders=1), offset=10, limit=5, sort=[("orders", True)]
    )
    assert page.height == 5 and total == count(reader, Cohort(min_orders=1)).customers
    assert page["orders"].to_list() == sorted(page["orders"].to_list(), reverse=True)
    with pytest.raises(CohortError, match="cannot sort"):
        customer_page(reader, Cohort(), sort=[("revenue; DROP TABLE customers", False)])


def test_funnel_and_retention(scored_db):
    reader = WarehouseReader(scored_db)
    steps = funnel(reader, Cohort())
    assert steps.available
    counts = [s.sessions for s in steps.steps]
    assert counts == sorted(counts, reverse=True)
    assert [s.step for s in steps.steps] == [
        "Viewed a product or page",
        "Added to cart",
        "Purchased",
    ]
    purchased = query(scored_db, "SELECT count(*) FROM sessions WHERE purchases > 0")[0][0]
    assert counts[-1] == purchased
    matrix = retention_matrix(reader, Cohort())
    first_month = matrix.filter(matrix["months_since_acquisition"] == 0)
    assert set(first_month["retention_rate"].to_list()) == {1.0}


def test_churn_view_ranks_by_value_at_risk(scored_db):
    view = churn_view(WarehouseReader(scored_db), Cohort(), limit=50)
    assert view.available
    values = view.at_risk["value_at_risk"].to_list()
    assert values == sorted(values, reverse=True)
    assert set(view.at_risk["churn_tier"]) == {"High"}
    assert "churn_reason_1" in view.at_risk.columns
    assert (
        view.total_at_risk
        == query(scored_db, "SELECT count(*) FROM customer_scores WHERE churn_tier = 'High'")[0][0]
    )


def test_segments_summary_map_and_heatmap(scored_db):
    reader = WarehouseReader(scored_db)
    summary = segment_summary(reader, "kmeans")
    assert {s.name for s in summary} == {"Browsers", "Buyers", "Loyal"}
    assert (
        sum(s.members for s in summary) == query(scored_db, "SELECT count(*) FROM customers")[0][0]
    )
    # The test profile: orders 2.0 in the segment against 0.5 for everyone else; in words
    # against the average customer, the effect size only on hover (issue 11, item 7).
    average = summary[0].share * 2.0 + (1 - summary[0].share) * 0.5
    assert summary[0].profile[0] == f"{round((2.0 / average - 1) * 100)} % more orders than average"
    assert summary[0].profile_detail[0].startswith("effect size +1.20")
    assert "effect size" not in " ".join(p for s in summary for p in s.profile)
    hdbscan = segment_summary(reader, "hdbscan")
    assert hdbscan[-1].segment_id == -1  # the noise group is shown, last
    points = segment_map_sample(reader, "kmeans", points=100)
    assert points.height == 100 and {"x", "y", "segment_name"} <= set(points.columns)
    assert segment_heatmap(reader, "kmeans").height == 6


def test_churn_kpis_without_a_trained_churn_model_are_unavailable_not_zero(tmp_path, scored_db):
    # The score columns exist for every customer but hold nothing when churn could not be
    # trained (a 2.5-hour log): a count of "High" would read as a measured zero.
    import shutil

    from warehouse.versions import derived_version

    shutil.copytree(scored_db.parent, tmp_path, dirs_exist_ok=True, symlinks=True)
    db = tmp_path / scored_db.name
    with derived_version(db, "no-churn") as con:
        con.execute("UPDATE customer_scores SET churn_tier = NULL, value_at_risk = NULL")
    reader = WarehouseReader(db)
    try:
        cards = {k.name: k for k in kpis(reader, Cohort(), with_trend=False)}
    finally:
        reader.close()
    for name in ("at_risk_customers", "value_at_risk"):
        assert not cards[name].available, name
        assert "could not be trained" in (cards[name].reason or "")
    assert cards["sessions"].available
