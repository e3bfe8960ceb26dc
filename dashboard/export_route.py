"""Flask route that streams cohort exports: ``GET /export/<entity>.<fmt>?<cohort query>``.

Framework glue only; what is exported and how lives in :mod:`analytics.export`. Exports
stream from DuckDB through this route rather than through a Dash callback, because a
callback answer (``dcc.send_*``) carries the whole file as JSON in memory (docs/architecture.md).

Query parameters besides the cohort's own: ``holdout`` (share of rows marked as a control
group), ``seed`` (its seed, default 0) and ``sidecar=1`` (the provenance record instead of
the file). Answers: 200 with the file; 400 for a bad filter or parameter; 403 without the
analyst or admin role; 404 for an unknown entity or format; 413 when XLSX cannot hold the
rows; 422 when the data cannot give this list (no customer ids); 503 with no warehouse.
Every download is written to the export log before its first byte, and finished there with
its row count (or ``aborted``) when the stream ends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator

import flask
from werkzeug.datastructures import MultiDict

from analytics.cohort import Cohort, CohortError
from analytics.export import (
    ENTITIES,
    FORMATS,
    Entity,
    ExportError,
    ExportRequest,
    ExportStream,
    ExportTooLargeError,
    Format,
    open_export,
    provenance_json,
)
from appstate.store import AppState, User
from warehouse.catalogue import current_currency
from warehouse.errors import WarehouseNotFoundError
from warehouse.reader import WarehouseReader

log = logging.getLogger(__name__)

RESERVED = frozenset({"holdout", "seed", "sidecar"})
"""Query keys of the route itself; every other key is a cohort filter."""


def register_export_routes(
    server: flask.Flask,
    reader_factory: Callable[[], WarehouseReader],
    store: AppState,
    current_user: Callable[[], User | None],
) -> None:
    """Add ``/export/<entity>.<fmt>`` to ``server`` (the Dash app's ``app.server``).

    Parameters
    ----------
    reader_factory
        Returns the process's warehouse reader; the route never closes it.
    store
        The app-state store whose export log records every download.
    current_user
        The signed-in user, or ``None``; demo mode passes a user with the admin role.
    """

    def export_download(entity: str, fmt: str) -> flask.Response:
        user = current_user()
        if user is None or not user.can_export:
            return _error(403, "exporting customer lists needs the analyst or admin role")
        if entity not in ENTITIES or fmt not in FORMATS:
            return _error(
                404,
                f"no export {entity}.{fmt}: entities are {', '.join(ENTITIES)}; "
                f"formats are {', '.join(FORMATS)}",
            )
        args = flask.request.args
        opened = _open_export(reader_factory, args, entity, fmt, user.name)
        if isinstance(opened, flask.Response):
            return opened
        request, export = opened
        if args.get("sidecar") in ("1", "true", "yes"):
            export.close()
            body = provenance_json(export.provenance)
            response = flask.Response(body, mimetype="application/json")
            return _as_download(response, export.filename + ".provenance.json")
        try:
            return _stream(export, store, request)
        except Exception:
            export.close()
            raise

    server.add_url_rule(
        "/export/<entity>.<fmt>", endpoint="shopsight_export", view_func=export_download
    )


def _open_export(
    reader_factory: Callable[[], WarehouseReader],
    args: MultiDict[str, str],
    entity: Entity,
    fmt: Format,
    user_name: str,
) -> tuple[ExportRequest, ExportStream] | flask.Response:
    """The request read from the query string and its opened export, or the error answer."""
    try:
        request = ExportRequest(
            cohort=Cohort.from_query(
                {key: args.getlist(key) for key in args if key not in RESERVED}
            ),
            entity=entity,
            fmt=fmt,
            holdout_share=_share(args.get("holdout")),
            holdout_seed=_seed(args.get("seed")),
            user=user_name,
            currency=_currency(),
        )
        return request, open_export(reader_factory(), request)
    except CohortError as exc:
        return _error(400, str(exc))
    except ExportTooLargeError as exc:
        return _error(413, str(exc))
    except _BadParameter as exc:
        return _error(400, str(exc))
    except WarehouseNotFoundError as exc:
        return _error(503, f"no warehouse to export from: {exc}")
    except ExportError as exc:
        return _error(422, str(exc))


def _stream(export: ExportStream, store: AppState, request: ExportRequest) -> flask.Response:
    # Logged before the first byte, so an interrupted download is on record too.
    export_id = store.log_export(
        user=request.user,
        query=request.cohort.to_query(),
        entity=request.entity,
        fmt=request.fmt,
        rows=export.rows,
        build_id=export.provenance["build_id"],
        holdout_share=request.holdout_share,
        holdout_seed=request.holdout_seed if request.holdout_share is not None else None,
        sql_sha256=export.provenance["sql_sha256"],
        status="started",
        provenance=export.provenance,
    )
    finished = False

    def finish() -> None:
        nonlocal finished
        if finished:
            return
        finished = True
        export.close()
        try:
            store.finish_export(
                export_id,
                rows=export.rows_written,
                status="complete" if export.completed else "aborted",
            )
        except Exception:  # the file has gone out; a failed log update must not hide that
            log.exception("could not finish export log line %s", export_id)

    def body() -> Iterator[bytes]:
        try:
            yield from export
        finally:
            finish()

    response = flask.Response(body(), mimetype=export.content_type, direct_passthrough=True)
    # A client that disconnects before the first chunk never runs body(): close anyway.
    response.call_on_close(finish)
    response.headers["X-ShopSight-Rows"] = str(export.rows)
    response.headers["X-ShopSight-Build"] = str(export.provenance["build_id"])
    return _as_download(response, export.filename)


def _as_download(response: flask.Response, filename: str) -> flask.Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Customer lists must not linger in shared caches or be sniffed into something else.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _error(status: int, message: str) -> flask.Response:
    response = flask.Response(message + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


class _BadParameter(ValueError):
    pass


def _share(text: str | None) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        share = float(text)
    except ValueError:
        raise _BadParameter(f"holdout {text!r} is not a number") from None
    if not math.isfinite(share) or not 0.0 <= share < 1.0:
        raise _BadParameter(f"holdout {text!r} must be from 0 up to (not including) 1")
    return share


def _seed(text: str | None) -> int:
    if text is None or text.strip() == "":
        return 0
    try:
        seed = int(text)
    except ValueError:
        raise _BadParameter(f"seed {text!r} is not a whole number") from None
    if not 0 <= seed < 2**63:
        raise _BadParameter(f"seed {text!r} must be from 0 to 2**63 - 1")
    return seed


__all__ = ["RESERVED", "register_export_routes"]


def _currency() -> dict[str, str] | None:
    """The currency this request shows money in (set per request by the app: the data's
    where it states one, else the server's --currency), for the export's provenance."""
    code = current_currency().code
    if not code:
        return None
    return {"code": code, "source": "the dashboard's currency (the data's, else --currency)"}
