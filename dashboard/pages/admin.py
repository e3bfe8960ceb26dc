"""Admin: who may use the dashboard, and with which role. Admins only."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update

from appstate.store import ROLES
from common.errors import ShopSightError
from dashboard import ids
from dashboard.auth import RIGHTS, may
from dashboard.components import empty_state, page_header
from dashboard.context import context

PATH = "/admin"
TITLE = "Admin"


def _users_table() -> dbc.Table:
    users = context().state.list_users()
    if not users:
        return html.P("No users yet: add the first one below.", className="text-muted")
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("user"), html.Th("role"), html.Th("may")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(u.name),
                            html.Td(u.role),
                            html.Td(", ".join(sorted(RIGHTS[u.role])) or "read"),
                        ]
                    )
                    for u in users
                ]
            ),
        ],
        size="sm",
        striped=True,
    )


def layout(**query: Any) -> html.Div:
    ctx = context()
    header = page_header(
        "Admin",
        "Users and roles: viewer reads, analyst also exports, "
        "admin also acts, uploads, rebuilds and manages users.",
    )
    if not may(ctx.current_user(), "users"):
        return html.Div([header, empty_state("Admins only", "Ask an admin for access.")])
    notice = (
        dbc.Alert(
            "Demo mode: the dashboard asks nobody to sign in. Users added here take effect "
            "when it is served with --no-demo.",
            color="warning",
        )
        if ctx.settings.demo_mode
        else None
    )
    return html.Div(
        [
            header,
            notice,
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader("Users"),
                                dbc.CardBody(_users_table(), id=ids.USERS_TABLE),
                            ]
                        ),
                        lg=7,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader("Add a user or change a role"),
                                dbc.CardBody(
                                    [
                                        dbc.Label("User name", html_for=ids.USER_NAME),
                                        dbc.Input(id=ids.USER_NAME, maxLength=80, className="mb-2"),
                                        dbc.Label(
                                            "Password (new users; 8+ characters)",
                                            html_for=ids.USER_PASSWORD,
                                        ),
                                        dbc.Input(
                                            id=ids.USER_PASSWORD, type="password", className="mb-2"
                                        ),
                                        dbc.Label("Role", html_for=ids.USER_ROLE),
                                        dbc.Select(
                                            id=ids.USER_ROLE,
                                            options=[{"label": r, "value": r} for r in ROLES],
                                            value="viewer",
                                            className="mb-3",
                                        ),
                                        dbc.Button("Save", id=ids.USER_ADD, color="primary"),
                                        html.Div(id=ids.USER_STATUS, className="small mt-2"),
                                    ]
                                ),
                            ]
                        ),
                        lg=5,
                        className="mb-3",
                    ),
                ]
            ),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.USER_STATUS, "children"),
        Output(ids.USERS_TABLE, "children"),
        Input(ids.USER_ADD, "n_clicks"),
        State(ids.USER_NAME, "value"),
        State(ids.USER_PASSWORD, "value"),
        State(ids.USER_ROLE, "value"),
        prevent_initial_call=True,
    )
    def save_user(_: Any, name: str | None, password: str | None, role: str | None) -> Any:
        ctx = context()
        if not may(ctx.current_user(), "users"):
            return html.Span("Only admins manage users.", className="text-danger"), no_update
        name = (name or "").strip()
        if not name:
            return html.Span("Give a user name.", className="text-danger"), no_update
        if role not in ROLES:
            return html.Span("Choose a role.", className="text-danger"), no_update
        try:
            if ctx.state.get_user(name) is None:
                if not password or len(password) < 8:
                    return (
                        html.Span(
                            "A new user needs a password of 8+ characters.", className="text-danger"
                        ),
                        no_update,
                    )
                ctx.state.add_user(name, password, role)
                message = f"Added {name} as {role}."
            else:
                ctx.state.set_role(name, role)
                if password:
                    if len(password) < 8:
                        return html.Span(
                            "Passwords need 8+ characters.", className="text-danger"
                        ), no_update
                    ctx.state.set_password(name, password)
                message = f"{name} is now {role}."
        except ShopSightError as exc:
            return html.Span(str(exc), className="text-danger"), no_update
        return html.Span(message, className="text-success"), _users_table()
