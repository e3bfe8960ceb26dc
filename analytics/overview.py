"""KPI cards: each business metric over a cohort, with its definition, its monthly trend, or
the reason the data cannot support it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analytics.cohort import Cohort
from analytics.cohort_sql import CompiledCohort, WarehouseShape, compile_cohort, warehouse_shape
from analytics.model_verdicts import metric_caveat
from models.outputs import SCORE_METRIC_COLUMNS, SCORE_METRICS
from warehouse.catalogue import format_value as catalogue_format
from warehouse.engine import load_sql
from warehouse.metrics import COUNT_METRICS, METRICS, Metric, unavailable_reason
from warehouse.reader import WarehouseReader


@dataclass(frozen=True)
class Kpi:
    """One card: a value (or why there is none), how it is defined, and its trend."""

    name: str
    label: str
    definition: str
    value: float | None
    unit: str
    available: bool
    reason: str | None = None
    trend: list[tuple[date, float | None]] = field(default_factory=list)
    #: "weak model: <reason>" when the value comes from a model that is not useful.
    caveat: str | None = None

    @property
    def display(self) -> str:
        if not self.available or self.value is None:
            return "—"
        return format_value(self.value, self.unit)


def format_value(value: float, unit: str) -> str:
    """A KPI value as the catalogue shows its unit on a card."""
    return catalogue_format(value, unit, compact=True)


# Score-based counts are defined with the models' outputs (models.outputs), which know the
# tiers; the import direction runs warehouse ← models ← analytics.
_SCORE_METRICS = SCORE_METRICS

KPI_ORDER = (
    "sessions",
    "customers",
    "conversion_rate",
    "revenue",
    "hit_rate",
    "cart_abandonment_rate",
    "repeat_purchase_rate",
    "at_risk_customers",
    "value_at_risk",
)


def all_kpi_metrics() -> dict[str, Metric]:
    metrics: dict[str, Metric] = {m.name: m for m in (*COUNT_METRICS.values(), *_SCORE_METRICS)}
    metrics.update(METRICS)
    return {name: metrics[name] for name in KPI_ORDER if name in metrics}


def _scope(metric: Metric, compiled: CompiledCohort) -> tuple[str | None, str]:
    """Source relation and WHERE for a metric over a cohort."""
    if metric.mart == "customers":
        return compiled.customers_sql, "true"
    return None, compiled.session_where


def _trend_bucket(metric: Metric) -> str:
    if metric.mart == "customers":
        return "c.acquisition_month"
    return "date_trunc('month', s.session_date)::DATE"


def kpis(reader: WarehouseReader, cohort: Cohort, *, with_trend: bool = True) -> list[Kpi]:
    """Every KPI card's content for ``cohort``."""
    shape = warehouse_shape(reader)
    compiled = compile_cohort(cohort, shape)
    caps = {
        n: (shape.capabilities.get(n, False), shape.reasons.get(n, "")) for n in shape.capabilities
    }
    cards: list[Kpi] = []
    for name, metric in all_kpi_metrics().items():
        why = unavailable_reason(metric, caps)
        if why is None and metric in _SCORE_METRICS:
            needed = SCORE_METRIC_COLUMNS[name]
            if not shape.has("customer_scores", needed):
                why = "no churn scores yet: run `shopsight train` and `shopsight score`"
        if why is not None:
            cards.append(Kpi(name, metric.label, metric.definition, None, metric.unit, False, why))
            continue
        source, where = _scope(metric, compiled)
        # Session metrics of a date/country/device/source cohort read the daily roll-up:
        # the same numbers from thousands of rows instead of millions.
        rollup = metric.mart == "sessions" and metric.rollup is not None and compiled.rollup_ok
        value = reader.rows(metric.sql(where, source, from_rollup=rollup), compiled.params)[0][0]
        trend: list[tuple[date, float | None]] = []
        if with_trend:
            trend = [
                (bucket, v)
                for bucket, v, _, _ in reader.rows(
                    metric.sql(where, source, group_by=_trend_bucket(metric), from_rollup=rollup),
                    compiled.params,
                )
                if bucket is not None
            ]
        cards.append(
            Kpi(
                name,
                metric.label,
                metric.definition,
                None if value is None else float(value),
                metric.unit,
                value is not None,
                None if value is not None else "no rows match this cohort",
                trend,
                metric_caveat(reader, name) if metric in _SCORE_METRICS else None,
            )
        )
    return cards


@dataclass(frozen=True)
class Freshness:
    build_id: str
    built_at: str
    data_start: str | None
    data_end: str | None
    sources: list[dict[str, Any]]
    scored: bool


def freshness(reader: WarehouseReader) -> Freshness:
    """Which data is loaded and how fresh it is."""
    shape: WarehouseShape = warehouse_shape(reader)
    build = reader.frame(load_sql("current_build")).to_dicts()[0]
    sources = (
        reader.frame(load_sql("ledger_lines"))
        .select("path", "format", "rows_read", "rows_loaded", "rows_rejected", "status")
        .to_dicts()
    )
    return Freshness(
        build_id=str(build["build_id"]),
        built_at=str(build["built_at"])[:19],
        data_start=str(build["data_start"])[:10] if build["data_start"] else None,
        data_end=str(build["data_end"])[:10] if build["data_end"] else None,
        sources=sources,
        scored=shape.has_scores,
    )
