"""Sign-in, sign-out and the gate in front of every page, callback and route.

Outside demo mode nothing but the sign-in page and static files answers an anonymous
request: a page visit is sent to ``/login``, anything else (a callback POST, an export) gets
401. Sessions are signed cookies that expire after a fixed lifetime and after a spell of
inactivity; the role is read from the app-state store on every request, so a role change or
a deleted user takes effect at once.
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from datetime import timedelta
from urllib.parse import quote

import flask

from dashboard.context import AppContext

OPEN_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/healthz", "/_favicon")
# Requests a page does not navigate to: refused with 401 rather than redirected to a form.
API_PREFIXES = ("/_dash", "/export/")
FAILED_LOGIN_DELAY = 0.5


def register_login(server: flask.Flask, ctx: AppContext) -> None:
    """Add /login, /logout and the gate to ``server``."""
    settings = ctx.settings
    server.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.session_hours)
    server.config["SESSION_COOKIE_HTTPONLY"] = True
    server.config["SESSION_COOKIE_SAMESITE"] = "Lax"

    @server.before_request
    def gate() -> flask.Response | tuple[str, int] | None:
        if settings.demo_mode or flask.request.path.startswith(OPEN_PREFIXES):
            return None
        session = flask.session
        now = time.time()
        if session.get("user") and now - float(session.get("seen", 0)) > settings.idle_minutes * 60:
            session.clear()  # idle too long: sign in again
        if ctx.current_user() is None:
            if flask.request.method == "GET" and not flask.request.path.startswith(API_PREFIXES):
                target = flask.request.full_path.rstrip("?")
                return flask.redirect(f"/login?next={quote(target)}")
            return "sign in first", 401
        session["seen"] = now
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response | str:
        session = flask.session
        next_url = _safe_next(flask.request.values.get("next", "/"))
        error = ""
        if flask.request.method == "POST":
            token = flask.request.form.get("csrf", "")
            if not hmac.compare_digest(token, session.get("csrf", "")):
                error = "The form expired; please try again."
            else:
                name = flask.request.form.get("username", "").strip()
                password = flask.request.form.get("password", "")
                user = ctx.state.verify(name, password) if name and password else None
                if user is not None:
                    session.clear()
                    session.permanent = True
                    session["user"] = user.name
                    session["seen"] = time.time()
                    return flask.redirect(next_url)
                time.sleep(FAILED_LOGIN_DELAY)  # slows guessing; the hash is slow too
                error = "Unknown user name or wrong password."
        session["csrf"] = secrets.token_urlsafe(32)
        return _login_page(session["csrf"], next_url, error, settings.title)

    @server.route("/logout")
    def logout() -> flask.Response:
        flask.session.clear()
        return flask.redirect("/login")


def _safe_next(target: str) -> str:
    """Only local paths: an open redirect would let a link send people elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


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
