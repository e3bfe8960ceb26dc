"""The what-if sensitivity curve: one output across one lever's range."""

from __future__ import annotations

import math
from typing import Any

from analytics.whatif import Curve, Lever
from dashboard.figures import AMBER, NAVY, RED, TEAL, figure
from models.outputs import CATALOGUE
from models.tiers import HIGH_RISK, MEDIUM_RISK


def _tier_bands() -> list[dict[str, Any]]:
    """The churn tiers as background bands."""
    return [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": low,
            "y1": high,
            "fillcolor": colour,
            "opacity": 0.08,
            "line": {"width": 0},
            "layer": "below",
        }
        for low, high, colour in ((HIGH_RISK, 1.0, RED), (MEDIUM_RISK, HIGH_RISK, AMBER))
    ]


def _start_line(start: float) -> dict[str, Any]:
    """A dotted vertical line at the lever's starting value."""
    return {
        "type": "line",
        "xref": "x",
        "x0": start,
        "x1": start,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": "#95a5a6", "width": 1, "dash": "dot"},
    }


def curve_figure(
    curve: Curve, lever: Lever, target: str, unit: str, start: float, now: float | None
) -> Any:
    """A small line chart of ``target`` across the lever, with a marker at the current value
    and prediction ``now`` (trace 1) and a dotted line at the starting value."""
    ys = curve.outputs.get(target) or []
    shown = CATALOGUE.unit(unit)
    shapes: list[dict[str, Any]] = _tier_bands() if target == "churn_prob" else []
    if math.isfinite(start):
        shapes.append(_start_line(start))
    ticks = [0, MEDIUM_RISK, HIGH_RISK, 1] if target == "churn_prob" else [0, 0.5, 1]
    hover = f"%{{x}}: {shown.hover()}<extra></extra>"
    # Shares read on a fixed 0–100 % axis; amounts from zero up.
    yaxis: dict[str, Any] = (
        {"range": [0, 1], "tickformat": shown.axis_spec, "tickvals": ticks}
        if shown.axis_spec is not None
        else {"rangemode": "tozero", "nticks": 4}
    )
    return figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "x": curve.xs,
                "y": ys,
                "line": {"color": TEAL, "width": 2},
                "hovertemplate": hover,
            },
            {
                "type": "scatter",
                "mode": "markers",
                "x": [curve.current if math.isfinite(curve.current) else None],
                "y": [now],
                "marker": {"color": NAVY, "size": 10, "line": {"color": "#fff", "width": 2}},
                "hovertemplate": "now " + hover,
            },
        ],
        150,
        margin={"l": 44, "r": 8, "t": 6, "b": 24},
        showlegend=False,
        shapes=shapes,
        xaxis=_lever_axis(lever),
        # Value labels sit above their grid line, so the lowest ("0%") does not run into
        # the lever's first label in the corner below it.
        yaxis={
            "fixedrange": True,
            "zeroline": False,
            "ticklabelposition": "outside top",
            **yaxis,
        },
    )


def _lever_axis(lever: Lever) -> dict[str, Any]:
    """The lever's axis: its range, whole steps for counts over a short range (no "0.5
    orders"), labels a little below the plot."""
    axis: dict[str, Any] = {
        "range": [lever.low, lever.high],
        "fixedrange": True,
        "zeroline": False,
        "ticklabelstandoff": 2,
        "nticks": 6,
    }
    if lever.integer and lever.high - lever.low <= 5:
        axis.update({"dtick": 1, "tick0": 0})
    return axis
