"""Models: per task the candidates compared, ROC / PR / calibration curves, confusion at the
threshold, feature importance, label definition, cutoff and split, leakage verdict,
training-data hash and time; and how early scoring improves as more events are seen.
Everything is read from ``model_runs``."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from analytics.models_view import TaskView, early_scoring, model_tasks
from dashboard.components import empty_state, page_header
from dashboard.context import context
from dashboard.figures import BLUE, NAVY, TEAL, figure

PATH = "/models"
TITLE = "Models"


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _graph(fig: dict[str, Any], id_: str | None = None) -> dcc.Graph:
    kwargs = {"id": id_} if id_ else {}
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, **kwargs)


def _candidates_table(view: TaskView) -> dbc.Table:
    columns = view.metric_columns
    head = html.Thead(
        html.Tr(
            [html.Th("candidate"), *[html.Th(label) for _, label in columns], html.Th("fitted on")]
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
        cells.append(html.Td(fmt(run.get("n_train"))))
        body.append(html.Tr(cells, className="table-success" if run.get("selected") else ""))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True)


def _curves(view: TaskView) -> list[Any]:
    roc, pr = [], []
    palette = [TEAL, BLUE, NAVY, "#9b59b6", "#e67e22", "#95a5a6"]
    for i, run in enumerate(c for c in view.candidates if c.get("curves")):
        curves = run["curves"]
        width = 3 if run.get("selected") else 1.5
        style = {"color": palette[i % len(palette)], "width": width}
        if curves.get("roc"):
            xs, ys = zip(*curves["roc"], strict=True)
            roc.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": ys,
                    "mode": "lines",
                    "name": run["candidate"],
                    "line": style,
                }
            )
        if curves.get("pr"):
            xs, ys = zip(*curves["pr"], strict=True)
            pr.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": ys,
                    "mode": "lines",
                    "name": run["candidate"],
                    "line": style,
                }
            )
    diagonal = {
        "type": "scatter",
        "x": [0, 1],
        "y": [0, 1],
        "mode": "lines",
        "line": {"dash": "dot", "color": "#bdc3c7"},
        "showlegend": False,
    }
    charts = []
    if roc:
        charts.append(
            _graph(
                figure(
                    [*roc, diagonal],
                    300,
                    title={"text": "ROC"},
                    xaxis={"title": {"text": "false positive rate"}},
                    yaxis={"title": {"text": "true positive rate"}},
                )
            )
        )
    if pr:
        charts.append(
            _graph(
                figure(
                    pr,
                    300,
                    title={"text": "Precision–recall"},
                    xaxis={"title": {"text": "recall"}},
                    yaxis={"title": {"text": "precision"}},
                )
            )
        )
    selected = view.selected or {}
    calibration = (selected.get("curves") or {}).get("calibration")
    if calibration:
        charts.append(
            _graph(
                figure(
                    [
                        diagonal,
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": "observed",
                            "x": [b["predicted"] for b in calibration],
                            "y": [b["observed"] for b in calibration],
                            "text": [f"{b['count']:,} rows" for b in calibration],
                            "line": {"color": TEAL},
                        },
                    ],
                    300,
                    title={"text": "Calibration (selected model)"},
                    xaxis={"title": {"text": "predicted probability"}},
                    yaxis={"title": {"text": "observed share"}},
                )
            )
        )
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
    return _graph(
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
    return _graph(
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
        ("Rows (train / test)", f"{fmt(run.get('n_train'))} / {fmt(run.get('n_test'))}"),
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
        className="small mb-0",
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
    return dbc.Card(dbc.CardBody(_graph(fig, "early-scoring")), className="mb-3")


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
    nav = dbc.Nav(
        [
            dbc.NavLink(
                [
                    t.title,
                    *(
                        [html.Span(" (unavailable)", className="small")]
                        if t.status == "unavailable"
                        else []
                    ),
                ],
                href=f"{PATH}?task={t.task}",
                active=t.task == view.task,
                external_link=True,
                disabled=False,
            )
            for t in tasks
            if not t.task.startswith("session_conversion_k")
        ],
        pills=True,
        className="mb-3 flex-wrap",
    )
    if view.status == "unavailable":
        body: list[Any] = [empty_state(f"{view.title}: unavailable", view.reason or "")]
    else:
        charts = [c for c in [*_curves(view), _confusion(view), _importance(view)] if c is not None]
        body = [
            dbc.Card(
                [
                    dbc.CardHeader(f"{view.title}: candidates"),
                    dbc.CardBody(_candidates_table(view)),
                ],
                className="mb-3",
            ),
            dbc.Row([dbc.Col(dbc.Card(dbc.CardBody(c)), lg=6, className="mb-3") for c in charts]),
            dbc.Card([dbc.CardHeader("How this number was made"), dbc.CardBody(_facts(view))]),
        ]
    return html.Div([header, _early(tasks), nav, *body])


def register_callbacks(app: dash.Dash) -> None:
    """Rendered from the URL (?task=…); no callbacks of its own."""
