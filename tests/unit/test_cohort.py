"""Cohort query strings: parsing, validation, canonical form."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.cohort import Cohort, CohortError
from analytics.cohort_filters import BY_QUERY_KEY, FILTERS, CohortFilter
from analytics.cohort_sql import WarehouseShape, compile_cohort


def test_round_trip_and_canonical_order():
    cohort = Cohort.from_query("?min_churn_prob=0.6&country=UK&churn_tier=High&country=FR")
    assert cohort.country == ("FR", "UK")
    assert cohort.churn_tier == ("High",)
    assert cohort.min_churn_prob == 0.6
    assert cohort.to_query() == "churn_tier=High&country=FR&country=UK&min_churn_prob=0.6"
    assert Cohort.from_query(cohort.to_query()) == cohort


def test_empty_query_is_everyone():
    assert Cohort.from_query("").is_empty()
    assert Cohort.from_query(None).describe() == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour=red", "unknown filter"),
        ("min_churn_prob=1.5", "not a probability"),
        ("min_churn_prob=abc", "not a number"),
        ("min_churn_prob=nan", "not a finite number"),
        ("min_orders=-1", "must not be negative"),
        ("min_orders=2.5", "not a whole number"),
        ("churn_tier=Extreme", "not one of High, Medium, Low"),
        ("acquisition_month=2025-13", "not a month"),
        ("date_from=yesterday", "not a date"),
        ("date_from=2025-03-02&date_to=2025-03-01", "after date_to"),
        ("min_churn_prob=0.8&max_churn_prob=0.2", "is above"),
        ("carted_not_bought=maybe", "not true or false"),
        ("min_orders=1&min_orders=2", "takes one value"),
    ],
)
def test_bad_values_name_the_filter(query, message):
    with pytest.raises(CohortError) as info:
        Cohort.from_query(query)
    assert message in str(info.value)
    assert "cohort filter '" in str(info.value)


def test_values_are_kept_as_text_never_sql():
    cohort = Cohort.from_query({"country": ["UK'); DROP TABLE customers; --"]})
    assert cohort.country == ("UK'); DROP TABLE customers; --",)


def test_describe_in_plain_words():
    cohort = Cohort(
        date_from=date(2025, 1, 1),
        churn_tier=("High",),
        min_churn_prob=0.6,
        carted_not_bought=True,
        inactive_days=30,
    )
    assert cohort.describe() == [
        "active 2025-01-01 – …",
        "churn tier: High",
        "churn probability ≥ 60%",
        "added to cart but never bought",
        "inactive for 30+ days",
    ]


# ---- the filter table --------------------------------------------------------------------
def test_the_query_keys_are_the_contract():
    # Links, saved cohorts and `shopsight export --cohort` use these keys: renaming one in
    # the table must fail here, not in a user's bookmark.
    assert set(BY_QUERY_KEY) == {
        "date_from",
        "date_to",
        "acquisition_month",
        "country",
        "device",
        "traffic_source",
        "segment",
        "churn_tier",
        "rfm_tier",
        "min_purchase_prob",
        "max_purchase_prob",
        "min_churn_prob",
        "max_churn_prob",
        "min_predicted_revenue",
        "max_predicted_revenue",
        "carted_not_bought",
        "min_orders",
        "inactive_days",
    }
    query = "?churn_tier=High&min_churn_prob=0.6&country=UK"
    assert Cohort.from_query(query).to_query() == "churn_tier=High&country=UK&min_churn_prob=0.6"


def _sample(filt: CohortFilter) -> dict[str, object]:
    """A value for each query key of ``filt``."""
    if filt.kind == "dates":
        return dict(zip(filt.query_keys, (date(2025, 1, 1), date(2025, 2, 1)), strict=True))
    if filt.kind == "range":
        return dict(zip(filt.query_keys, (0.2, 0.8), strict=True))
    if filt.kind == "choice":
        return {filt.key: (filt.choices[0] if filt.choices else "2025-01",)}
    return {filt.key: True if filt.kind == "flag" else 2}


@pytest.mark.parametrize("filt", FILTERS, ids=lambda f: f.key)
def test_every_filter_round_trips_and_has_a_chip(filt):
    cohort = Cohort(**_sample(filt))
    assert Cohort.from_query(cohort.to_query()) == cohort
    assert len(cohort.describe()) == 1
    for key, value in _sample(filt).items():
        assert getattr(cohort, key) == value


def test_the_constructor_checks_values():
    assert Cohort(country="UK").country == ("UK",)
    assert Cohort(country=["UK", "FR", "UK"]) == Cohort.from_query("country=FR&country=UK")
    assert Cohort(carted_not_bought=False, country=()).is_empty()
    for bad, message in [
        ({"bogus": 1}, "unknown filter"),
        ({"min_orders": "many"}, "not a whole number"),
        ({"min_orders": True}, "not a whole number"),
        ({"country": [1]}, "takes text values"),
        ({"min_churn_prob": 2}, "not a probability"),
        ({"date_from": date(2025, 2, 1), "date_to": date(2025, 1, 1)}, "after date_to"),
    ]:
        with pytest.raises(CohortError, match=message):
            Cohort(**bad)


def _shape(customers: bool = True, scores: bool = True) -> WarehouseShape:
    columns = {
        "sessions": frozenset({"session_date", "customer_id", "country", "device"}),
        "customers": frozenset({"customer_id", "country", "orders", "sessions", "cart_adds"}),
    }
    if scores:
        columns["customer_scores"] = frozenset(
            {"customer_id", "churn_tier", "churn_prob", "segment_id", "rfm_tier"}
        )
    reasons = {"has_customer_ids": "the source has no user id column"}
    return WarehouseShape("b1", columns, {"has_customer_ids": customers}, reasons)


def test_values_reach_sql_only_as_parameters():
    sneaky = "UK'); DROP TABLE customers; --"
    compiled = compile_cohort(
        Cohort(country=(sneaky,), churn_tier=("High",), min_orders=2, min_churn_prob=0.5),
        _shape(),
    )
    sql = compiled.customers_sql + compiled.session_where + compiled.customer_count_sql
    assert "DROP" not in sql and "High" not in sql
    assert compiled.params == {
        "country": [sneaky],
        "churn_tier": ["High"],
        "min_orders": 2,
        "min_churn_prob": 0.5,
    }
    assert 'list_contains($country, s."country")' in compiled.session_where
    assert not compiled.sessions_from_customers


def test_filters_the_data_cannot_support_say_why():
    with pytest.raises(CohortError, match="no customer ids.*no user id column"):
        compile_cohort(Cohort(min_orders=1), _shape(customers=False))
    with pytest.raises(CohortError, match="shopsight train"):
        compile_cohort(Cohort(churn_tier=("High",)), _shape(scores=False))
    with pytest.raises(CohortError, match="have no predicted_revenue"):
        compile_cohort(Cohort(min_predicted_revenue=5.0), _shape())
    # Session-level filters apply without customer ids.
    assert compile_cohort(Cohort(country=("UK",)), _shape(customers=False)).params
