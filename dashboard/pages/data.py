"""Data: what was loaded (the ingest ledger), what the data can support (capabilities in
words, each with what it turns on), what was rejected and why; upload a file to score it with
the current models; rebuild and retrain with a progress bar."""

from __future__ import annotations

import base64
import binascii
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html, no_update

from analytics.data_health import capabilities, ledger, rejected_rows, rejection_summary
from analytics.upload_scoring import MAX_UPLOAD_BYTES, score_upload
from appstate.store import User
from common.errors import ShopSightError
from dashboard import ids
from dashboard.auth import may, requires
from dashboard.callback_inputs import CLICKS, TIMER, Text, wire
from dashboard.components import card, page_header
from dashboard.context import AppContext, context
from dashboard.jobs import JobState, RebuildJob

PATH = "/data"
TITLE = "Data"
RESULT_TTL_SECONDS = 3600
FILE_NAME_CHARS = 255
# A data URL is 4/3 of the file; Flask refuses requests over MAX_CONTENT_LENGTH before this,
# and score_upload checks the configured limit with a clear message.
UPLOAD_CHARS = 100_000_000
PROGRESS_HOLDER = "rebuild-progress-holder"


def _table(frame: Any, columns: list[str] | None = None) -> dbc.Table:
    columns = columns or list(frame.columns)
    # Numbers right-aligned, so their digits line up down a column.
    numeric = {c: frame.schema[c].is_numeric() for c in columns}
    align = {c: "text-end" if numeric[c] else None for c in columns}
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(c.replace("_", " "), className=align[c]) for c in columns])
            ),
            html.Tbody(
                [
                    html.Tr([html.Td(_cell(row[c]), className=align[c]) for c in columns])
                    for row in frame.iter_rows(named=True)
                ]
            ),
        ],
        size="sm",
        striped=True,
        responsive=True,
        className="small mb-0",
    )


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return dbc.Badge("yes", color="success") if value else dbc.Badge("no", color="secondary")
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def _capabilities_table(frame: Any) -> dbc.Table:
    """What the data can support, in words, each with what it turns on (or would)."""
    rows = []
    for cap in frame.iter_rows(named=True):
        on = bool(cap["turned_on"])
        mark = dbc.Badge("✓", color="success") if on else dbc.Badge("✗", color="secondary")
        effect = cap["switches_on"]
        rows.append(
            html.Tr(
                [
                    html.Td(mark),
                    html.Td(
                        [
                            html.Div(cap["in_words"], className="fw-semibold"),
                            html.Code(cap["name"], className="small text-muted"),
                        ]
                    ),
                    html.Td(effect if on else html.Span(f"off: {effect}", className="text-muted")),
                    html.Td(cap["reason"], className="text-muted"),
                ],
                id=f"capability-{cap['name']}",
            )
        )
    head = html.Thead(
        html.Tr([html.Th(""), html.Th("In this data"), html.Th("Turns on"), html.Th("Because")])
    )
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, className="small mb-0")


def _upload_card(allowed: bool, limit: int, limits: str = "") -> dbc.Card:
    if not allowed:
        body: Any = html.P("Only admins may upload files.", className="text-muted mb-0")
    else:
        body = [
            dcc.Upload(
                id=ids.UPLOAD,
                children=html.Div(
                    ["Drop a file here or ", html.A("choose one", href="#")],
                    className="py-3",
                ),
                className="text-center border border-2 rounded",
                style={"borderStyle": "dashed"},
                # The browser refuses only absurd files; the server checks the real limit and
                # says so (a browser-side refusal would pass in silence).
                max_size=max(2 * limit, MAX_UPLOAD_BYTES),
                multiple=False,
            ),
            dbc.FormText(
                "Events, orders or a session table (CSV, also .gz/.zst, Parquet, XLSX, NDJSON; "
                f"{limits or f'up to {limit / 1e6:g} MB'}), or a CSV with one customer_id "
                "column to look up. The file is validated like `shopsight build`, then scored "
                "with the current models; larger files: `shopsight build`.",
                id="upload-limits",
            ),
            dcc.Loading(html.Div(id=ids.UPLOAD_STATUS, className="mt-2"), type="dot"),
        ]
    return card("Score a file", body, className="h-100")


def _rebuild_card(allowed: bool, job: RebuildJob) -> dbc.Card:
    state = job.snapshot()
    if not allowed:
        body: Any = html.P("Only admins may rebuild.", className="text-muted mb-0")
    else:
        body = [
            html.P(
                "Rebuild the warehouse from the ingested files, retrain and rescore. The "
                "dashboard keeps serving the current build until the new one is ready.",
                className="small",
            ),
            dbc.Button(
                "Rebuild and retrain",
                id=ids.REBUILD,
                color="primary",
                disabled=state.status == "running",
            ),
            # Shown only while a rebuild runs (a client-side callback follows the poll).
            html.Div(
                dbc.Progress(
                    id=ids.REBUILD_PROGRESS,
                    value=state.percent,
                    label=f"{state.percent}%" if state.percent else "",
                    className="my-2",
                    striped=True,
                    animated=True,
                ),
                id=PROGRESS_HOLDER,
                style=_shown(state.status == "running"),
            ),
            html.Div(_status_text(state), id=ids.REBUILD_STATUS, className="small"),
            dcc.Interval(id=ids.REBUILD_POLL, interval=1000, disabled=state.status != "running"),
        ]
    return card("Rebuild and retrain", body, className="h-100")


def _shown(visible: bool) -> dict[str, str]:
    return {} if visible else {"display": "none"}


# The progress bar follows the poll: the poll runs exactly while a rebuild does.
SHOW_WHILE_POLLING = """
function(disabled) {
    return disabled ? {display: 'none'} : {};
}
"""


def _status_text(state: JobState) -> Any:
    if state.status == "idle":
        return ""
    if state.status == "running":
        return [html.Strong(state.step.capitalize()), f" ({state.elapsed:.0f} s): {state.message}"]
    if state.status == "failed":
        return html.Span(state.error, className="text-danger")
    return html.Span(f"Done in {state.elapsed:.0f} s: {state.message}.", className="text-success")


def _rejects_body(reader: Any) -> Any:
    rows = rejected_rows(reader).to_dicts()
    if not rows:
        return html.P("No row was rejected: every row read was loaded.", className="mb-0")
    return [
        _table(rejection_summary(reader)),
        html.H6(f"First {len(rows):,} rejected rows", className="mt-3"),
        dag.AgGrid(
            id=ids.DATA_REJECTS,
            rowData=rows,
            columnDefs=[
                {"field": "file"},
                {"field": "line", "width": 90, "type": "rightAligned"},
                {"field": "column_name", "headerName": "column"},
                {"field": "reason", "minWidth": 320},
                {"field": "raw", "minWidth": 320},
            ],
            defaultColDef={"resizable": True, "sortable": True, "filter": True},
            dashGridOptions={"pagination": True, "paginationPageSize": 20},
            style={"height": "420px"},
            className="ag-theme-alpine",
        ),
    ]


def layout(**query: Any) -> html.Div:
    ctx = context()
    reader = ctx.reader
    user = ctx.current_user()
    caps = _capabilities_table(capabilities(reader))
    return html.Div(
        [
            page_header(
                "Data",
                "What was loaded, what it can support, and what was rejected, with reasons.",
            ),
            card(
                "Ingest ledger (rows read = loaded + rejected)",
                _table(ledger(reader)),
                body_id=ids.DATA_LEDGER,
                className="mb-3",
            ),
            card("Capabilities", caps, body_id=ids.DATA_CAPS, className="mb-3"),
            card("Rejected rows", _rejects_body(reader), className="mb-3"),
            dbc.Row(
                [
                    dbc.Col(
                        _upload_card(
                            may(user, "upload"),
                            ctx.settings.upload_limit_bytes,
                            ctx.settings.upload_limits().describe(),
                        ),
                        lg=6,
                        className="mb-3",
                    ),
                    dbc.Col(
                        _rebuild_card(may(user, "rebuild"), ctx.rebuild_job),
                        lg=6,
                        className="mb-3",
                    ),
                ]
            ),
            dcc.Download(id=ids.UPLOAD_DOWNLOAD),
        ]
    )


def _results_folder(ctx: AppContext) -> Path:
    """Where scored uploads wait to be downloaded, next to the app-state file."""
    return ctx.settings.resolved_state_path.parent / "upload-results"


def upload_result(token: str) -> flask.Response:
    """The scored file of an upload, to admins (the route behind the download link)."""
    ctx = context()
    if not may(ctx.current_user(), "upload"):
        flask.abort(403)
    # Tokens are random and single-purpose; only admins can create them.
    if not token.isalnum() or len(token) > 64:
        flask.abort(404)
    folder = _results_folder(ctx) / token
    files = list(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        flask.abort(404)
    return flask.send_file(files[0], as_attachment=True, download_name=files[0].name)


def _upload_refused() -> Any:
    return dbc.Alert("Only admins may upload files.", color="danger")


def _upload_invalid(message: str) -> Any:
    return dbc.Alert(f"Not scored: {message}.", color="danger", id=ids.UPLOAD_ERROR)


@requires("upload", refused=_upload_refused)
def upload(_user: User, contents: str | None, filename: str | None) -> Any:
    """Validate and score an uploaded file with the current models; offer the result."""
    ctx = context()
    if not contents or not filename:
        return no_update
    try:
        _, encoded = contents.split(",", 1)
        content = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        return dbc.Alert(f"{filename}: the upload arrived damaged; try again.", color="danger")
    started = time.perf_counter()
    try:
        result = score_upload(
            ctx.settings.db_path, filename, content, limits=ctx.settings.upload_limits()
        )
    except ShopSightError as exc:
        return dbc.Alert(
            [html.Strong("Not scored: "), html.Pre(str(exc), className="mb-0 small")],
            color="danger",
            id=ids.UPLOAD_ERROR,
        )
    results = _results_folder(ctx)
    token = secrets.token_hex(16)
    folder = results / token
    folder.mkdir(parents=True, exist_ok=True)
    shutil.move(str(result.path), folder / result.path.name)
    shutil.rmtree(result.path.parent, ignore_errors=True)
    _prune(results)
    took = time.perf_counter() - started
    return dbc.Alert(
        [
            html.Div(f"Scored {result.rows:,} rows ({result.kind}) in {took:.1f} s."),
            html.Ul([html.Li(n) for n in result.notes], className="small mb-2")
            if result.notes
            else None,
            html.A(
                "Download the scored file",
                href=f"/upload-result/{token}",
                className="btn btn-success btn-sm",
                id=ids.UPLOAD_LINK,
            ),
        ],
        color="success",
    )


def _rebuild_refused() -> tuple[Any, Any, Any]:
    return True, no_update, html.Span("Only admins may rebuild.", className="text-danger")


@requires("rebuild", refused=_rebuild_refused)
def start_rebuild(user: User, _clicks: int | None) -> tuple[Any, Any, Any]:
    """Start rebuilding and retraining from the files in the ledger, and the progress poll."""
    ctx = context()
    inputs = ledger(ctx.reader)["path"].to_list()
    started = ctx.rebuild_job.start(inputs, user.name)
    return False, True, "Started." if started else "A rebuild is already running."


def _poll_refused() -> tuple[Any, ...]:
    return no_update, no_update, no_update, True, no_update


@requires("rebuild", refused=_poll_refused)
def poll(_user: User, _n_intervals: int | None) -> tuple[Any, ...]:
    """The running rebuild's progress; the poll stops when it ends."""
    state = context().rebuild_job.snapshot()
    running = state.status == "running"
    return state.percent, f"{state.percent}%", _status_text(state), not running, running


def register_callbacks(app: dash.Dash) -> None:
    app.server.add_url_rule("/upload-result/<token>", view_func=upload_result)
    app.clientside_callback(  # type: ignore[no-untyped-call]  # untyped in Dash
        SHOW_WHILE_POLLING,
        Output(PROGRESS_HOLDER, "style"),
        Input(ids.REBUILD_POLL, "disabled"),
    )
    wire(
        app,
        upload,
        outputs=[Output(ids.UPLOAD_STATUS, "children")],
        args=[
            (Input(ids.UPLOAD, "contents"), Text(UPLOAD_CHARS, label="upload")),
            (State(ids.UPLOAD, "filename"), Text(FILE_NAME_CHARS, label="file name")),
        ],
        invalid=_upload_invalid,
        prevent_initial_call=True,
    )
    wire(
        app,
        start_rebuild,
        outputs=[
            Output(ids.REBUILD_POLL, "disabled"),
            Output(ids.REBUILD, "disabled"),
            Output(ids.REBUILD_STATUS, "children", allow_duplicate=True),
        ],
        args=[(Input(ids.REBUILD, "n_clicks"), CLICKS)],
        prevent_initial_call=True,
    )
    wire(
        app,
        poll,
        outputs=[
            Output(ids.REBUILD_PROGRESS, "value"),
            Output(ids.REBUILD_PROGRESS, "label"),
            Output(ids.REBUILD_STATUS, "children"),
            Output(ids.REBUILD_POLL, "disabled", allow_duplicate=True),
            Output(ids.REBUILD, "disabled", allow_duplicate=True),
        ],
        args=[(Input(ids.REBUILD_POLL, "n_intervals"), TIMER)],
        prevent_initial_call=True,
    )


def _prune(folder: Path) -> None:
    """Scored files are kept an hour, then removed."""
    now = time.time()
    for child in folder.glob("*"):
        if now - child.stat().st_mtime > RESULT_TTL_SECONDS:
            shutil.rmtree(child, ignore_errors=True)
