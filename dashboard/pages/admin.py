"""Admin: who may use the dashboard, and with which role. Admins only."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update

from appstate.passwords import MIN_PASSWORD, check_password_policy
from appstate.store import ROLES, User
from common.errors import ShopSightError
from dashboard import ids
from dashboard.auth import RIGHTS, may, requires
from dashboard.callback_inputs import CLICKS, Choice, Text, wire
from dashboard.components import card, empty_state, page_header, status
from dashboard.context import context

PATH = "/admin"
TITLE = "Admin"
NAME_CHARS = 80
# Long enough for any passphrase, short enough that hashing it costs nothing.
PASSWORD_CHARS = 1024


def _users_table() -> dbc.Table | html.P:
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


def _user_form() -> list[Any]:
    return [
        dbc.Label("User name", html_for=ids.USER_NAME),
        dbc.Input(id=ids.USER_NAME, maxLength=NAME_CHARS, className="mb-2"),
        dbc.Label(
            f"Password (new users; at least {MIN_PASSWORD} characters, not a common one)",
            html_for=ids.USER_PASSWORD,
        ),
        dbc.Input(
            id=ids.USER_PASSWORD, type="password", maxLength=PASSWORD_CHARS, className="mb-2"
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
    users = card("Users", _users_table(), body_id=ids.USERS_TABLE)
    form = card("Add a user or change a role", _user_form())
    return html.Div(
        [
            header,
            notice,
            dbc.Row(
                [
                    dbc.Col(users, lg=7, className="mb-3"),
                    dbc.Col(form, lg=5, className="mb-3"),
                ]
            ),
        ]
    )


def _refused() -> tuple[Any, Any]:
    return status("Only admins manage users."), no_update


@requires("users", refused=_refused)
def save_user(
    _user: User, _clicks: int | None, name: str | None, password: str | None, role: str | None
) -> Any:
    """Add a user (a password is required) or change a user's role (and password, if given)."""
    ctx = context()
    name = (name or "").strip()
    if not name:
        return status("Give a user name."), no_update
    if role not in ROLES:
        return status("Choose a role."), no_update
    try:
        if password:
            check_password_policy(password)  # before any change: a refused password changes nothing
        if ctx.state.get_user(name) is None:
            if not password:
                return status(
                    f"A new user needs a password of at least {MIN_PASSWORD} characters."
                ), no_update
            ctx.state.add_user(name, password, role)
            message = f"Added {name} as {role}."
        else:
            ctx.state.set_role(name, role)
            if password:
                ctx.state.set_password(name, password)
            message = f"{name} is now {role}."
    except ShopSightError as exc:
        return status(str(exc)), no_update
    return status(message, ok=True), _users_table()


def _invalid(message: str) -> tuple[Any, Any]:
    return status(f"Not saved: {message}."), no_update


def register_callbacks(app: dash.Dash) -> None:
    wire(
        app,
        save_user,
        outputs=[Output(ids.USER_STATUS, "children"), Output(ids.USERS_TABLE, "children")],
        args=[
            (Input(ids.USER_ADD, "n_clicks"), CLICKS),
            (State(ids.USER_NAME, "value"), Text(NAME_CHARS, label="user name")),
            (State(ids.USER_PASSWORD, "value"), Text(PASSWORD_CHARS, label="password")),
            (State(ids.USER_ROLE, "value"), Choice(values=tuple(ROLES), label="role")),
        ],
        invalid=_invalid,
        prevent_initial_call=True,
    )
