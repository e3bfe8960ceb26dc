"""Response headers every answer carries, and the one log line per request (debug level).

The Content-Security-Policy lets the browser run only this site's own scripts plus Dash's
inline scripts, allowed by their hashes (``app.csp_hashes()``); ``'unsafe-eval'`` stays because
Plotly's WebGL traces (regl) compile their shaders' code with ``new Function``. Styles may be
inline because Dash components and Plotly set style attributes. No page may be framed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dash
import flask

log = logging.getLogger("shopsight.requests")


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The policy text, given the hashes of the inline scripts Dash writes into its page."""
    scripts = " ".join(["'self'", "'unsafe-eval'", *script_hashes])  # hashes come quoted
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register_security_headers(app: dash.Dash) -> None:
    """Add the headers to every response of ``app``.

    The script hashes are taken per response, not once: Dash adds the inline scripts of
    global clientside callbacks (the pages plugin's, for one) when it serves its first request.
    Hashing a handful of short scripts costs microseconds.
    """

    server: flask.Flask = app.server

    @server.after_request
    def secure(response: flask.Response) -> flask.Response:
        policy = content_security_policy(app.csp_hashes())
        response.headers["Content-Security-Policy"] = policy
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        response.headers.pop("Server", None)
        if log.isEnabledFor(logging.DEBUG):
            request = flask.request
            log.debug("%s %s %s", request.method, request.path, response.status_code)
        return response


def trust_proxies(server: flask.Flask, hops: int) -> None:
    """Behind ``hops`` reverse proxies that terminate TLS: take the client address and scheme
    from their X-Forwarded-* headers (so the per-client sign-in limit sees real clients) and
    send the session cookie over HTTPS only."""
    if hops <= 0:
        return
    from werkzeug.middleware.proxy_fix import ProxyFix

    server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
    )
    server.config["SESSION_COOKIE_SECURE"] = True
