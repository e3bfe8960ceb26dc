"""The Dash app factory.

``create_app(settings)`` builds a fresh app: pages are registered by the factory (never by a
module-level ``@dash.callback``, which would leave a second app in the same process without
callbacks), and every page's callbacks are registered on this app object.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, html
from dash_bootstrap_templates import load_figure_template

from analytics.overview import money
from appstate.store import AppState
from common.errors import ShopSightError
from dashboard import ids
from dashboard.cache import ResultCache
from dashboard.callback_inputs import CLICKS, Flag, Spec, Text, check_requests
from dashboard.components import empty_state, error_alert
from dashboard.context import EXTENSION, AppContext, context
from dashboard.export_route import register_export_routes
from dashboard.jobs import RebuildJob
from dashboard.login import register_login
from dashboard.pages import (
    admin,
    churn,
    cohorts,
    data,
    models,
    overview,
    segments,
    sessions,
    whatif,
)
from dashboard.settings import Settings
from dashboard.web_security import register_security_headers, trust_proxies
from warehouse.catalogue import currency_for, use_currency
from warehouse.errors import WarehouseNotFoundError
from warehouse.reader import WarehouseReader

ASSETS = Path(__file__).resolve().parents[1] / "assets"
log = logging.getLogger("shopsight.dashboard")
# The arguments of callbacks registered by Dash and by libraries rather than by our pages,
# checked like ours (dashboard.callback_inputs): the pages router gets the address bar's path
# and query string; dash-bootstrap-templates' theme changer toggles its panel.
FOREIGN_CALLBACKS: dict[str, list[Spec]] = {
    ".._pages_content.children..._pages_store.data..": [
        Text(2048, pattern="/.*", optional=False, label="path"),
        Text(8192, optional=False, label="query"),
    ],
    '{"aio_id":["MATCH"],"component":"ThemeChangerAIO","subcomponent":"offcanvas"}.is_open': [
        CLICKS,
        Flag(label="open"),
    ],
}


def page_modules() -> list[ModuleType]:
    """The pages in navigation order."""
    return [overview, cohorts, segments, churn, sessions, models, whatif, data, admin]


def create_app(settings: Settings) -> dash.Dash:
    """A new dashboard app for ``settings``."""
    load_figure_template("flatly")
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title=settings.title,
        # None keeps the tab title while callbacks run (Dash's stubs say str only).
        update_title=None,  # type: ignore[arg-type]
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    server = app.server
    server.secret_key = settings.secret_key
    server.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    server.extensions[EXTENSION] = AppContext(
        settings=settings,
        reader=WarehouseReader(settings.db_path, memory_limit=settings.memory_limit),
        state=AppState(settings.resolved_state_path),
        cache=ResultCache(settings.db_path, ttl_seconds=settings.cache_seconds),
        rebuild_job=RebuildJob(settings.db_path),
    )
    modules = page_modules()
    for order, module in enumerate(modules):
        dash.register_page(  # type: ignore[no-untyped-call]  # untyped in Dash
            module.__name__,
            path=module.PATH,
            name=module.TITLE,
            title=f"{module.TITLE} · ShopSight",
            order=order,
            layout=guarded_layout(module.layout),
        )
        module.register_callbacks(app)
    app.layout = shell(settings, modules)
    register_shell_callbacks(app)
    _register_routes(server)
    _show_money_in_its_currency(server)
    # After the sign-in gate (in _register_routes), so signed-out requests still get 401.
    check_requests(app, FOREIGN_CALLBACKS)
    register_security_headers(app)
    trust_proxies(server, settings.proxy_hops)
    return app


def warm_cache(app: dash.Dash) -> threading.Thread:
    """Compute every page's default view in the background, so the first visitors after a
    start (or a rebuild) find it cached instead of all waiting on cold queries."""

    def run() -> None:
        started = time.perf_counter()
        with app.server.test_request_context("/"):
            for module in page_modules():
                try:
                    module.layout()
                    warm = getattr(module, "warm", None)
                    if warm is not None:
                        warm()
                except Exception:  # warming is best effort; the page shows its own errors
                    log.exception("warming %s failed", module.__name__)
        log.info("default views computed in %.1f s", time.perf_counter() - started)

    thread = threading.Thread(target=run, name="shopsight-warm", daemon=True)
    thread.start()
    return thread


#: The menu button opens and closes the links; following a link closes them again.
_TOGGLE_MENU = """
function(clicks, path, open) {
    const trigger = (dash_clientside.callback_context.triggered[0] || {}).prop_id || '';
    return trigger.startsWith('nav-toggler') ? !open : false;
}
"""


def shell(settings: Settings, modules: list[ModuleType]) -> Callable[[], html.Div]:
    """The frame around every page: navigation, demo banner, page container. Below the
    ``lg`` breakpoint (tablets, phones) the links fold into a menu button."""

    def layout() -> html.Div:
        nav = [dbc.NavItem(dbc.NavLink(m.TITLE, href=m.PATH, active="exact")) for m in modules]
        return html.Div(
            [
                html.Div(
                    "Demo mode: no login, every visitor acts as an admin.",
                    className="demo-banner",
                )
                if settings.demo_mode
                else None,
                dbc.Navbar(
                    dbc.Container(
                        [
                            html.A(
                                [html.Img(src=_asset_url("logo.svg"), alt=""), "ShopSight"],
                                href="/",
                                className="navbar-brand d-flex align-items-center",
                            ),
                            dbc.NavbarToggler(
                                [
                                    html.Span(className="navbar-toggler-icon"),
                                    html.Span("Menu", className="visually-hidden"),
                                ],
                                id=ids.NAV_TOGGLER,
                                n_clicks=0,
                            ),
                            dbc.Collapse(
                                [
                                    dbc.Nav(nav, navbar=True, className="me-auto"),
                                    _user_badge(settings),
                                ],
                                id=ids.NAV_COLLAPSE,
                                is_open=False,
                                navbar=True,
                            ),
                        ],
                        fluid=True,
                    ),
                    color="primary",
                    dark=True,
                    expand="lg",
                    className="mb-3",
                ),
                dbc.Container(dash.page_container, fluid=True, className="pb-5"),
            ]
        )

    return layout


def register_shell_callbacks(app: dash.Dash) -> None:
    """The menu button (in the browser: no request reaches the server)."""
    app.clientside_callback(  # type: ignore[no-untyped-call]  # untyped in Dash
        _TOGGLE_MENU,
        Output(ids.NAV_COLLAPSE, "is_open"),
        Input(ids.NAV_TOGGLER, "n_clicks"),
        Input("_pages_location", "pathname"),
        State(ids.NAV_COLLAPSE, "is_open"),
    )


def _asset_url(path: str) -> str:
    url: str = dash.get_asset_url(path)  # type: ignore[no-untyped-call]  # untyped in Dash
    return url


def _user_badge(settings: Settings) -> html.Div | None:
    if settings.demo_mode or not flask.has_request_context():
        return None
    user = context().current_user()
    if user is None:
        return None
    return html.Div(
        [
            html.Span(f"{user.name} · {user.role}", className="text-light small me-3"),
            html.A("Sign out", href="/logout", className="btn btn-outline-light btn-sm"),
        ],
        className="d-flex align-items-center",
    )


def guarded_layout(layout: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a page layout so a missing warehouse or a bad filter shows a friendly message."""

    def wrapped(**query: Any) -> Any:
        try:
            return layout(**query)
        except WarehouseNotFoundError as exc:
            return empty_state("No warehouse yet", str(exc), html.Code("shopsight demo"))
        except ShopSightError as exc:
            return error_alert(str(exc), "This view cannot be shown")
        except Exception:  # a page must never show a traceback
            log.exception("page layout failed")
            return error_alert(
                "Something went wrong while building this page; the details are in the server log.",
                "Unexpected error",
            )

    wrapped.__name__ = getattr(layout, "__name__", "layout")
    return wrapped


def _show_money_in_its_currency(server: flask.Flask) -> None:
    """Every request shows money in the served build's currency (the data's, else
    ``--currency``): per request, because two apps in one process may differ."""
    ctx: AppContext = server.extensions[EXTENSION]

    @server.before_request
    def use_the_currency() -> None:
        try:
            found = money(ctx.reader, ctx.settings.currency).currency
        except ShopSightError:  # no warehouse yet: the setting alone
            found = currency_for(ctx.settings.currency)
        use_currency(found)

    @server.teardown_request
    def forget_the_currency(_error: BaseException | None) -> None:
        # The thread may serve another app's request (or a test) next: nothing carries over.
        use_currency(None)


def _register_routes(server: flask.Flask) -> None:
    ctx: AppContext = server.extensions[EXTENSION]
    register_login(server, ctx)
    register_export_routes(server, lambda: ctx.reader, ctx.state, ctx.current_user)

    @server.route("/healthz")
    def healthz() -> flask.Response:
        try:
            build = ctx.reader.build_id()
        except ShopSightError as exc:
            return flask.jsonify({"ok": False, "error": str(exc)}), 503  # type: ignore[return-value]
        return flask.jsonify({"ok": True, "build_id": build})
