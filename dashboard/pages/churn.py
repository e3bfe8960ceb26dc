"""Churn risk: the at-risk list ranked by value at risk with each customer's reasons, the
tier distribution, and actions (contacted, added to a campaign) recorded with who and when."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, dcc, html, no_update

from analytics.churn import LOWERS, MAX_LIST, WHY, ChurnView, churn_view, known_customers
from analytics.cohort import Cohort
from analytics.explore import describe
from analytics.model_verdicts import column_caveats
from appstate.store import CustomerMarks, User
from dashboard import ids
from dashboard.auth import may, requires
from dashboard.callback_inputs import CLICKS, ID, Json, Records, Text, wire
from dashboard.components import (
    card,
    chart_card,
    chips,
    empty_state,
    model_caveat,
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
QUERY_CHARS = 4000
MARKED = "marked"


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


# What the list shows, in order: the reasons come right after who and how much, so they are
# on screen at 1440 px without scrolling sideways (issue 11, item 5); the rest follows.
GRID_COLUMNS = (
    "customer_id",
    MARKED,
    "churn_tier",
    "churn_prob",
    "value_at_risk",
    WHY,
    LOWERS,
    "recency_days",
    "orders",
    "revenue",
    "predicted_revenue",
    "country",
)
HEADERS = {
    "customer_id": "customer",
    MARKED: "done so far",
    "churn_tier": "tier",
    "churn_prob": "churn risk",
    WHY: "why at risk",
    LOWERS: "holding risk down",
    "recency_days": "days since last visit",
}
WIDTHS = {
    "customer_id": 130,
    MARKED: 170,
    "churn_tier": 90,
    "churn_prob": 110,
    "value_at_risk": 120,
    WHY: 330,
    LOWERS: 220,
}
# Multi-line text cells: one reason (or mark) per line, rows as tall as they need.
TEXT_CELL = {"wrapText": True, "autoHeight": True, "cellStyle": {"whiteSpace": "pre-line"}}
#: What a phone shows of the list: who, how much is at stake, how likely they leave.
PHONE_COLUMNS = ("customer_id", "value_at_risk", "churn_prob")


def _column_defs(columns: list[str], caveats: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The grid's columns; one derived from a weak model says so in its header."""
    caveats = caveats or {}
    defs = []
    for c in columns:
        d: dict[str, Any] = {"field": c, "headerName": HEADERS.get(c, c.replace("_", " "))}
        if c in caveats:
            d["headerName"] += " ⚠ weak model"
            d["headerTooltip"] = caveats[c]
        if c in WIDTHS:
            d["width"] = WIDTHS[c]
        if c == "customer_id":
            d["pinned"] = "left"
        formatter = CATALOGUE.grid_formatter(c)  # shares, money: as the catalogue shows them
        if formatter is not None:
            d["valueFormatter"] = formatter
            d["type"] = "rightAligned"
        if c in (WHY, LOWERS, MARKED):
            d.update(TEXT_CELL, sortable=False)
        defs.append(d)
    return defs


def _marks_text(marks: CustomerMarks | None) -> str:
    if marks is None:
        return ""
    lines = [f"contacted {marks.contacted_at:%Y-%m-%d}"] if marks.contacted_at else []
    lines += [f"in “{name}”" for name in marks.campaigns]
    return "\n".join(lines)


def _grid_rows(frame: pl.DataFrame, marks: dict[str, CustomerMarks]) -> list[dict[str, Any]]:
    """The list's rows: dates as text, reasons one per line, and what was done so far."""
    temporal = [frame[c].cast(str) for c in frame.columns if frame[c].dtype.is_temporal()]
    lists = [pl.col(c).list.join("\n") for c in (WHY, LOWERS) if c in frame.columns]
    rows = frame.with_columns(temporal).with_columns(lists).to_dicts()
    for row in rows:
        row[MARKED] = _marks_text(marks.get(str(row["customer_id"])))
    return rows


def _rows(view: ChurnView) -> list[dict[str, Any]]:
    ids_shown = [str(c) for c in view.at_risk["customer_id"].to_list()]
    return _grid_rows(view.at_risk, context().state.marks(ids_shown))


def _action_bar(may_act: bool) -> dbc.Row:
    def button(label: str, id_: str, colour: str) -> dbc.Button:
        return dbc.Button(label, id=id_, color=colour, disabled=not may_act, className="w-100")

    campaign = dbc.Input(
        id=ids.RISK_CAMPAIGN,
        maxLength=CAMPAIGN_CHARS,
        placeholder="campaign name",
        disabled=not may_act,
    )
    # Both buttons in a solid colour: a grey "secondary" one read as disabled (issue 11).
    return dbc.Row(
        [
            dbc.Col(button("Mark contacted", ids.RISK_CONTACTED, "primary"), md=3),
            dbc.Col(campaign, md=5),
            dbc.Col(button("Add to campaign", ids.RISK_ADD, "success"), md=4),
        ],
        className="g-2 mt-2",
    )


def _risk_card(view: ChurnView, may_act: bool) -> dbc.Card:
    rows = _rows(view)
    columns = [c for c in GRID_COLUMNS if c == MARKED or c in view.at_risk.columns]
    caveats = column_caveats(context().reader, columns)
    grid = dag.AgGrid(
        id=ids.RISK_GRID,
        rowData=rows,
        columnDefs=phone_columns(_column_defs(columns, caveats), PHONE_COLUMNS),
        defaultColDef={"resizable": True, "sortable": True, "minWidth": 90},
        getRowId="params.data.customer_id",
        getRowStyle={
            "styleConditions": [
                # Customers someone already acted on: tinted, so the list shows who is left.
                {"condition": "params.data.marked", "style": {"backgroundColor": "#eaf7f3"}}
            ]
        },
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True},
            "pagination": True,
            "paginationPageSize": 20,
        },
        style={"height": "560px"},
        className="ag-theme-alpine",
    )
    return card(
        f"High-risk customers: {view.total_at_risk:,} (top {len(rows):,} by value at risk shown)",
        [
            html.P(
                "Why at risk: what raised each customer's churn risk, strongest first; what "
                "holds it down is listed apart. Tinted rows were already contacted or added to "
                "a campaign.",
                className="small text-muted mb-2",
            ),
            *[
                model_caveat(f"{text} ({HEADERS.get(c, c.replace('_', ' '))})", f"risk-caveat-{c}")
                for c, text in caveats.items()
            ],
            grid,
            _action_bar(may_act),
            html.Div(id=ids.RISK_STATUS, className="small mt-2"),
        ],
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
        html.Div(
            chips(
                ctx.cached("describe", (cohort.to_query(),), lambda: describe(ctx.reader, cohort))
            )
        ),
    )
    if not view.available:
        return html.Div([header, empty_state("No churn risk to show", view.reason or "")])
    may_act = may(ctx.current_user(), "act")
    # The list spans the page so its reasons fit on screen; tiers and the log sit below.
    return html.Div(
        [
            header,
            dcc.Store(id=ids.RISK_QUERY, data=cohort.to_query()),
            html.Div(_risk_card(view, may_act), className="mb-3"),
            dbc.Row(
                [
                    dbc.Col(
                        chart_card(None, tier_bars(view.tiers), ids.RISK_TIERS),
                        lg=4,
                        className="mb-3",
                    ),
                    dbc.Col(
                        card(
                            "Action log",
                            html.Div(
                                _log_table(ctx.state.actions(limit=LOG_ROWS)), id=ids.RISK_LOG
                            ),
                        ),
                        lg=8,
                        className="mb-3",
                    ),
                ]
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


def refresh_marks(_log: Any, query: str | None) -> Any:
    """The list again, with its marks, after an action was recorded (the action log is
    rewritten only when one was)."""
    ctx = context()
    cohort = Cohort.from_query(query or "")
    view = ctx.cached(
        "churn", (cohort.to_query(),), lambda: churn_view(ctx.reader, cohort, limit=MAX_LIST)
    )
    return _rows(view) if view.available else no_update


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
    wire(
        app,
        refresh_marks,
        outputs=[Output(ids.RISK_GRID, "rowData")],
        args=[
            (Input(ids.RISK_LOG, "children"), Json()),
            (State(ids.RISK_QUERY, "data"), Text(QUERY_CHARS, label="list query")),
        ],
        prevent_initial_call=True,
    )
