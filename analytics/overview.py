"""KPI cards: each business metric over a cohort, with its definition, its trend on the
calendar, or the reason the data cannot support it; and the Overview's periods (the last N
days of data against the N days before)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from analytics.build_cache import for_reader
from analytics.cohort import Cohort
from analytics.cohort_relations import cohort_query
from analytics.cohort_sql import CompiledCohort, WarehouseShape, compile_cohort, warehouse_shape
from analytics.model_verdicts import metric_caveat
from models.outputs import SCORE_METRIC_COLUMNS, SCORE_METRICS
from warehouse.catalogue import Currency, currency_for, format_timestamp
from warehouse.catalogue import format_value as catalogue_format
from warehouse.engine import load_sql, quote_ident
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
    #: Why there is no trend (a snapshot has no history), where there is none.
    trend_note: str | None = None
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


Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")

# Scores are written once by `shopsight score`: they describe customers now, so they have no
# history to plot and no previous period to compare with.
SNAPSHOT_NOTE = "a snapshot of the latest scores: no history to compare or plot"


def _scope(metric: Metric, compiled: CompiledCohort) -> tuple[str | None, str]:
    """Source relation and WHERE for a metric over a cohort."""
    if metric.mart == "customers":
        return compiled.customers_sql, "true"
    return None, compiled.session_where


def _unavailable(
    reader: WarehouseReader, name: str, metric: Metric, shape: WarehouseShape
) -> str | None:
    caps = {
        n: (shape.capabilities.get(n, False), shape.reasons.get(n, "")) for n in shape.capabilities
    }
    why = unavailable_reason(metric, caps)
    if why is None and metric in _SCORE_METRICS:
        column = SCORE_METRIC_COLUMNS[name]
        if not shape.has("customer_scores", column):
            why = "no churn scores yet: run `shopsight train` and `shopsight score`"
        elif not _has_scores(reader, column):
            # The column is written for every customer even when its model could not be
            # trained (all NULL): a count of them would read as a measured zero.
            why = "the model behind it could not be trained on this data (see the Models page)"
    return why


def _has_scores(reader: WarehouseReader, column: str) -> bool:
    """Whether any customer has a value in the score ``column`` (a name from the catalogue)."""
    sql = f"SELECT count({quote_ident(column)}) > 0 FROM customer_scores"
    return bool(reader.rows(sql)[0][0])


def _session_trend(
    reader: WarehouseReader, metric: Metric, compiled: CompiledCohort, grain: Grain, rollup: bool
) -> list[tuple[date, float | None]]:
    """A sessions metric per calendar period (the session's date)."""
    bucket = f"date_trunc('{grain}', s.session_date)::DATE"
    sql = metric.sql(compiled.session_where, group_by=bucket, from_rollup=rollup)
    return [(b, v) for b, v, _, _ in reader.rows(sql, compiled.params) if b is not None]


def _customer_trend(
    reader: WarehouseReader, metric: Metric, compiled: CompiledCohort, grain: Grain
) -> list[tuple[date, float | None]]:
    """A customer metric per calendar period, over the customers active in that period:
    the same metric SQL over ``customer_activity`` (not by acquisition month, where newer
    customers only look worse for having had less time)."""
    activity = cohort_query("customer_activity", compiled, "cohort_customers", "cohort_sessions")
    sql = metric.sql("true", activity, group_by="c.period")
    params = {**compiled.params, "grain": grain}
    return [(b, v) for b, v, _, _ in reader.rows(sql, params) if b is not None]


def _trend(
    reader: WarehouseReader, metric: Metric, compiled: CompiledCohort, grain: Grain, rollup: bool
) -> tuple[list[tuple[date, float | None]], str | None]:
    if metric in _SCORE_METRICS:
        return [], SNAPSHOT_NOTE
    if metric.mart == "customers":
        return _customer_trend(reader, metric, compiled, grain), None
    return _session_trend(reader, metric, compiled, grain, rollup), None


def kpis(
    reader: WarehouseReader,
    cohort: Cohort,
    *,
    with_trend: bool = True,
    grain: Grain = "month",
    names: Collection[str] | None = None,
) -> list[Kpi]:
    """Every KPI card's content for ``cohort`` (or the cards in ``names``), each with its
    trend per calendar ``grain`` unless ``with_trend`` is false."""
    if grain not in GRAINS:
        raise ValueError(f"grain {grain!r} is not one of {', '.join(GRAINS)}")
    shape = warehouse_shape(reader)
    compiled = compile_cohort(cohort, shape)
    cards: list[Kpi] = []
    for name, metric in all_kpi_metrics().items():
        if names is not None and name not in names:
            continue
        why = _unavailable(reader, name, metric, shape)
        if why is not None:
            cards.append(Kpi(name, metric.label, metric.definition, None, metric.unit, False, why))
            continue
        source, where = _scope(metric, compiled)
        # Session metrics of a date/country/device/source cohort read the daily roll-up:
        # the same numbers from thousands of rows instead of millions.
        rollup = metric.mart == "sessions" and metric.rollup is not None and compiled.rollup_ok
        value = reader.rows(metric.sql(where, source, from_rollup=rollup), compiled.params)[0][0]
        trend: list[tuple[date, float | None]] = []
        note = SNAPSHOT_NOTE if metric in _SCORE_METRICS else None
        if with_trend:
            trend, note = _trend(reader, metric, compiled, grain, rollup)
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
                trend_note=note,
                caveat=metric_caveat(reader, name) if metric in _SCORE_METRICS else None,
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
        built_at=format_timestamp(build["built_at"]),
        data_start=str(build["data_start"])[:10] if build["data_start"] else None,
        data_end=str(build["data_end"])[:10] if build["data_end"] else None,
        sources=sources,
        scored=shape.has_scores,
    )


@dataclass(frozen=True)
class Money:
    """The currency money is shown in, and where it comes from."""

    currency: Currency
    #: In words: "stated by the data", "set with --currency", or what to do.
    source: str

    def describe(self) -> str:
        if not self.currency.code:
            return f"Money: {self.source}"
        return f"Money in {self.currency.describe()}, {self.source}"


def data_currency(reader: WarehouseReader) -> str | None:
    """The currency the build's sources state (``build_info.currency``); ``None`` when
    they state none, or the build predates the column."""
    shape = warehouse_shape(reader)
    if not shape.has("build_info", "currency"):
        return None

    def read() -> str | None:
        found = reader.rows("SELECT currency FROM build_info")
        return str(found[0][0]) if found and found[0][0] else None

    return for_reader(reader).keep("data-currency", (shape.build_id,), read)


def money(reader: WarehouseReader, configured: str | None) -> Money:
    """The data's own currency where a source states it, else ``configured``
    (``--currency``), else none: plain numbers, with a word on how to name one."""
    stated = data_currency(reader)
    if stated is not None:
        note = "as the data states"
        if configured and configured.upper() != stated:
            note += f" (--currency {configured.upper()} is not used)"
        return Money(currency_for(stated), note)
    if configured:
        return Money(currency_for(configured), "set with --currency")
    return Money(currency_for(None), "no currency stated by the data; name one with --currency")
