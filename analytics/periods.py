"""The Overview's periods: a date range of the data (the last 7 / 30 / 90 days of data, all
of it, or dates chosen by hand), the same number of days before it, and how a KPI moved
between the two.

Both periods are cohorts with a date filter, so every number of both comes from the same
metric SQL (:mod:`warehouse.metrics`) through :func:`analytics.overview.kpis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from analytics.cohort import Cohort, CohortError
from analytics.overview import Grain, Kpi, all_kpi_metrics, kpis
from models.outputs import SCORE_METRICS
from warehouse.catalogue import CATALOGUE
from warehouse.reader import WarehouseReader

#: Preset → days (``None``: all the data). The query key is ``range``.
PRESETS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
PRESET_LABELS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All data",
}
DEFAULT_PRESET = "30d"
CUSTOM = "custom"
RANGE_KEY = "range"

# Metrics where a rise is bad news for the shop (the arrow is coloured accordingly).
LOWER_IS_BETTER = frozenset(
    {"cart_abandonment_rate", "bounce_rate", "at_risk_customers", "value_at_risk"}
)
_SNAPSHOTS = frozenset(m.name for m in SCORE_METRICS)


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def describe(self) -> str:
        return f"{self.start.isoformat()} … {self.end.isoformat()}"

    def cohort(self, base: Cohort) -> Cohort:
        """``base`` narrowed to sessions in this period (customers: active in it)."""
        values: dict[str, object] = dict(base.items())
        values.update(date_from=self.start, date_to=self.end)
        return Cohort(**values)

    def before(self) -> Period:
        """The same number of days just before this period."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass(frozen=True)
class DateRange:
    """The period shown, the one it is compared with (or why there is none), and the
    calendar grain of its charts."""

    preset: str
    current: Period
    previous: Period | None
    why_no_previous: str | None
    grain: Grain
    data: Period

    @property
    def label(self) -> str:
        return PRESET_LABELS.get(self.preset, "Chosen dates")


def grain_for(period: Period) -> Grain:
    """Days up to a month, weeks up to two years, months beyond."""
    if period.days <= 31:
        return "day"
    return "week" if period.days <= 731 else "month"


def split_query(query: Mapping[str, Any]) -> tuple[str | None, Cohort]:
    """The preset named in ``query`` (``range``) and the cohort of the other keys."""
    rest = {k: v for k, v in query.items() if k != RANGE_KEY}
    preset = query.get(RANGE_KEY)
    if isinstance(preset, list | tuple):
        preset = preset[0] if preset else None
    if preset is not None and preset not in PRESETS:
        raise CohortError(RANGE_KEY, f"is one of {', '.join(PRESETS)}")
    return preset, Cohort.from_query(rest)


def choose_range(data: Period, preset: str | None, cohort: Cohort) -> DateRange:
    """The range a request asks for: dates in ``cohort`` (chosen by hand) win over a
    preset; with neither, the last 30 days of data."""
    chosen_from, chosen_to = cohort.get("date_from"), cohort.get("date_to")
    if isinstance(chosen_from, date) or isinstance(chosen_to, date):
        start = chosen_from if isinstance(chosen_from, date) else data.start
        end = chosen_to if isinstance(chosen_to, date) else data.end
        return _with_previous(CUSTOM, Period(start, end), data)
    name = preset or DEFAULT_PRESET
    days = PRESETS[name]
    if days is None:
        why = "all the data is shown: there is no earlier period to compare with"
        return DateRange(name, data, None, why, grain_for(data), data)
    start = max(data.start, data.end - timedelta(days=days - 1))
    return _with_previous(name, Period(start, data.end), data)


def _with_previous(preset: str, current: Period, data: Period) -> DateRange:
    previous: Period | None = current.before()
    why = None
    if previous is not None and previous.start < data.start:
        why = (
            f"the data starts {data.start.isoformat()}: there are no full "
            f"{current.days} days before {current.start.isoformat()} to compare with"
        )
        previous = None
    return DateRange(preset, current, previous, why, grain_for(current), data)


def data_period(reader: WarehouseReader) -> Period | None:
    """The first and last session date of the build (``None``: no dated sessions)."""
    first, last = reader.rows("SELECT min(session_date), max(session_date) FROM sessions")[0]
    if first is None or last is None:
        return None
    return Period(first, last)


@dataclass(frozen=True)
class Change:
    """How a KPI moved against the previous period."""

    text: str
    direction: Literal["up", "down", "flat"] | None = None
    #: Whether the move is good news for the shop (``None``: no move, or no comparison).
    good: bool | None = None
    #: The previous period and its value, for the card's tooltip.
    detail: str = ""


@dataclass(frozen=True)
class PeriodKpi:
    """A KPI card of the Overview: the value in the period and its change."""

    kpi: Kpi
    change: Change


def change(current: Kpi, previous: Kpi | None, chosen: DateRange) -> Change:
    """``current`` against ``previous``, or why there is nothing to compare."""
    if current.name in _SNAPSHOTS:
        return Change("latest scores")
    if not current.available or current.value is None:
        return Change("")
    if chosen.previous is None or previous is None:
        return Change("no previous period", detail=chosen.why_no_previous or "")
    detail = f"previous {chosen.previous.days} days ({chosen.previous.describe()}): "
    if not previous.available or previous.value is None:
        return Change("no data in the previous period", detail=detail + "no data")
    detail += previous.display
    before, now = previous.value, current.value
    if before == 0:
        if now == 0:
            return Change("= no change", "flat", None, detail)
        return Change("▲ none in the previous period", "up", _good(current.name, True), detail)
    relative = (now - before) / abs(before)
    if abs(relative) < 0.0005:
        return Change("= no change", "flat", None, detail)
    up = relative > 0
    text = f"{'▲' if up else '▼'} {abs(relative):,.1%}"
    unit = CATALOGUE.unit(current.unit)
    if unit.points:
        text += f" ({unit.change(now - before)})"
    return Change(text, "up" if up else "down", _good(current.name, up), detail)


def _good(name: str, up: bool) -> bool:
    return up != (name in LOWER_IS_BETTER)


def period_kpis(reader: WarehouseReader, base: Cohort, chosen: DateRange) -> list[PeriodKpi]:
    """Every KPI over the chosen period, each against the period before it.

    Score KPIs (at-risk customers, value at risk) describe customers now: they are read over
    ``base`` without the dates, and are not compared.
    """
    undated = Cohort(**{k: v for k, v in base.items() if k not in ("date_from", "date_to")})
    dated = [name for name in all_kpi_metrics() if name not in _SNAPSHOTS]
    cards = kpis(reader, chosen.current.cohort(undated), grain=chosen.grain, names=dated)
    cards += kpis(reader, undated, with_trend=False, names=_SNAPSHOTS)
    before: dict[str, Kpi] = {}
    if chosen.previous is not None:
        earlier = chosen.previous.cohort(undated)
        before = {k.name: k for k in kpis(reader, earlier, with_trend=False, names=dated)}
    return [PeriodKpi(k, change(k, before.get(k.name), chosen)) for k in cards]


def bucket_label(start: date, grain: Grain, period: Period) -> str:
    """A chart period in words: a day, "week of 2025-03-03", a month as "2025-03"; a week or
    month cut by the edge of ``period`` says so, so a short last week does not read as a
    fall."""
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        end = start + timedelta(days=6)
        label = f"week of {start.isoformat()}"
    else:
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = following - timedelta(days=1)
        label = start.isoformat()[:7]
    shown_from, shown_to = max(start, period.start), min(end, period.end)
    if (shown_from, shown_to) != (start, end):
        days = (shown_to - shown_from).days + 1
        label += f" (partial: {days} day{'s' if days != 1 else ''})"
    return label
