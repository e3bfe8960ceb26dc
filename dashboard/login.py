"""Sign-in, sign-out and the gate in front of every page, callback and route.

Outside demo mode nothing but the sign-in page, static files and the health check answers an
anonymous request: a page visit is sent to ``/login``, anything else (a callback POST, an
export) gets 401. Open paths are matched exactly, after normalisation, so ``/healthzfoo`` or
``/login/../_dash-layout`` are not open.

A session is a record in the app-state store (``appstate.sessions``) whose token the signed
cookie carries; sign-out, a password or role change, an hour idle and the absolute lifetime end
it on the server, so a copied cookie stops working too. The role is read from the store on
every request.

Guessing is throttled twice: per account (a doubling lock after a few failures, kept in the
store, so it holds across clients) and per client address (Flask-Limiter, in memory). Both
answer 429 with how long to wait.
"""

from __future__ import annotations

import hmac
import html
import posixpath
import re
import secrets
import time
from datetime import timedelta
from urllib.parse import quote, unquote, urlsplit

import flask
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from appstate.store import MAX_NAME
from dashboard.context import AppContext

OPEN_PATHS = frozenset({"/login", "/healthz", "/_favicon.ico"})
OPEN_FOLDERS = ("/assets/", "/_dash-component-suites/")
# Requests a page does not navigate to: refused with 401 rather than redirected to a form.
API_PREFIXES = ("/_dash", "/export/")
WRONG = "Unknown user name or wrong password."
# Control characters and whitespace: browsers drop tabs and newlines from a URL before
# parsing it, so "/\t/evil.example" would become "//evil.example".
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def register_login(server: flask.Flask, ctx: AppContext) -> None:
    """Add /login, /logout and the gate to ``server``."""
    settings = ctx.settings
    server.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.session_hours)
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # The server enforces the lifetime; re-sending the cookie on every request buys nothing.
    server.config["SESSION_REFRESH_EACH_REQUEST"] = False
    limiter = Limiter(get_remote_address, app=server, storage_uri="memory://")

    @server.before_request
    def gate() -> Response | tuple[str, int] | None:
        if settings.demo_mode or is_open_path(flask.request.path):
            return None
        if signed_in_name(ctx) is None:
            flask.session.clear()
            if flask.request.method == "GET" and not flask.request.path.startswith(API_PREFIXES):
                target = flask.request.full_path.rstrip("?")
                return flask.redirect(f"/login?next={quote(target)}")
            return "sign in first", 401
        return None

    @server.route("/login", methods=["GET", "POST"])
    @limiter.limit(
        settings.login_limit,
        methods=["POST"],
        deduct_when=lambda response: response.status_code != 302,  # count failures only
    )
    def login() -> Response:
        next_url = safe_next(flask.request.values.get("next", "/"))
        if flask.request.method == "POST":
            return _sign_in(ctx, next_url)
        return _form(ctx, next_url, "", 200)

    @server.errorhandler(RateLimitExceeded)
    def too_many_from_client(_: RateLimitExceeded) -> flask.Response:
        current = limiter.current_limit
        wait = current.reset_at - time.time() if current is not None else 60.0
        next_url = safe_next(flask.request.values.get("next", "/"))
        return _too_many(ctx, next_url, wait, "from this address")

    @server.route("/logout")
    def logout() -> Response:
        token = flask.session.get("sid")
        if token and not settings.demo_mode:
            ctx.state.end_session(str(token))
        flask.session.clear()
        return flask.redirect("/login")


def is_open_path(path: str) -> bool:
    """Whether ``path`` is served without signing in: exact names, or a file in an open
    folder whose path is already normal (no ``..``, ``.`` or doubled slashes)."""
    if path in OPEN_PATHS:
        return True
    return path == posixpath.normpath(path) and path.startswith(OPEN_FOLDERS)


def signed_in_name(ctx: AppContext) -> str | None:
    """The user of this request's live server-side session, or ``None``."""
    session = flask.session
    token, name = session.get("sid"), session.get("user")
    if not token or not name:
        return None
    settings = ctx.settings
    owner = ctx.state.session_user(
        str(token),
        idle_seconds=settings.idle_minutes * 60,
        max_seconds=settings.session_hours * 3600,
    )
    return owner if owner == name else None


def safe_next(target: str) -> str:
    """``target`` if it is a path on this site, else ``/``: an open redirect would let a link
    send people elsewhere after they sign in."""
    # Checked as given and once more decoded, in case something down the line decodes it.
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith("//") or _UNSAFE_IN_NEXT.search(form):
            return "/"
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return "/"
    return target


def _sign_in(ctx: AppContext, next_url: str) -> Response:
    form = flask.request.form
    if not _csrf_ok(form.get("csrf", "")):
        return _form(ctx, next_url, "The form expired; please try again.", 400)
    name = form.get("username", "").strip()
    password = form.get("password", "")
    if not name or not password or len(name) > MAX_NAME:
        return _form(ctx, next_url, WRONG, 200)
    wait = ctx.state.sign_in_wait(name)
    if wait > 0:
        return _too_many(ctx, next_url, wait, "for this account")
    user = ctx.state.verify(name, password)
    if user is None:
        ctx.state.record_failed_sign_in(name)
        return _form(ctx, next_url, WRONG, 200)
    ctx.state.clear_failed_sign_ins(name)
    session = flask.session
    session.clear()
    session.permanent = True
    session["sid"] = ctx.state.start_session(
        user.name, max_seconds=ctx.settings.session_hours * 3600
    )
    session["user"] = user.name
    return flask.redirect(next_url)


def _csrf_ok(token: str) -> bool:
    """The form's token matches the one this session was given (neither may be missing)."""
    expected = str(flask.session.get("csrf", ""))
    if not token or not expected:
        return False
    # Bytes: compare_digest refuses str with non-ASCII characters (a 500, not a refusal).
    return hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8"))


def _too_many(ctx: AppContext, next_url: str, wait: float, where: str) -> flask.Response:
    seconds = max(1, int(wait + 0.999))
    response = _form(
        ctx, next_url, f"Too many failed sign-ins {where}; try again in {seconds} s.", 429
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def _form(ctx: AppContext, next_url: str, error: str, status: int) -> flask.Response:
    flask.session["csrf"] = secrets.token_urlsafe(32)
    page = _login_page(flask.session["csrf"], next_url, error, ctx.settings.title)
    return flask.make_response(page, status)


def _login_page(csrf: str, next_url: str, error: str, title: str) -> str:
    alert = (
        f'<div class="alert alert-danger" role="alert">{html.escape(error)}</div>' if error else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · {html.escape(title)}</title>
<link rel="icon" href="/assets/favicon.ico">
<link rel="stylesheet" href="/assets/00-bootstrap-flatly.min.css">
<link rel="stylesheet" href="/assets/shopsight.css">
</head><body>
<main class="container" style="max-width: 420px; margin-top: 10vh">
  <div class="text-center mb-4">
    <img src="/assets/logo.svg" alt="" width="56" height="56">
    <h1 class="page-title mt-2">ShopSight</h1>
    <p class="text-muted">Sign in to see your shop's customers.</p>
  </div>
  {alert}
  <form method="post" action="/login" class="card card-body">
    <input type="hidden" name="csrf" value="{html.escape(csrf)}">
    <input type="hidden" name="next" value="{html.escape(next_url)}">
    <label class="form-label" for="username">User name</label>
    <input class="form-control mb-3" id="username" name="username" autocomplete="username"
           required autofocus>
    <label class="form-label" for="password">Password</label>
    <input class="form-control mb-3" id="password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary w-100" type="submit" id="sign-in">Sign in</button>
  </form>
  <p class="small text-muted mt-3">No account? An admin adds one with
    <code>shopsight users add NAME --role viewer</code>.</p>
</main></body></html>"""
