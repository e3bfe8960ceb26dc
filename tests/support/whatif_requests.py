"""The request a browser sends when a what-if slider moves: shared by the tests and the
what-if benchmark, so both measure the same callback call."""

from __future__ import annotations

import json
from typing import Any

from dashboard import ids
from tests.support.dash_client import DashClient


def update_payload(
    client: DashClient,
    profile: Any,
    values: dict[str, Any],
    target: Any = "churn_prob",
    triggered: str | None = None,
) -> dict[str, Any]:
    """The POST a browser sends when a what-if slider moves (pattern-matching ids)."""
    dep = client.callback(ids.WI_CARDS + ".children")
    slider = [
        {"id": {"type": ids.WI_SLIDER, "feature": f}, "property": "value", "value": v}
        for f, v in values.items()
    ]
    curves = [{"id": {"type": ids.WI_CURVE, "feature": f}, "property": "figure"} for f in values]
    warnings = [
        {"id": {"type": ids.WI_CURVE_WARNING, "feature": f}, "property": "children"} for f in values
    ]
    changed = triggered or json.dumps(
        {"feature": next(iter(values)), "type": ids.WI_SLIDER}, separators=(",", ":")
    )
    return {
        "output": dep["output"],
        "outputs": [
            {"id": ids.WI_CARDS, "property": "children"},
            {"id": ids.WI_REASONS, "property": "children"},
            curves,
            {"id": ids.WI_CHANGES, "property": "children"},
            warnings,
        ],
        "inputs": [slider, {"id": ids.WI_TARGET, "property": "value", "value": target}],
        "state": [{"id": ids.WI_PROFILE, "property": "data", "value": profile}],
        "changedPropIds": [f"{changed}.value"],
    }
