"""Plotly figures as plain dicts, themed to match the Bootstrap theme (the 'flatly' template
of dash-bootstrap-templates).

Plain dicts, not ``plotly.graph_objects``: building and validating a ``go.Figure`` costs
about 24 ms, a dict 0.1 ms, and chart callbacks have a 150 ms budget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

import plotly.io as pio
import polars as pl
from dash_bootstrap_templates import load_figure_template

from warehouse.catalogue import Unit, current_currency

Figure = dict[str, Any]
TEAL = "#18bc9c"
NAVY = "#2c3e50"
RED = "#e74c3c"
AMBER = "#f39c12"
BLUE = "#3498db"
TIER_COLOURS = {"High": RED, "Medium": AMBER, "Low": TEAL}
GREY = "#d5dde5"  # a bar not chosen while others are


@cache
def _template() -> dict[str, Any]:
    load_figure_template("flatly")
    template: dict[str, Any] = pio.templates["flatly"].to_plotly_json()
    return template


def figure(data: list[dict[str, Any]], height: int = 260, **layout: Any) -> Figure:
    """A themed figure with the house margins and transparent background."""
    base: dict[str, Any] = {
        "template": _template(),
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 36, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"size": 12},
    }
    base.update(layout)
    return {"data": data, "layout": base}


def _title(text: str) -> dict[str, Any]:
    return {"text": text, "font": {"size": 14}}


def message_figure(text: str, height: int = 260) -> Figure:
    """An empty chart that says why it is empty."""
    return figure(
        [],
        height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": text,
                "showarrow": False,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "font": {"size": 13, "color": "#7b8a8b"},
            }
        ],
    )


def facet_bars(frame: pl.DataFrame, title: str, unit: str, selected: list[str]) -> Figure:
    """Horizontal bars in the frame's order, first on top; a click on a bar adds that value
    as a filter. When some values are selected the other bars stay, greyed, to click."""
    if frame.height == 0:
        return message_figure(f"{title}: not in this data")
    values = [str(v) for v in frame["value"].to_list()]
    labels = [str(v) for v in frame["label"].to_list()] if "label" in frame.columns else values
    counts = frame["count"].to_list()
    colours = [
        GREY if selected and v not in selected else TIER_COLOURS.get(v, TEAL) for v in values
    ]
    bar = {
        "type": "bar",
        "x": counts[::-1],
        "y": labels[::-1],
        "orientation": "h",
        "marker": {"color": colours[::-1]},
        "customdata": values[::-1],
        "hovertemplate": f"%{{y}}: %{{x:,}} {unit}<extra>click to filter</extra>",
    }
    return figure(
        [bar],
        max(180, 28 * len(values) + 60),
        title=_title(title),
        yaxis={"automargin": True, "type": "category"},
    )


def funnel_figure(steps: list[Any]) -> Figure:
    trace = {
        "type": "funnel",
        "y": [s.step for s in steps],
        "x": [s.sessions for s in steps],
        # Counts as whole numbers with separators ("48,697", never "48.697k").
        "texttemplate": "%{value:,.0f}<br>%{percentInitial:.0%} of first · "
        "%{percentPrevious:.0%} of previous",
        "hovertemplate": "%{y}: %{value:,.0f} sessions<extra></extra>",
        "marker": {"color": [TEAL, BLUE, AMBER, NAVY][: len(steps)]},
    }
    return figure([trace], 320)


def histogram_bars(frame: pl.DataFrame, x_title: str, y_title: str, pct: bool = False) -> Figure:
    if frame.height == 0:
        return message_figure("nothing to show for this cohort")
    bar = {
        "type": "bar",
        "x": frame["bucket"].to_list(),
        "y": frame["count"].to_list(),
        "marker": {"color": TEAL},
    }
    xaxis: dict[str, Any] = {"title": {"text": x_title}}
    if pct:
        xaxis["tickformat"] = ".0%"
    return figure([bar], 280, xaxis=xaxis, yaxis={"title": {"text": y_title}})


def tier_bars(tiers: pl.DataFrame) -> Figure:
    names = tiers["churn_tier"].to_list()
    counts = tiers["customers"].to_list()
    bar = {
        "type": "bar",
        "x": names,
        "y": counts,
        "marker": {"color": [TIER_COLOURS.get(n, "#95a5a6") for n in names]},
        "text": [f"{v:,}" for v in counts],
        "textposition": "auto",
        "hovertemplate": "%{x}: %{y:,} customers<extra></extra>",
    }
    return figure([bar], 300, title=_title("Customers by churn tier"))


def retention_heatmap(frame: pl.DataFrame) -> Figure:
    if frame.height == 0:
        return message_figure("no customers to follow in this cohort")
    pivot = frame.pivot(
        on="months_since_acquisition", index="acquisition_month", values="retention_rate"
    ).sort("acquisition_month")
    months = sorted((c for c in pivot.columns if c != "acquisition_month"), key=int)
    z = [[row[m] for m in months] for row in pivot.iter_rows(named=True)]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": [f"+{m}" for m in months],
        "y": [str(d)[:7] for d in pivot["acquisition_month"].to_list()],
        "colorscale": [[0, "#ffffff"], [1, TEAL]],
        "zmin": 0,
        "zmax": 1,
        "hovertemplate": "acquired %{y}, month %{x}: %{z:.0%} active<extra></extra>",
        "texttemplate": "%{z:.0%}",
    }
    # Oldest cohort on top, as a retention table reads.
    cohort_axis = {
        "autorange": "reversed",
        "type": "category",
        "title": {"text": "acquisition month"},
    }
    return figure(
        [trace],
        max(280, 26 * len(z) + 90),
        yaxis=cohort_axis,
        xaxis={"type": "category", "title": {"text": "months since acquisition"}},
    )


def segment_map_figure(points: pl.DataFrame) -> Figure:
    """Members in 2-D, one WebGL trace per segment (noise in grey)."""
    traces = []
    for (seg, name), part in points.group_by(["segment_id", "segment_name"], maintain_order=True):
        marker: dict[str, Any] = {"size": 4, "opacity": 0.5}
        if seg == -1:
            marker["color"] = "#bdc3c7"
        traces.append(
            {
                "type": "scattergl",
                "x": part["x"].to_list(),
                "y": part["y"].to_list(),
                "mode": "markers",
                "name": str(name),
                "marker": marker,
                "hovertemplate": f"{name}<extra></extra>",
            }
        )
    return figure(
        traces,
        420,
        xaxis={"title": {"text": "behaviour axis 1 (PCA)"}, "zeroline": False},
        yaxis={"title": {"text": "behaviour axis 2 (PCA)"}, "zeroline": False},
        legend={"orientation": "h", "y": -0.25},
    )


def segment_heatmap_figure(long: pl.DataFrame) -> Figure:
    wide = long.pivot(on="feature", index="segment", values="effect_size")
    features = [c for c in wide.columns if c != "segment"]
    trace = {
        "type": "heatmap",
        "z": [[row[f] for f in features] for row in wide.iter_rows(named=True)],
        "x": features,
        "y": wide["segment"].to_list(),
        "colorscale": "RdBu",
        "zmid": 0,
        "zmin": -2,
        "zmax": 2,
        "hovertemplate": "%{y}<br>%{x}: effect size %{z:+.2f}<extra></extra>",
        "colorbar": {"title": {"text": "effect"}},
    }
    return figure(
        [trace],
        max(320, 40 * wide.height + 140),
        # Segment 1 on top, as the cards are numbered.
        yaxis={"type": "category", "automargin": True, "autorange": "reversed"},
        xaxis={"tickangle": -30, "automargin": True},
    )


# ---- the Overview: sparklines and the main chart, on the calendar ----------------------

Series = list[tuple[date, float | None]]


def _axis(unit: Unit) -> dict[str, Any]:
    """A value axis in the unit's format (counts and money with thousands separators);
    money carries its currency in front."""
    axis: dict[str, Any] = {"tickfont": {"size": 10}, "nticks": 3, "zeroline": False}
    spec = unit.axis_spec or (",.0f" if unit.name in ("count", "money") else None)
    if spec:
        axis["tickformat"] = spec
    if unit.money:
        axis["tickprefix"] = current_currency().prefix
    return axis


def _date_axis(series: Series, **extra: Any) -> dict[str, Any]:
    """A calendar axis: days as "Apr 6" within a year, months as "2025-03" beyond."""
    dates = [x for x, _ in series]
    long = bool(dates) and (max(dates) - min(dates)).days > 300
    axis = {"type": "date", "showgrid": False, "tickformat": "%Y-%m" if long else "%b %-d"}
    return {**axis, **extra}


def _hover(series: Series, unit: Unit, label: Callable[[date], str]) -> list[str]:
    return [f"{label(x)}: {unit.text(y)}" for x, y in series]


def sparkline_figure(series: Series, unit: Unit, label: Callable[[date], str]) -> Figure:
    """A small line on the calendar with a readable date axis, a value axis and a tooltip
    naming the period and its value (``label`` names a period)."""
    trace = {
        "type": "scatter",
        "mode": "lines+markers" if len(series) <= 12 else "lines",
        "x": [x.isoformat() for x, _ in series],
        "y": [y for _, y in series],
        "line": {"width": 2, "color": TEAL},
        "marker": {"size": 4},
        "customdata": _hover(series, unit, label),
        "hovertemplate": "%{customdata}<extra></extra>",
    }
    return figure(
        [trace],
        96,
        margin={"l": 44, "r": 6, "t": 4, "b": 22},
        xaxis=_date_axis(series, nticks=3, tickfont={"size": 10}),
        yaxis=_axis(unit),
        showlegend=False,
        hoverlabel={"font": {"size": 12}},
    )


def period_chart(rows: list[tuple[str, Unit, Series]], label: Callable[[date], str]) -> Figure:
    """One chart of several metrics over the same calendar, one band each, sharing the date
    axis: bars for counts and money, a line for shares."""
    if not rows:
        return message_figure("no sessions in this period")
    band = 1.0 / len(rows)
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    for i, (title, unit, series) in enumerate(rows):
        axis = "y" if i == 0 else f"y{i + 1}"
        top = 1.0 - i * band
        shape = (
            {"type": "scatter", "mode": "lines+markers", "line": {"color": NAVY, "width": 2}}
            if unit.points
            else {"type": "bar", "marker": {"color": TEAL if i == 0 else BLUE}}
        )
        traces.append(
            {
                **shape,
                "name": title,
                "x": [x.isoformat() for x, _ in series],
                "y": [y for _, y in series],
                "yaxis": axis,
                "customdata": _hover(series, unit, label),
                "hovertemplate": f"{title}, %{{customdata}}<extra></extra>",
            }
        )
        key = "yaxis" if i == 0 else f"yaxis{i + 1}"
        layout[key] = {
            **_axis(unit),
            "domain": [max(0.0, top - band + 0.06), top],
            "title": {"text": title, "font": {"size": 11}},
            "anchor": "x",
        }
    return figure(
        traces,
        120 * len(rows) + 60,
        margin={"l": 60, "r": 10, "t": 10, "b": 30},
        # The date axis sits under the lowest band.
        xaxis=_date_axis(rows[0][2], anchor=f"y{len(rows)}" if len(rows) > 1 else "y"),
        showlegend=False,
        bargap=0.15,
        **layout,
    )
