"""Models: per task the candidates compared, ROC / PR / calibration curves, confusion at the
threshold, feature importance, label definition, cutoff and split, leakage verdict,
training-data hash and time; and how early scoring improves as more events are seen.
Everything is read from ``model_runs``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from analytics.models_view import (
    BaselineComparison,
    TaskView,
    early_scoring,
    model_tasks,
    row_counts,
)
from dashboard.components import card, chart_card, empty_state, graph, page_header
from dashboard.context import context
from dashboard.figures import BLUE, NAVY, TEAL, figure

PATH = "/models"
TITLE = "Models"


#: The colour of each verdict's badge.
VERDICT_COLOURS = {"useful": "success", "weak": "warning", "withheld": "secondary"}
#: The task whose tab also shows how early scoring improves with more events.
EARLY_SCORING_TASK = "session_conversion"


def fmt(value: Any, digits: int = 3) -> str:
    """A number with thousands separators, a timestamp to the second, anything else as is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def _candidates_table(view: TaskView) -> dbc.Table:
    columns = view.metric_columns
    head = html.Thead(
        html.Tr(
            [
                html.Th("candidate"),
                *[html.Th(label) for _, label in columns],
                html.Th("training rows", title="rows the largest single fit saw"),
                html.Th("evaluation rows", title="held-out rows the metrics were computed on"),
            ]
        )
    )
    body = []
    for run in view.candidates:
        name = str(run.get("candidate"))
        cells = [
            html.Td(
                [name, dbc.Badge("selected", color="success", className="ms-2")]
                if run.get("selected")
                else [name, html.Span(" baseline", className="text-muted small")]
                if run.get("status") == "baseline"
                else name
            )
        ]
        for key, _ in columns:
            cells.append(html.Td(fmt(run.get(key)), id=f"metric-{view.task}-{name}-{key}"))
        for key in ("rows_fitted", "n_test"):
            cells.append(html.Td(fmt(run.get(key)), id=f"rows-{view.task}-{name}-{key}"))
        body.append(html.Tr(cells, className="table-success" if run.get("selected") else ""))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True)


DIAGONAL = {
    "type": "scatter",
    "x": [0, 1],
    "y": [0, 1],
    "mode": "lines",
    "line": {"dash": "dot", "color": "#bdc3c7"},
    "showlegend": False,
}
PALETTE = [TEAL, BLUE, NAVY, "#9b59b6", "#e67e22", "#95a5a6"]


def _traces(view: TaskView, kind: str) -> list[dict[str, Any]]:
    """One line per candidate that stored a ``kind`` curve ("roc" or "pr"); the selected
    model drawn thicker."""
    traces = []
    for i, run in enumerate(c for c in view.candidates if c.get("curves")):
        points = run["curves"].get(kind)
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        width = 3 if run.get("selected") else 1.5
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "name": run["candidate"],
                "line": {"color": PALETTE[i % len(PALETTE)], "width": width},
            }
        )
    return traces


def _axes(title: str, x: str, y: str) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x}},
        "yaxis": {"title": {"text": y}},
    }


def _calibration(view: TaskView) -> Any:
    calibration = ((view.selected or {}).get("curves") or {}).get("calibration")
    if not calibration:
        return None
    observed = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "observed",
        "x": [b["predicted"] for b in calibration],
        "y": [b["observed"] for b in calibration],
        "text": [f"{b['count']:,} rows" for b in calibration],
        "line": {"color": TEAL},
    }
    layout = _axes("Calibration (selected model)", "predicted probability", "observed share")
    return graph(figure([DIAGONAL, observed], 300, **layout))


def _curves(view: TaskView) -> list[Any]:
    charts = []
    roc = _traces(view, "roc")
    if roc:
        layout = _axes("ROC", "false positive rate", "true positive rate")
        charts.append(graph(figure([*roc, DIAGONAL], 300, **layout)))
    pr = _traces(view, "pr")
    if pr:
        charts.append(graph(figure(pr, 300, **_axes("Precision–recall", "recall", "precision"))))
    calibration = _calibration(view)
    if calibration is not None:
        charts.append(calibration)
    return charts


def _confusion(view: TaskView) -> Any:
    confusion = (view.selected or {}).get("confusion")
    if not confusion:
        return None
    z = [
        [confusion.get("tn", 0), confusion.get("fp", 0)],
        [confusion.get("fn", 0), confusion.get("tp", 0)],
    ]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": ["predicted no", "predicted yes"],
        "y": ["actual no", "actual yes"],
        "texttemplate": "%{z:,}",
        "colorscale": [[0, "#ffffff"], [1, TEAL]],
        "showscale": False,
    }
    threshold = (view.selected or {}).get("threshold")
    return graph(
        figure(
            [trace],
            260,
            title={"text": f"Confusion at threshold {fmt(threshold)}"},
            yaxis={"autorange": "reversed"},
        )
    )


def _importance(view: TaskView) -> Any:
    items = (view.selected or {}).get("feature_importance") or []
    if not items:
        return None
    items = sorted(items, key=lambda r: r["importance"])[-12:]
    bar = {
        "type": "bar",
        "orientation": "h",
        "x": [r["importance"] for r in items],
        "y": [r["feature"] for r in items],
        "marker": {"color": TEAL},
    }
    return graph(
        figure(
            [bar],
            max(240, 24 * len(items) + 80),
            title={"text": "Permutation importance on held-out data"},
            yaxis={"automargin": True},
        )
    )


def _facts(view: TaskView) -> dbc.Table:
    run = view.selected or (view.candidates[0] if view.candidates else {})
    rows = [
        ("Label", run.get("label_definition")),
        ("Cutoff", run.get("cutoff")),
        ("Training cutoff", run.get("train_cutoff")),
        ("Horizon (days)", run.get("horizon_days")),
        ("Split", run.get("split_method")),
        ("Leakage audit", run.get("leakage_verdict")),
        ("Training-data hash", run.get("training_data_hash")),
        ("Model version", run.get("model_version")),
        ("Trained at (UTC)", run.get("trained_at")),
        *row_counts(run),
        ("Notes", run.get("notes")),
    ]
    return dbc.Table(
        html.Tbody(
            [
                html.Tr([html.Th(k, className="w-25"), html.Td(fmt(v))])
                for k, v in rows
                if v not in (None, "")
            ]
        ),
        size="sm",
        className="small mb-0 facts-table",
    )


def _early(tasks: list[TaskView]) -> Any:
    points = early_scoring(tasks)
    if len(points) < 2:
        return None
    xs = [str(p["k"]) for p in points]
    fig = figure(
        [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "ROC-AUC",
                "x": xs,
                "y": [p["roc_auc"] for p in points],
                "line": {"color": TEAL},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "PR-AUC",
                "x": xs,
                "y": [p["pr_auc"] for p in points],
                "line": {"color": NAVY},
            },
        ],
        280,
        title={"text": "Conversion scored after the first k events"},
        xaxis={"title": {"text": "events seen"}, "type": "category"},
        yaxis={"range": [0, 1]},
    )
    return chart_card(None, fig, "early-scoring", className="mb-3")


def _verdict_badge(view: TaskView) -> dbc.Badge | None:
    """The verdict on the task's tab; without a recorded one, "below baseline" where the
    selected model does not beat its naive baselines."""
    verdict = view.verdict
    if verdict is None:
        comparisons = view.baseline_comparisons()
        if not comparisons or all(c.beats for c in comparisons):
            return None
        verdict = "below baseline"
    return dbc.Badge(
        verdict,
        color=VERDICT_COLOURS.get(verdict, "warning"),
        className="ms-2",
        id=f"verdict-{view.task}",
    )


def _comparison_text(found: list[BaselineComparison]) -> str:
    beats = all(c.beats for c in found)
    parts = [
        f"{c.metric} {fmt(c.model)} against {fmt(c.baseline)} ({c.baseline_name}, "
        f"{'better' if c.beats else 'not better'})"
        for c in found
    ]
    verb = "beats its naive baselines" if beats else "does not beat its naive baselines on"
    return f"The selected model {verb}{'' if beats else ' every measure'}: {'; '.join(parts)}."


def _verdict(view: TaskView) -> dbc.Alert | None:
    """The task's verdict (recorded by training) with its reason, or, where none is
    recorded, how the selected model compares with its best naive baselines."""
    comparisons = view.baseline_comparisons()
    lines: list[Any] = []
    if view.verdict is not None:
        lines.append(html.Strong(f"Verdict: {view.verdict}. "))
        if view.verdict_reason:
            lines.append(view.verdict_reason + " ")
    if comparisons:
        lines.append(_comparison_text(comparisons))
    if not lines:
        return None
    weak = view.verdict in ("weak", "withheld") or (
        view.verdict is None and not all(c.beats for c in comparisons)
    )
    return dbc.Alert(
        lines,
        color="warning" if weak else "light",
        className="py-2 small mb-3",
        id=f"verdict-line-{view.task}",
    )


def _nav(tasks: list[TaskView], shown: TaskView) -> dbc.Nav:
    def label(t: TaskView) -> list[Any]:
        if t.status == "unavailable":
            return [t.title, html.Span(" (unavailable)", className="small")]
        return [t.title, _verdict_badge(t)]

    return dbc.Nav(
        [
            dbc.NavLink(
                label(t),
                href=f"{PATH}?task={t.task}",
                active=t.task == shown.task,
                external_link=True,
                disabled=False,
            )
            for t in tasks
            if not t.task.startswith("session_conversion_k")
        ],
        pills=True,
        className="mb-3 flex-wrap",
    )


def _task_body(view: TaskView, tasks: list[TaskView]) -> list[Any]:
    if view.status == "unavailable":
        return [empty_state(f"{view.title}: unavailable", view.reason or "")]
    charts = [c for c in [*_curves(view), _confusion(view), _importance(view)] if c is not None]
    early = _early(tasks) if view.task == EARLY_SCORING_TASK else None
    return [
        _verdict(view),
        card(f"{view.title}: candidates", _candidates_table(view), className="mb-3"),
        early,
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody(c)), lg=6, className="mb-3") for c in charts]),
        card("How this number was made", _facts(view)),
    ]


def layout(**query: Any) -> html.Div:
    tasks = model_tasks(context().reader)
    header = page_header(
        "Models",
        "Every candidate evaluated honestly (grouped and time splits, natural prevalence), "
        "read from model_runs.",
    )
    if not tasks:
        return html.Div(
            [
                header,
                empty_state(
                    "No models trained yet",
                    "Train and score the models for this warehouse.",
                    html.Code("shopsight train --db … && shopsight score --db …"),
                ),
            ]
        )
    chosen = str(query.get("task") or "")
    trained = [
        t for t in tasks if t.status == "trained" and not t.task.startswith("session_conversion_k")
    ]
    view = next((t for t in tasks if t.task == chosen), trained[0] if trained else tasks[0])
    return html.Div([header, _nav(tasks, view), *_task_body(view, tasks)])


def register_callbacks(app: dash.Dash) -> None:
    """Rendered from the URL (?task=…); no callbacks of its own."""
