"""What the models add to the catalogue: their outputs, the columns derived from them (value
at risk, expected revenue, the churn tier) and the score KPIs, each defined once.

Registered into :data:`warehouse.catalogue.CATALOGUE` on import, so the catalogue's
mechanism stays in the warehouse layer and these entries sit with the models they describe.
``shopsight score`` and the what-if engine both compute the derived columns from here.
"""

from __future__ import annotations

from models.tiers import HIGH_RISK, churn_tier
from warehouse.catalogue import CATALOGUE as CATALOGUE  # with the model entries registered
from warehouse.catalogue import Column, product
from warehouse.metrics import Metric

_CUSTOMER = ("customer",)
_SESSION = ("session",)
_CUSTOMER_IDS = ("has_customer_ids",)

PURCHASE_PROB = Column(
    "purchase_prob",
    _CUSTOMER,
    "Purchase chance",
    "probability",
    "Calibrated probability that the customer buys within the horizon.",
    requires=_CUSTOMER_IDS,
    task="customer_purchase",
)
PREDICTED_REVENUE = Column(
    "predicted_revenue",
    _CUSTOMER,
    "Predicted revenue",
    "money",
    "Revenue the customer is predicted to bring within the horizon.",
    requires=_CUSTOMER_IDS,
    task="customer_revenue",
)
CHURN_PROB = Column(
    "churn_prob",
    _CUSTOMER,
    "Churn probability",
    "probability",
    "Calibrated probability that the customer does not come back within the horizon.",
    requires=_CUSTOMER_IDS,
    task="customer_churn",
)
VALUE_AT_RISK = Column(
    "value_at_risk",
    _CUSTOMER,
    "Value at risk",
    "money",
    "P(churn) × predicted revenue over the horizon.",
    requires=_CUSTOMER_IDS,
    inputs=("churn_prob", "predicted_revenue"),
    formula=product,
)
CHURN_TIER = Column(
    "churn_tier",
    _CUSTOMER,
    "Churn tier",
    "tier",
    "High ≥ 0.6 > Medium ≥ 0.3 > Low, bands of the calibrated churn probability.",
    requires=_CUSTOMER_IDS,
    inputs=("churn_prob",),
    formula=churn_tier,
)
CONVERSION_PROB = Column(
    "conversion_prob",
    _SESSION,
    "Conversion chance",
    "probability",
    "Probability that the session ends in a purchase, from its pre-checkout behaviour.",
    task="session_conversion",
)
PREDICTED_ORDER_VALUE = Column(
    "predicted_order_value",
    _SESSION,
    "Order value if it converts",
    "money",
    "The order value predicted for the session should it convert.",
    task="session_revenue",
)
EXPECTED_REVENUE = Column(
    "expected_revenue",
    _SESSION,
    "Expected revenue",
    "money",
    "Conversion chance × order value if it converts.",
    inputs=("conversion_prob", "predicted_order_value"),
    formula=product,
)

#: The what-if outputs per entity, in the order the page shows them.
CUSTOMER_OUTPUTS: tuple[Column, ...] = (PURCHASE_PROB, PREDICTED_REVENUE, CHURN_PROB, VALUE_AT_RISK)
SESSION_OUTPUTS: tuple[Column, ...] = (CONVERSION_PROB, PREDICTED_ORDER_VALUE, EXPECTED_REVENUE)

# Score-based KPIs: counts over the customers' scores. ``score_columns`` are the
# customer_scores columns each reads (missing: scored before, or never).
AT_RISK_CUSTOMERS = Metric(
    name="at_risk_customers",
    label="At-risk customers",
    definition=f"Customers in the High churn tier (calibrated churn probability ≥ {HIGH_RISK:g}).",
    mart="customers",
    numerator="count(*) FILTER (WHERE churn_tier = 'High')",
    denominator="1",
    requires=_CUSTOMER_IDS,
    unit="count",
)
VALUE_AT_RISK_TOTAL = Metric(
    name="value_at_risk",
    label=VALUE_AT_RISK.label,
    definition="Sum over customers of P(churn) × predicted revenue over the horizon.",
    mart="customers",
    numerator="coalesce(sum(value_at_risk), 0)",
    denominator="1",
    requires=_CUSTOMER_IDS,
    unit=VALUE_AT_RISK.unit,
)
SCORE_METRICS: tuple[Metric, ...] = (AT_RISK_CUSTOMERS, VALUE_AT_RISK_TOTAL)
#: The customer_scores column each score KPI reads.
SCORE_METRIC_COLUMNS: dict[str, str] = {
    AT_RISK_CUSTOMERS.name: CHURN_TIER.name,
    VALUE_AT_RISK_TOTAL.name: VALUE_AT_RISK.name,
}

CATALOGUE.register(*CUSTOMER_OUTPUTS, *SESSION_OUTPUTS, CHURN_TIER, *SCORE_METRICS)
