"""Cohort query strings: parsing, validation, canonical form."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.cohort import Cohort, CohortError


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
