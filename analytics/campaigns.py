"""Campaigns, measured: the cohort a campaign freezes, the power check before launch and
the report after the data arrives (treatment against control on the campaign's goal).

The members (with their group) live in the app-state store (``appstate.campaigns``); they
come in here as a frame, so analytics stays below appstate. Statistics are in
:mod:`analytics.campaign_stats`; docs/campaigns.md explains them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import polars as pl

from analytics.campaign_stats import (
    Estimate,
    PowerCheck,
    mean_difference,
    power_check_mean,
    power_check_rate,
    proportion_difference,
)
from analytics.cohort import Cohort
from analytics.cohort_relations import cohort_query
from analytics.cohort_sql import compile_cohort, warehouse_shape
from common.errors import ShopSightError
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

Goal = Literal["purchase", "revenue", "return_visit"]
GOALS: tuple[Goal, ...] = ("purchase", "revenue", "return_visit")
TREATMENT, CONTROL = "treatment", "control"
#: The columns of a member frame (``group`` is treatment or control).
MEMBER_COLUMNS = (
    "customer_id",
    "group",
    "churn_tier",
    "segment",
    "purchase_prob",
    "churn_prob",
    "predicted_revenue",
)
#: The outcome column of each goal in ``campaign_outcomes.sql``.
_OUTCOME = {"purchase": "bought", "revenue": "revenue", "return_visit": "returned"}


class CampaignError(ShopSightError):
    """A campaign cannot be created or measured as asked (the message says why)."""


def campaign_candidates(reader: WarehouseReader, cohort: Cohort) -> pl.DataFrame:
    """The cohort's customers with the scores a campaign freezes (NULL where unscored)."""
    shape = warehouse_shape(reader)
    if not shape.has_customers:
        why = shape.reasons.get("has_customer_ids", "no customer ids")
        raise CampaignError(f"this data has no customer ids ({why}), so no campaign list")
    compiled = compile_cohort(cohort, shape)
    return reader.frame(
        cohort_query("campaign_candidates", compiled, "cohort_customers"), compiled.params
    )


def power_check(members: pl.DataFrame, goal: Goal) -> PowerCheck:
    """The smallest lift these members and this split can detect (80 % power, 5 % two-sided),
    from the members' current predictions: purchase probability for a purchase goal,
    1 - churn probability for a return visit, predicted revenue for revenue."""
    n_t = int((members.get_column("group") == TREATMENT).sum())
    n_c = int((members.get_column("group") == CONTROL).sum())
    if goal == "revenue":
        return power_check_mean(_floats(members, "predicted_revenue"), n_t, n_c)
    if goal == "return_visit":
        return power_check_rate([1 - p for p in _floats(members, "churn_prob")], n_t, n_c)
    return power_check_rate(_floats(members, "purchase_prob"), n_t, n_c)


def _floats(frame: pl.DataFrame, column: str) -> list[float]:
    return [float(v) for v in frame.get_column(column).drop_nulls().to_list()]


@dataclass(frozen=True)
class Breakdown:
    """Uplift within one churn tier or segment."""

    key: str
    treatment_members: int
    control_members: int
    estimate: Estimate


@dataclass(frozen=True)
class Calibration:
    """A model's mean prediction for the control group against what the group did."""

    model: str
    predicted: float | None
    observed: float | None
    members: int
    note: str


@dataclass(frozen=True)
class CampaignReport:
    goal: Goal
    window_start: date
    window_end: date
    data_until: datetime | None
    data_arrived: bool
    window_complete: bool
    treatment_members: int
    control_members: int
    estimate: Estimate
    incremental_conversions: tuple[float, float, float] | None
    incremental_revenue: tuple[float, float, float] | None
    by_tier: list[Breakdown] = field(default_factory=list)
    by_segment: list[Breakdown] = field(default_factory=list)
    calibration: list[Calibration] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.estimate.verdict

    def document(self) -> dict[str, Any]:
        """The report as JSON-ready values (``campaign report --json``)."""
        document = asdict(self)
        document["verdict"] = self.verdict
        document["estimate"]["verdict"] = self.estimate.verdict
        for part in ("by_tier", "by_segment"):
            for row, breakdown in zip(document[part], getattr(self, part), strict=True):
                row["estimate"]["verdict"] = breakdown.estimate.verdict
        return document


def campaign_outcomes(
    reader: WarehouseReader, customer_ids: Iterable[str], start: date, window_days: int
) -> pl.DataFrame:
    """Each member's bought / revenue / returned in the window (zeros without events)."""
    window_start = datetime(start.year, start.month, start.day)
    return reader.frame(
        load_sql("campaign_outcomes", "analytics"),
        {
            "customer_ids": list(customer_ids),
            "window_start": window_start,
            "window_end": window_start + timedelta(days=window_days),
        },
    )


def campaign_report(
    reader: WarehouseReader,
    members: pl.DataFrame,
    goal: Goal,
    start: date,
    window_days: int,
    *,
    seed: int = 0,
) -> CampaignReport:
    """Treatment against control on ``goal`` within ``window_days`` from ``start``."""
    if goal not in GOALS:
        raise CampaignError(f"goal {goal!r} is not one of {', '.join(GOALS)}")
    outcomes = campaign_outcomes(
        reader, members.get_column("customer_id").to_list(), start, window_days
    )
    joined = members.join(outcomes, on="customer_id", how="left")
    until = reader.rows("SELECT max(event_time) FROM events")[0][0]
    window_end = start + timedelta(days=window_days)
    arrived = until is not None and until.date() >= start
    # Complete once the data reaches the window's last day (events are loaded by day).
    complete = until is not None and until.date() >= window_end - timedelta(days=1)
    n_t = int((joined.get_column("group") == TREATMENT).sum())
    n_c = int((joined.get_column("group") == CONTROL).sum())
    estimate = (
        _estimate(joined, goal, seed)
        if arrived
        else Estimate(None, None, None, None, None, None, "no data after the start yet")
    )
    return CampaignReport(
        goal=goal,
        window_start=start,
        window_end=window_end,
        data_until=until,
        data_arrived=arrived,
        window_complete=complete,
        treatment_members=n_t,
        control_members=n_c,
        estimate=estimate,
        incremental_conversions=_incremental(_estimate(joined, "purchase", seed), n_t)
        if arrived
        else None,
        incremental_revenue=_incremental(_estimate(joined, "revenue", seed), n_t)
        if arrived
        else None,
        by_tier=_breakdown(joined, "churn_tier", goal, seed) if arrived else [],
        by_segment=_breakdown(joined, "segment", goal, seed) if arrived else [],
        calibration=_calibration(joined, window_days) if arrived else [],
    )


def _estimate(frame: pl.DataFrame, goal: Goal, seed: int) -> Estimate:
    column = _OUTCOME[goal]
    treated = frame.filter(pl.col("group") == TREATMENT).get_column(column)
    control = frame.filter(pl.col("group") == CONTROL).get_column(column)
    if goal == "revenue":
        return mean_difference(
            treated.cast(pl.Float64).to_list(), control.cast(pl.Float64).to_list(), seed=seed
        )
    return proportion_difference(
        int(treated.sum()), treated.len(), int(control.sum()), control.len()
    )


def _incremental(estimate: Estimate, n_treatment: int) -> tuple[float, float, float] | None:
    """The difference scaled to the treated members: (estimate, low, high)."""
    if estimate.difference is None or estimate.low is None or estimate.high is None:
        return None
    return (
        estimate.difference * n_treatment,
        estimate.low * n_treatment,
        estimate.high * n_treatment,
    )


def _breakdown(frame: pl.DataFrame, column: str, goal: Goal, seed: int) -> list[Breakdown]:
    rows = []
    keyed = frame.with_columns(pl.col(column).fill_null("(unscored)").alias("_key"))
    for key in sorted(set(keyed.get_column("_key").to_list())):
        part = keyed.filter(pl.col("_key") == key)
        n_t = int((part.get_column("group") == TREATMENT).sum())
        n_c = part.height - n_t
        rows.append(Breakdown(str(key), n_t, n_c, _estimate(part, goal, seed)))
    return rows


def _calibration(frame: pl.DataFrame, window_days: int) -> list[Calibration]:
    """Predicted against observed in the control group (the treatment's outcomes carry the
    campaign's effect). The models' horizons need not equal the window: the note says so."""
    control = frame.filter(pl.col("group") == CONTROL)
    note = f"observed over the {window_days}-day window; the model's own horizon may differ"
    checks = (
        ("purchase", "purchase_prob", control.get_column("bought").cast(pl.Float64)),
        ("churn", "churn_prob", 1.0 - control.get_column("returned").cast(pl.Float64)),
    )
    out = []
    for model, column, observed in checks:
        known = control.get_column(column).is_not_null()
        n = int(known.sum())
        predicted = control.get_column(column).filter(known).mean() if n else None
        seen = observed.filter(known).mean() if n else None
        out.append(
            Calibration(
                model,
                float(predicted) if isinstance(predicted, int | float) else None,
                float(seen) if isinstance(seen, int | float) else None,
                n,
                note,
            )
        )
    return out
