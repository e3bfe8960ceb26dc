"""Overview: how the shop is doing and whether it is getting better.

A date range (the last 7 / 30 / 90 days of data, all of it, or dates picked; in the URL, so a
view can be shared and reloaded), each KPI in it against the period before, one main chart of
sessions, conversion and revenue by day or week, and which data is loaded.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from analytics.cohort import Cohort
from analytics.overview import Freshness, Kpi, freshness, money
from analytics.periods import (
    PRESET_LABELS,
    RANGE_KEY,
    DateRange,
    PeriodKpi,
    bucket_label,
    choose_range,
    data_period,
    period_kpis,
    split_query,
)
from common.errors import ShopSightError
from dashboard import ids
from dashboard.callback_inputs import Text, wire
from dashboard.components import card, chips, empty_state, graph, kpi_card, page_header
from dashboard.context import context
from dashboard.figures import period_chart
from warehouse.catalogue import CATALOGUE

PATH = "/"
TITLE = "Overview"
# The main chart's metrics, top to bottom.
MAIN_CHART = ("sessions", "conversion_rate", "revenue")
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _freshness_card(fresh: Freshness, currency_note: str) -> dbc.Card:
    sources = ", ".join(
        f"{s['path'].rsplit('/', 1)[-1]} ({s['format']}, {s['rows_loaded']:,} rows)"
        for s in fresh.sources
        if s["status"] == "loaded"
    )
    scored = (
        dbc.Badge("models scored", color="success")
        if fresh.scored
        else dbc.Badge("no model scores yet", color="warning", text_color="dark")
    )
    built = [
        html.Strong("Data: "),
        f"{fresh.data_start} … {fresh.data_end}",
        html.Span(" · ", className="text-muted"),
        html.Strong("Build: "),
        html.Code(fresh.build_id),
        f" (built {fresh.built_at} UTC) ",
        scored,
    ]
    loaded = html.Div([html.Strong("Loaded: "), sources], className="small mt-1")
    currency = html.Div(currency_note, className="small mt-1 text-muted", id="money-currency")
    return dbc.Card(
        dbc.CardBody([html.Div(built), loaded, currency]), id=ids.FRESHNESS, className="mt-3"
    )


def _range_bar(chosen: DateRange, base: Cohort) -> html.Div:
    """Preset links (plain links: the URL is the state) and a date picker for other dates."""
    others = [(k, v) for k, v in _pairs(base) if k not in ("date_from", "date_to")]
    links = [
        dbc.Button(
            label,
            href="/?" + urlencode([*others, (RANGE_KEY, key)]),
            color="primary",
            outline=chosen.preset != key,
            size="sm",
            className="range-preset",
            id=f"range-{key}",
            external_link=False,
        )
        for key, label in PRESET_LABELS.items()
    ]
    picker = dcc.DatePickerRange(
        id=ids.OV_DATES,
        start_date=chosen.current.start.isoformat(),
        end_date=chosen.current.end.isoformat(),
        min_date_allowed=chosen.data.start.isoformat(),
        max_date_allowed=chosen.data.end.isoformat(),
        initial_visible_month=chosen.current.end.isoformat(),
        display_format="YYYY-MM-DD",
        minimum_nights=0,
        updatemode="bothdates",
    )
    return html.Div(
        [
            dbc.ButtonGroup(links, id=ids.OV_PRESETS, className="flex-wrap"),
            picker,
            dcc.Store(id=ids.OV_QUERY, data=urlencode(others)),
            dcc.Location(id=ids.OV_NAV, refresh="callback-nav"),
        ],
        className="range-bar d-flex flex-wrap align-items-center gap-2 mb-3",
    )


def _pairs(cohort: Cohort) -> list[tuple[str, str]]:
    query = cohort.to_query()
    return [tuple(p.split("=", 1)) for p in query.split("&")] if query else []  # type: ignore[misc]


def _compared_with(chosen: DateRange) -> str:
    shown = f"{chosen.label}: {chosen.current.describe()} ({chosen.current.days} days)"
    if chosen.previous is None:
        return f"{shown}; no comparison: {chosen.why_no_previous}."
    before = chosen.previous
    return f"{shown}, against the {before.days} days before ({before.describe()})."


def _main_chart(cards: list[PeriodKpi], chosen: DateRange) -> dbc.Card:
    by_name: dict[str, Kpi] = {c.kpi.name: c.kpi for c in cards}
    rows = []
    missing = []
    for name in MAIN_CHART:
        kpi = by_name[name]
        if not kpi.available:
            missing.append(f"{kpi.label}: {kpi.reason}")
            continue
        rows.append((kpi.label, CATALOGUE.unit(kpi.unit), kpi.trend))
    figure = period_chart(rows, lambda d: bucket_label(d, chosen.grain, chosen.current))
    body: list[Any] = [graph(figure, ids.OV_MAIN_CHART)]
    if missing:
        body.append(html.Div("Not shown: " + "; ".join(missing), className="small text-muted"))
    return card(f"Sessions, conversion and revenue by {chosen.grain}", body, className="mb-3")


def layout(**query: Any) -> html.Div:
    ctx = context()
    reader = ctx.reader
    preset, base = split_query(query)
    data = data_period(reader)
    fresh = freshness(reader)
    currency = money(reader, ctx.settings.currency).describe()
    if data is None:
        return html.Div(
            [
                page_header("Overview"),
                empty_state("No dated sessions", "This data has no session dates to show."),
                _freshness_card(fresh, currency),
            ]
        )
    chosen = choose_range(data, preset, base)
    key = (preset or "", base.to_query())
    cards = ctx.cached("overview-kpis", key, lambda: period_kpis(reader, base, chosen))
    label = lambda d: bucket_label(d, chosen.grain, chosen.current)  # noqa: E731
    undated = [p for p in base.describe() if not p.startswith("active")]
    return html.Div(
        [
            page_header(
                "Overview",
                _compared_with(chosen),
                html.Div(chips(undated)) if undated else None,
            ),
            _range_bar(chosen, base),
            html.Div(
                [kpi_card(c.kpi, c.change, label) for c in cards],
                id=ids.KPI_GRID,
                className="kpi-grid mb-3",
            ),
            _main_chart(cards, chosen),
            _freshness_card(fresh, currency),
        ]
    )


def navigate(start: str | None, end: str | None, others: str | None) -> str:
    """The Overview's address for dates picked by hand (the other filters kept)."""
    if not start or not end:
        raise dash.exceptions.PreventUpdate
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise ShopSightError("pick dates like 2025-03-31") from None
    if first > last:
        raise ShopSightError("the start date is after the end date")
    pairs = [p for p in (others or "").split("&") if p]
    return "/?" + "&".join([*pairs, urlencode({"date_from": start, "date_to": end})])


def register_callbacks(app: dash.Dash) -> None:
    """Picking dates moves to the address of that range; the page renders from the URL."""
    wire(
        app,
        navigate,
        outputs=[Output(ids.OV_NAV, "href")],
        args=[
            (Input(ids.OV_DATES, "start_date"), Text(10, pattern=_DATE, label="start date")),
            (Input(ids.OV_DATES, "end_date"), Text(10, pattern=_DATE, label="end date")),
            (State(ids.OV_QUERY, "data"), Text(4000, label="filters")),
        ],
        prevent_initial_call=True,
    )
