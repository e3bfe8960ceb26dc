"""``serve``: the dashboard behind Waitress, a production WSGI server.

Demo mode (no sign-in, every visitor an admin) answers on the loopback address only: anything
else needs ``--no-demo`` (users sign in) or the loudly warned ``--public-demo``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dashboard.commands.output import EXIT_OK, UsageError
from dashboard.commands.paths import existing_warehouse


@dataclass(frozen=True)
class ServeOptions:
    db: Path
    state: Path | None = None
    demo: bool = True
    host: str = "127.0.0.1"
    port: int = 8050
    public_demo: bool = False
    threads: int | None = None
    proxy_hops: int = 0
    log_level: str = "info"
    # ISO code of money amounts where the data states none (``--currency``).
    currency: str | None = None
    #: Called with the URL once the port is open (the demo's box); None prints one line.
    announce: Callable[[str], None] | None = None
    #: Called with the seconds it took once every page's default view is computed.
    warmed: Callable[[float], None] | None = None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


def check_exposure(options: ServeOptions) -> None:
    """Refuse demo mode on an address other machines reach, unless told so explicitly."""
    if not options.demo or is_loopback(options.host):
        return
    if not options.public_demo:
        raise UsageError(
            f"demo mode (no sign-in, every visitor an admin) serves on the loopback address "
            f"only, not on {options.host}; use --no-demo so users sign in "
            "(add them with `shopsight users add`), or --public-demo to expose it anyway"
        )
    print(
        f"WARNING: demo mode on {options.host}: anyone who can reach this address acts as an "
        "admin, with no sign-in. Use it only on a network you trust.",
        file=sys.stderr,
        flush=True,
    )


def default_threads() -> int:
    """Two request threads per core: requests mostly wait on DuckDB, which releases the GIL,
    and more threads than that only queue for the same cores."""
    return max(4, 2 * (os.cpu_count() or 2))


def run_serve(options: ServeOptions) -> int:
    """Serve the dashboard until interrupted."""
    check_exposure(options)
    db = existing_warehouse(options.db)
    import waitress.server

    from dashboard.app import create_app, warm_cache
    from dashboard.settings import Settings

    logging.basicConfig(
        level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings(
        db_path=db,
        state_path=options.state,
        demo_mode=options.demo,
        proxy_hops=options.proxy_hops,
        currency=options.currency,
    )
    app = create_app(settings)
    started = time.perf_counter()
    warming = warm_cache(app)
    warmed = options.warmed
    if warmed is not None:
        _when_done(warming, lambda: warmed(time.perf_counter() - started))
    # The socket is bound here, so the URL announced below already answers.
    server = waitress.server.create_server(
        app.server,
        host=options.host,
        port=options.port,
        threads=options.threads or default_threads(),
        ident="",  # no Server header naming the software and its version
    )
    url = f"http://{options.host}:{options.port}/"
    if options.announce is not None:
        options.announce(url)
    else:
        server.print_listen("Serving on http://{}:{}")  # Waitress's own line, in the log
        mode = "demo mode: no login" if options.demo else "login required"
        print(f"ShopSight dashboard on {url} ({mode}); Ctrl+C stops it", flush=True)
    server.run()  # returns on Ctrl+C, after the worker threads stop
    # A daemon thread still inside DuckDB when the interpreter exits is ended mid-query by
    # Python's shutdown (an abort: "terminate called … exception not rethrown"), so a
    # Ctrl+C during warming waits for it; a second Ctrl+C stops at once.
    warming.join()
    return EXIT_OK


def _when_done(thread: threading.Thread, then: Callable[[], None]) -> None:
    """Call ``then`` once ``thread`` has finished, without blocking the caller."""

    def wait() -> None:
        thread.join()
        then()

    threading.Thread(target=wait, name="shopsight-warmed", daemon=True).start()
