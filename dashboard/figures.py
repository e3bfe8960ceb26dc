"""Plotly figures, themed to match the Bootstrap theme (dash-bootstrap-templates 'flatly')."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

TEAL = "#18bc9c"
NAVY = "#2c3e50"
RED = "#e74c3c"
AMBER = "#f39c12"
TIER_COLOURS = {"High": RED, "Medium": AMBER, "Low": TEAL}


def _base(fig: go.Figure, height: int = 260) -> go.Figure:
    fig.update_layout(
        template="flatly",
        height=height,
        margin={"l": 10, "r": 10, "t": 36, "b": 10},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 12},
    )
    return fig


def message_figure(text: str, height: int = 260) -> go.Figure:
    """An empty chart that says why it is empty."""
    fig = go.Figure()
    fig.add_annotation(
        text=text,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 13, "color": "#7b8a8b"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base(fig, height)


def facet_bars(frame: pl.DataFrame, title: str, unit: str, selected: list[str]) -> go.Figure:
    """Horizontal bars, largest on top; a click on a bar adds that value as a filter."""
    if frame.height == 0:
        return message_figure(f"{title}: not in this data")
    values = [str(v) for v in frame["value"].to_list()]
    labels = [str(v) for v in frame["label"].to_list()] if "label" in frame.columns else values
    counts = frame["count"].to_list()
    colours = [TIER_COLOURS.get(v, NAVY if (selected and v in selected) else TEAL) for v in values]
    fig = go.Figure(
        go.Bar(
            x=counts[::-1],
            y=labels[::-1],
            orientation="h",
            marker={"color": colours[::-1]},
            customdata=values[::-1],
            hovertemplate=f"%{{y}}: %{{x:,}} {unit}<extra>click to filter</extra>",
        )
    )
    fig.update_layout(title={"text": title, "font": {"size": 14}})
    fig.update_yaxes(automargin=True, type="category")
    return _base(fig, max(180, 28 * len(values) + 60))


def funnel_figure(steps: list[Any]) -> go.Figure:
    fig = go.Figure(
        go.Funnel(
            y=[s.step for s in steps],
            x=[s.sessions for s in steps],
            textinfo="value+percent initial+percent previous",
            marker={"color": [TEAL, "#3498db", AMBER, NAVY][: len(steps)]},
        )
    )
    return _base(fig, 320)


def histogram_bars(frame: pl.DataFrame, x_title: str, y_title: str, pct: bool = False) -> go.Figure:
    if frame.height == 0:
        return message_figure("nothing to show for this cohort")
    fig = go.Figure(
        go.Bar(x=frame["bucket"].to_list(), y=frame["count"].to_list(), marker={"color": TEAL})
    )
    fig.update_xaxes(title=x_title, tickformat=".0%" if pct else None)
    fig.update_yaxes(title=y_title)
    return _base(fig, 280)


def retention_heatmap(frame: pl.DataFrame) -> go.Figure:
    if frame.height == 0:
        return message_figure("no customers to follow in this cohort")
    pivot = frame.pivot(
        on="months_since_acquisition", index="acquisition_month", values="retention_rate"
    ).sort("acquisition_month")
    months = [c for c in pivot.columns if c != "acquisition_month"]
    months = sorted(months, key=int)
    z = [[row[m] for m in months] for row in pivot.iter_rows(named=True)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"+{m}" for m in months],
            y=[str(d)[:7] for d in pivot["acquisition_month"].to_list()],
            colorscale=[[0, "#ffffff"], [1, TEAL]],
            zmin=0,
            zmax=1,
            hovertemplate="acquired %{y}, month %{x}: %{z:.0%} active<extra></extra>",
            texttemplate="%{z:.0%}",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", title="acquisition month")
    fig.update_xaxes(title="months since acquisition", type="category")
    return _base(fig, max(280, 26 * len(z) + 90))


def segment_map_figure(points: pl.DataFrame) -> go.Figure:
    """Members in 2-D, one WebGL trace per segment (noise in grey)."""
    fig = go.Figure()
    for (seg, name), part in points.group_by(["segment_id", "segment_name"], maintain_order=True):
        noise = seg == -1
        fig.add_trace(
            go.Scattergl(
                x=part["x"].to_list(),
                y=part["y"].to_list(),
                mode="markers",
                name=f"{name}",
                marker={"size": 4, "opacity": 0.5, **({"color": "#bdc3c7"} if noise else {})},
                hovertemplate=f"{name}<extra></extra>",
            )
        )
    fig.update_xaxes(title="behaviour axis 1 (PCA)", zeroline=False)
    fig.update_yaxes(title="behaviour axis 2 (PCA)", zeroline=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return _base(fig, 420)


def segment_heatmap_figure(long: pl.DataFrame) -> go.Figure:
    wide = long.pivot(on="feature", index="segment", values="effect_size")
    features = [c for c in wide.columns if c != "segment"]
    fig = go.Figure(
        go.Heatmap(
            z=[[row[f] for f in features] for row in wide.iter_rows(named=True)],
            x=features,
            y=wide["segment"].to_list(),
            colorscale="RdBu",
            zmid=0,
            zmin=-2,
            zmax=2,
            hovertemplate="%{y}<br>%{x}: effect size %{z:+.2f}<extra></extra>",
            colorbar={"title": "effect"},
        )
    )
    fig.update_yaxes(type="category", automargin=True)
    fig.update_xaxes(tickangle=-30, automargin=True)
    return _base(fig, max(320, 40 * wide.height + 140))
