"""Churn risk: the at-risk list ranked by value at risk with each customer's reasons, the
tier distribution, and actions (contacted, added to a campaign) recorded with who and when."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, html, no_update

from analytics.churn import MAX_LIST, ChurnView, churn_view, known_customers
from analytics.cohort import Cohort
from appstate.store import User
from dashboard import ids
from dashboard.auth import may, requires
from dashboard.callback_inputs import CLICKS, ID, Records, Text, wire
from dashboard.components import (
    card,
    chart_card,
    chips,
    empty_state,
    page_header,
    phone_columns,
    status,
)
from dashboard.context import context
from dashboard.figures import tier_bars
from models.outputs import CATALOGUE

PATH = "/churn"
TITLE = "Churn risk"
CAMPAIGN_CHARS = 80
LOG_ROWS = 20
# More rows than the list ever shows (a header checkbox selects at most the list).
MAX_SELECTED = 5 * MAX_LIST


def _log_table(rows: list[Any]) -> Any:
    if not rows:
        return html.Span("No actions recorded yet.", className="text-muted small")
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("when", "who", "action", "customer", "campaign")])
    )
    body = html.Tbody(
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
    )
    return dbc.Table([head, body], size="sm", striped=True, className="small mb-0")


#: What a phone shows of the list: who, how much is at stake, how likely they leave.
PHONE_COLUMNS = ("customer_id", "value_at_risk", "churn_prob")


def _column_defs(columns: list[str]) -> list[dict[str, Any]]:
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
    return defs


def _grid_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    temporal = [frame[c].cast(str) for c in frame.columns if frame[c].dtype.is_temporal()]
    return frame.with_columns(temporal).to_dicts()


def _action_bar(may_act: bool) -> dbc.Row:
    def button(label: str, id_: str, colour: str) -> dbc.Button:
        return dbc.Button(label, id=id_, color=colour, disabled=not may_act, className="w-100")

    campaign = dbc.Input(
        id=ids.RISK_CAMPAIGN,
        maxLength=CAMPAIGN_CHARS,
        placeholder="campaign name",
        disabled=not may_act,
    )
    return dbc.Row(
        [
            dbc.Col(button("Mark contacted", ids.RISK_CONTACTED, "primary"), md=3),
            dbc.Col(campaign, md=5),
            dbc.Col(button("Add to campaign", ids.RISK_ADD, "secondary"), md=4),
        ],
        className="g-2 mt-2",
    )


def _risk_card(view: ChurnView, may_act: bool) -> dbc.Card:
    rows = _grid_rows(view.at_risk)
    grid = dag.AgGrid(
        id=ids.RISK_GRID,
        rowData=rows,
        columnDefs=phone_columns(_column_defs(list(view.at_risk.columns)), PHONE_COLUMNS),
        defaultColDef={"resizable": True, "sortable": True, "minWidth": 110},
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True},
            "pagination": True,
            "paginationPageSize": 20,
        },
        style={"height": "460px"},
        className="ag-theme-alpine",
    )
    return card(
        f"High-risk customers: {view.total_at_risk:,} (top {len(rows):,} by value at risk shown)",
        [grid, _action_bar(may_act), html.Div(id=ids.RISK_STATUS, className="small mt-2")],
    )


def layout(**query: Any) -> html.Div:
    ctx = context()
    cohort = Cohort.from_query(query)
    view = ctx.cached(
        "churn", (cohort.to_query(),), lambda: churn_view(ctx.reader, cohort, limit=MAX_LIST)
    )
    header = page_header(
        "Churn risk",
        "Customers most likely to lapse, ranked by value at risk = P(churn) × predicted revenue.",
        html.Div(chips(cohort.describe())),
    )
    if not view.available:
        return html.Div([header, empty_state("No churn risk to show", view.reason or "")])
    may_act = may(ctx.current_user(), "act")
    return html.Div(
        [
            header,
            dbc.Row(
                [
                    dbc.Col(
                        chart_card(None, tier_bars(view.tiers), ids.RISK_TIERS),
                        lg=4,
                        className="mb-3",
                    ),
                    dbc.Col(_risk_card(view, may_act), lg=8, className="mb-3"),
                ]
            ),
            card(
                "Action log",
                html.Div(_log_table(ctx.state.actions(limit=LOG_ROWS)), id=ids.RISK_LOG),
            ),
        ]
    )


def _refused() -> tuple[Any, Any]:
    return status("Your role cannot record actions."), no_update


@requires("act", refused=_refused)
def act(
    user: User,
    contacted: int | None,
    added: int | None,
    selected: list[dict[str, Any]] | None,
    campaign: str | None,
) -> tuple[Any, Any]:
    """Record the selected customers as contacted, or as added to the named campaign
    (whichever button was pressed), with who and when; only customers that exist."""
    ctx = context()
    customers = list(
        dict.fromkeys(str(r["customer_id"]) for r in selected or [] if r["customer_id"])
    )
    if not customers:
        return status("Select customers in the list first."), no_update
    known = known_customers(ctx.reader, customers)
    unknown = [c for c in customers if c not in known]
    if unknown:
        return status(
            f"{len(unknown):,} selected id(s) are not customers of this warehouse."
        ), no_update
    if dash.callback_context.triggered_id == ids.RISK_ADD:
        name = (campaign or "").strip()
        if not name:
            return status("Name the campaign."), no_update
        build = ctx.reader.build_id()
        ctx.state.log_action(
            user.name, "added_to_campaign", customers, campaign=name, build_id=build
        )
        message = f"Added {len(customers):,} customer(s) to “{name}”."
    else:
        ctx.state.log_action(user.name, "contacted", customers, build_id=ctx.reader.build_id())
        message = f"Marked {len(customers):,} customer(s) as contacted."
    return status(message, ok=True), _log_table(ctx.state.actions(limit=LOG_ROWS))


def _invalid(message: str) -> tuple[Any, Any]:
    return status(f"Not recorded: {message}."), no_update


def register_callbacks(app: dash.Dash) -> None:
    wire(
        app,
        act,
        outputs=[Output(ids.RISK_STATUS, "children"), Output(ids.RISK_LOG, "children")],
        args=[
            (Input(ids.RISK_CONTACTED, "n_clicks"), CLICKS),
            (Input(ids.RISK_ADD, "n_clicks"), CLICKS),
            (
                State(ids.RISK_GRID, "selectedRows"),
                Records(fields={"customer_id": ID}, max_items=MAX_SELECTED, label="selection"),
            ),
            (State(ids.RISK_CAMPAIGN, "value"), Text(CAMPAIGN_CHARS, label="campaign name")),
        ],
        invalid=_invalid,
        prevent_initial_call=True,
    )
