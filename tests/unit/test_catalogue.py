"""The catalogue: every entry has its words, unit and format; derived columns are computed by
one formula, so scoring (Polars) and what-if (numpy) give the same numbers."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import warehouse.catalogue as catalogue_module
from analytics.overview import all_kpi_metrics, format_value
from analytics.whatif import Profile, WhatIf
from models.outputs import (
    CATALOGUE,
    CHURN_TIER,
    CUSTOMER_OUTPUTS,
    EXPECTED_REVENUE,
    SESSION_OUTPUTS,
    VALUE_AT_RISK,
)
from models.tiers import churn_tier
from warehouse.catalogue import (
    Catalogue,
    Column,
    Currency,
    Unit,
    currency_for,
    format_count,
    format_month,
    format_timestamp,
    use_currency,
)


def test_every_entry_has_a_label_a_known_unit_and_a_format():
    assert CATALOGUE.columns and CATALOGUE.metrics
    for entry in (*CATALOGUE.columns.values(), *CATALOGUE.metrics.values()):
        assert entry.label.strip(), entry.name
        unit = CATALOGUE.unit(entry.unit)
        assert unit.name == entry.unit
        assert unit.text(1234.5), entry.name  # every unit shows a number as something
    for column in CATALOGUE.columns.values():
        assert column.definition.strip(), column.name
        assert column.entities and set(column.entities) <= {"customer", "session"}
        # A derived column names inputs the catalogue holds; a model output its task.
        for name in column.inputs:
            assert name in CATALOGUE.columns, (column.name, name)
    for output in (*CUSTOMER_OUTPUTS, *SESSION_OUTPUTS):
        assert output.task is not None or output.derived, output.name


def test_every_kpi_card_reads_its_metric_from_the_catalogue():
    for name, metric in all_kpi_metrics().items():
        assert CATALOGUE.metrics[name] is metric


def test_units_show_values_as_the_pages_always_have():
    assert format_value(0.1234, "ratio") == "12.3%"
    assert format_value(1234.567, "count") == "1,235"
    assert format_value(1234.567, "money") == "1,235"  # a KPI card drops cents from 1,000
    assert format_value(12.345, "money") == "12.35"
    assert format_value(2.5, "pages per session") == "2.50"
    money, share = CATALOGUE.unit("money"), CATALOGUE.unit("probability")
    assert money.text(1234.567) == "1,234.57"  # not compact: cents kept
    assert money.text(None) == "—" and money.text(math.nan) == "—"
    assert share.text(0.4567) == "45.7%"
    assert share.change(0.0123) == "+1.2 pts"
    assert money.change(-5.0) == "-5.00"
    assert share.hover() == "%{y:.1%}" and money.hover() == "%{y:,.2f}"
    assert CATALOGUE.unit("tier").text("High") == "High"


def test_grid_cells_use_the_same_formats():
    # An empty cell stays empty: d3 alone would print a missing value as 0.
    empty = "params.value == null ? '' : "
    assert CATALOGUE.grid_formatter("churn_prob") == {
        "function": empty + "d3.format('.0%')(params.value)"
    }
    for money in ("value_at_risk", "predicted_revenue", "revenue"):
        assert CATALOGUE.grid_formatter(money) == {
            "function": empty + "d3.format(',.2f')(params.value)"
        }
    assert CATALOGUE.grid_formatter("churn_tier") is None  # a name, shown as is
    assert CATALOGUE.grid_formatter("customer_id") is None  # not a catalogued number


def test_a_currency_plugs_into_every_money_format(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(catalogue_module, "CURRENCY", Currency("€"))
    money = CATALOGUE.unit("money")
    assert money.text(12.5) == "€12.50"
    assert format_value(2500.0, "money") == "€2,500"
    assert money.change(1.0) == "+€1.00" and money.text(-3.0) == "-€3.00"
    assert money.grid_formatter() == {
        "function": "params.value == null ? '' : '€' + d3.format(',.2f')(params.value)"
    }
    assert CATALOGUE.unit("probability").text(0.5) == "50.0%"  # shares carry no currency


def test_one_definition_per_name():
    catalogue = Catalogue({"money": Unit("money", ",.2f")}, {}, ())
    catalogue.register(VALUE_AT_RISK)
    catalogue.register(VALUE_AT_RISK)  # the same entry again: fine
    with pytest.raises(ValueError, match="already in the catalogue"):
        catalogue.register(replace(VALUE_AT_RISK, label="Something else"))
    with pytest.raises(ValueError, match="unknown unit"):
        catalogue.register(Column("x", ("customer",), "X", "furlongs", "x"))
    with pytest.raises(KeyError, match="no column 'nope'"):
        catalogue.column("nope")


class _FixedModel:
    """A stand-in model: returns given predictions, whatever the rows."""

    def __init__(self, values: np.ndarray, version: str) -> None:
        self.values = values
        self.names = ["feature"]
        self.meta = {"model_version": version}

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.resize(self.values, x.shape[0])


def _engine(predictors: dict[str, Any]) -> WhatIf:
    return WhatIf(
        predictors,
        {},
        anchor=None,
        horizon_days=30,
        ranges={},
        has_clock_time=True,
        is_aggregate=False,
        directory=Path("."),
    )


@pytest.mark.parametrize(
    ("churn", "revenue"),
    [(0.0, 0.0), (0.61, 1234.5), (0.3, 0.1), (1.0, 99_999.99), (0.123456789, 7.77)],
)
def test_value_at_risk_is_the_same_at_scoring_and_in_what_if(churn: float, revenue: float):
    # Scoring: the Polars expression over the score table (models.score uses it).
    scored = pl.DataFrame({"churn_prob": [churn], "predicted_revenue": [revenue]}).with_columns(
        VALUE_AT_RISK.expression(), CHURN_TIER.compute({"churn_prob": np.array([churn])})
    )
    # What-if: the engine on models predicting those very numbers.
    engine = _engine(
        {
            "customer_churn": _FixedModel(np.array([churn]), "churn-v1"),
            "customer_revenue": _FixedModel(np.array([revenue]), "revenue-v1"),
        }
    )
    profile = Profile("customer", "c1", "customer", "Customer c1", {"feature": 1.0})
    prediction = engine.predict(profile)
    assert prediction.value("value_at_risk") == scored["value_at_risk"][0]
    assert prediction.value("value_at_risk") == churn * revenue
    assert prediction.estimates["value_at_risk"].model_version == "churn-v1 × revenue-v1"
    assert prediction.churn_tier == str(churn_tier(np.array([churn]))[0])


def test_expected_revenue_is_the_same_at_scoring_and_in_what_if():
    conversion, order_value = np.array([0.05, 0.5, 0.9]), np.array([80.0, 12.5, 0.0])
    scored = pl.DataFrame(
        {"conversion_prob": conversion, "predicted_order_value": order_value}
    ).with_columns(EXPECTED_REVENUE.expression())
    engine = _engine(
        {
            "session_conversion": _FixedModel(conversion, "conv-v1"),
            "session_revenue": _FixedModel(order_value, "aov-v1"),
        }
    )
    profile = Profile("session", "s1", "session", "Session s1", {"feature": 1.0})
    # The engine predicts one row: the first pair of inputs.
    assert engine.predict(profile).value("expected_revenue") == scored["expected_revenue"][0]
    # Whole arrays (a curve's points) through the same formula.
    inputs = {"conversion_prob": conversion, "predicted_order_value": order_value}
    assert list(EXPECTED_REVENUE.compute(inputs)) == scored["expected_revenue"].to_list()


def test_a_missing_input_model_makes_the_derived_column_unavailable():
    assert VALUE_AT_RISK.compute({"churn_prob": np.array([0.5])}) is None
    engine = _engine({"customer_churn": _FixedModel(np.array([0.7]), "churn-v1")})
    profile = Profile("customer", "c1", "customer", "Customer c1", {"feature": 1.0})
    prediction = engine.predict(profile)
    assert prediction.value("churn_prob") == 0.7
    assert prediction.value("value_at_risk") is None
    assert "needs the customer_churn and customer_revenue models" in (
        prediction.estimates["value_at_risk"].describe()
    )


def test_a_currency_code_names_its_symbol_or_shows_itself():
    money = CATALOGUE.unit("money")
    assert currency_for("eur") == Currency("€", "EUR")
    assert currency_for(None) == Currency() and currency_for(" ") == Currency()
    with pytest.raises(ValueError, match="three-letter"):
        currency_for("euros")
    try:
        use_currency(currency_for("CHF"))  # no symbol: the code in front
        assert money.text(12.5) == "CHF 12.50" and money.change(-1.0) == "-CHF 1.00"
        use_currency(currency_for("GBP"))
        assert format_value(2500.0, "money") == "£2,500"  # a card: no cents from 1,000
    finally:
        use_currency(None)
    assert money.text(12.5) == "12.50"  # back to the process default: no currency


def test_months_timestamps_and_counts_have_one_format():
    assert format_month(date(2025, 3, 1)) == "2025-03" and format_month("2025-03-01") == "2025-03"
    assert format_timestamp(datetime(2025, 3, 31, 14, 5, 9, 123456)) == "2025-03-31 14:05:09"
    assert format_timestamp("2025-03-31T14:05:09.123456") == "2025-03-31 14:05:09"
    assert format_count(48697) == "48,697" and format_count(3697.0) == "3,697"


def test_a_ga4_export_states_its_money_in_us_dollars():
    from warehouse.build import stated_currency
    from warehouse.ledger import SourceResult

    def source(fmt: str, status: str = "loaded") -> Any:
        found = SourceResult.__new__(SourceResult)
        object.__setattr__(found, "format", fmt)
        object.__setattr__(found, "status", status)
        return found

    assert stated_currency([source("ga4-export")]) == "USD"
    assert stated_currency([source("ga4-export"), source("event-log")]) is None  # mixed
    assert stated_currency([source("event-log")]) is None
    assert stated_currency([source("ga4-export"), source("event-log", "failed")]) == "USD"
