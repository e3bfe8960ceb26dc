"""Churn risk: the at-risk list ranked by value at risk with each customer's reasons, the
tier distribution, and actions (contacted, added to a campaign) recorded with who and when."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from analytics.churn import churn_view
from analytics.cohort import Cohort
from dashboard import ids
from dashboard.auth import may
from dashboard.components import chips, empty_state, page_header
from dashboard.context import context
from dashboard.figures import tier_bars
from models.outputs import CATALOGUE

PATH = "/churn"
TITLE = "Churn risk"


def _log_table(rows: list[Any]) -> Any:
    if not rows:
        return html.Span("No actions recorded yet.", className="text-muted small")
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(h) for h in ("when", "who", "action", "customer", "campaign")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(str(a.logged_at)[:19]),
                            html.Td(a.user),
                            html.Td(a.action),
                            html.Td(a.customer_id),
                            html.Td(a.campaign or ""),
                        ]
                    )
                    for a in rows
                ]
            ),
        ],
        size="sm",
        striped=True,
        className="small mb-0",
    )


def layout(**query: Any) -> html.Div:
    ctx = context()
    cohort = Cohort.from_query(query)
    view = ctx.cached(
        "churn", (cohort.to_query(),), lambda: churn_view(ctx.reader, cohort, limit=500)
    )
    header = page_header(
        "Churn risk",
        "Customers most likely to lapse, ranked by value at risk = P(churn) × predicted revenue.",
        html.Div(chips(cohort.describe())),
    )
    if not view.available:
        return html.Div([header, empty_state("No churn risk to show", view.reason or "")])
    columns = list(view.at_risk.columns)
    defs = []
    for c in columns:
        d: dict[str, Any] = {"field": c, "headerName": c.replace("_", " ")}
        if c == "customer_id":
            d["pinned"] = "left"
        formatter = CATALOGUE.grid_formatter(c)  # shares, money: as the catalogue shows them
        if formatter is not None:
            d["valueFormatter"] = formatter
        if c.startswith("churn_reason_"):
            d.update({"headerName": f"reason {c[-1]}", "minWidth": 260, "wrapText": False})
        defs.append(d)
    rows = view.at_risk.with_columns(
        [view.at_risk[c].cast(str) for c in columns if view.at_risk[c].dtype.is_temporal()]
    ).to_dicts()
    may_act = may(ctx.current_user(), "act")
    return html.Div(
        [
            header,
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                dcc.Graph(
                                    id=ids.RISK_TIERS,
                                    figure=tier_bars(view.tiers),
                                    config={"displayModeBar": False},
                                )
                            )
                        ),
                        lg=4,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    f"High-risk customers: {view.total_at_risk:,} "
                                    f"(top {len(rows):,} by value at risk shown)"
                                ),
                                dbc.CardBody(
                                    [
                                        dag.AgGrid(
                                            id=ids.RISK_GRID,
                                            rowData=rows,
                                            columnDefs=defs,
                                            defaultColDef={
                                                "resizable": True,
                                                "sortable": True,
                                                "minWidth": 110,
                                            },
                                            dashGridOptions={
                                                "rowSelection": {
                                                    "mode": "multiRow",
                                                    "checkboxes": True,
                                                    "headerCheckbox": True,
                                                },
                                                "pagination": True,
                                                "paginationPageSize": 20,
                                            },
                                            style={"height": "460px"},
                                            className="ag-theme-alpine",
                                        ),
                                        dbc.Row(
                                            [
                                                dbc.Col(
                                                    dbc.Button(
                                                        "Mark contacted",
                                                        id=ids.RISK_CONTACTED,
                                                        color="primary",
                                                        disabled=not may_act,
                                                        className="w-100",
                                                    ),
                                                    md=3,
                                                ),
                                                dbc.Col(
                                                    dbc.Input(
                                                        id=ids.RISK_CAMPAIGN,
                                                        maxLength=80,
                                                        placeholder="campaign name",
                                                        disabled=not may_act,
                                                    ),
                                                    md=5,
                                                ),
                                                dbc.Col(
                                                    dbc.Button(
                                                        "Add to campaign",
                                                        id=ids.RISK_ADD,
                                                        color="secondary",
                                                        disabled=not may_act,
                                                        className="w-100",
                                                    ),
                                                    md=4,
                                                ),
                                            ],
                                            className="g-2 mt-2",
                                        ),
                                        html.Div(id=ids.RISK_STATUS, className="small mt-2"),
                                    ]
                                ),
                            ]
                        ),
                        lg=8,
                        className="mb-3",
                    ),
                ]
            ),
            dbc.Card(
                [
                    dbc.CardHeader("Action log"),
                    dbc.CardBody(
                        html.Div(_log_table(ctx.state.actions(limit=20)), id=ids.RISK_LOG)
                    ),
                ]
            ),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.RISK_STATUS, "children"),
        Output(ids.RISK_LOG, "children"),
        Input(ids.RISK_CONTACTED, "n_clicks"),
        Input(ids.RISK_ADD, "n_clicks"),
        State(ids.RISK_GRID, "selectedRows"),
        State(ids.RISK_CAMPAIGN, "value"),
        prevent_initial_call=True,
    )
    def act(contacted: Any, added: Any, selected: Any, campaign: str | None) -> tuple[Any, Any]:
        ctx = context()
        user = ctx.current_user()
        if user is None or not may(user, "act"):
            return html.Span("Your role cannot record actions.", className="text-danger"), no_update
        customers = [str(r["customer_id"]) for r in (selected or []) if r.get("customer_id")]
        if not customers:
            hint = "Select customers in the list first."
            return html.Span(hint, className="text-danger"), no_update
        trigger = dash.callback_context.triggered_id
        if trigger == ids.RISK_ADD:
            name = (campaign or "").strip()
            if not name:
                return html.Span("Name the campaign.", className="text-danger"), no_update
            ctx.state.log_action(
                user.name,
                "added_to_campaign",
                customers,
                campaign=name,
                build_id=ctx.reader.build_id(),
            )
            message = f"Added {len(customers):,} customer(s) to “{name}”."
        else:
            ctx.state.log_action(user.name, "contacted", customers, build_id=ctx.reader.build_id())
            message = f"Marked {len(customers):,} customer(s) as contacted."
        log_table = _log_table(ctx.state.actions(limit=20))
        return html.Span(message, className="text-success"), log_table
