"""Cohort exports: rows, formats, formula neutralisation, hold-out, provenance, Excel's limit,
the Flask route and the ``shopsight export`` command, on a tiny hand-made warehouse."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import flask
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import analytics.export.stream as export_module  # where the Excel limit is read
from analytics.cohort import Cohort, CohortError
from analytics.cohort_sql import warehouse_shape
from analytics.export import (
    ExportError,
    ExportRequest,
    ExportTooLargeError,
    export_query,
    export_rows,
    export_to_file,
    format_for_path,
    holdout_flag,
    iter_export,
    neutralise,
    neutralise_strings,
    open_export,
)
from appstate.store import AppState, User, default_state_path
from dashboard.cli import main
from dashboard.export_route import register_export_routes
from tests.support.fixtures_data import EVENT_LOG_HEADER
from tests.support.warehouses import query
from warehouse.build import BuildOptions, build_warehouse
from warehouse.reader import WarehouseReader
from warehouse.versions import derived_version

EVIL_LINK = '=HYPERLINK("http://evil.example/","click")'
EVIL_CELL = '"' + EVIL_LINK.replace('"', '""') + '"'  # as a quoted CSV field
EVENTS = [
    # Customer ids a spreadsheet would run: a formula, a phone-like +, a minus, an @, a tab.
    f"2024-03-01 10:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,{EVIL_CELL},s1",
    f"2024-03-01 10:10:00 UTC,purchase,p1,10,apparel.shoes,acme,20.00,{EVIL_CELL},s1",
    "2024-03-02 10:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,+44123,s2",
    "2024-03-03 10:00:00 UTC,view,p2,11,home.lamp,lumo,8.00,-7,s3",
    "2024-03-03 10:01:00 UTC,purchase,p2,11,home.lamp,lumo,8.00,-7,s3",
    "2024-03-04 10:00:00 UTC,cart,p1,10,apparel.shoes,acme,20.00,@SUM(A1),s4",
    '2024-03-05 10:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,"\tx",s5',
    "2024-03-06 10:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,u1,=s6",
    "2024-04-06 10:00:00 UTC,view,p2,11,home.lamp,lumo,8.00,u1,s7",
    "2024-04-06 10:02:00 UTC,purchase,p2,11,home.lamp,lumo,8.00,u1,s7",
    "2024-04-07 10:00:00 UTC,view,p2,11,home.lamp,lumo,8.00,u2,s8",
    "2024-04-08 10:00:00 UTC,view,p2,11,home.lamp,lumo,8.00,u3,s9",
]
CUSTOMERS = 8
RISKY = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    events = folder / "events.csv"
    events.write_text("\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n", encoding="utf-8")
    build_warehouse(folder / "wh" / "w.duckdb", [str(events)], BuildOptions())
    return folder / "wh"


@pytest.fixture
def db(built, tmp_path) -> Path:
    """A private copy of the module's warehouse (the link and its build file): cheaper than
    a build per test, and tests that add scores or a state store do not leak."""
    shutil.copytree(built, tmp_path / "wh", symlinks=True)
    return tmp_path / "wh" / "w.duckdb"


@pytest.fixture
def scored_db(db) -> Path:
    """The tiny warehouse with hand-written score tables, as `shopsight score` would add."""
    with derived_version(db, "scores") as con:
        con.execute(
            "CREATE TABLE customer_scores AS SELECT customer_id, "
            "CASE WHEN orders > 0 THEN 0.2 ELSE 0.8 END::DOUBLE AS churn_prob, "
            "CASE WHEN orders > 0 THEN 'Low' ELSE 'High' END AS churn_tier, "
            "'churn-v1' AS churn_model_version, "
            "-5.5::DOUBLE - orders AS margin_change, "  # a negative number column stays numeric
            "'=cmd|'' /C calc''!A0' AS churn_reason "
            "FROM customers"
        )
        con.execute(
            "CREATE TABLE session_scores AS SELECT session_id, customer_id, "
            "0.5::DOUBLE AS conversion_prob, 'conv-v3' AS conversion_model_version FROM sessions"
        )
    return db


@pytest.fixture
def reader(db):
    reader = WarehouseReader(db)
    yield reader
    reader.close()


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def run(reader: WarehouseReader, query_string: str = "", **options) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    result = export_rows(reader, ExportRequest(Cohort.from_query(query_string), **options), buffer)
    assert result.rows == result.provenance["rows"]
    return buffer.getvalue(), result.provenance


# ---- neutralisation ---------------------------------------------------------------------------
@pytest.mark.parametrize("risky", ["=1+2", "+44", "-7", "@SUM(A1)", "\tx", "\rx", "\uff1d1"])
def test_neutralise_prefixes_a_quote(risky):
    assert neutralise(risky) == "'" + risky


@pytest.mark.parametrize("safe", ["u1", "", "a=b", "'=already", " =1", "1-2"])
def test_neutralise_leaves_safe_text(safe):
    assert neutralise(safe) == safe


def test_neutralise_strings_matches_python_and_keeps_nulls():
    values = ["=1", "ok", None, "-3", "@x", "", "\tx", "\r", "x-"]
    array = neutralise_strings(pa.array(values))
    assert array.to_pylist() == [None if v is None else neutralise(v) for v in values]


# ---- rows -------------------------------------------------------------------------------------
def test_csv_has_every_cohort_row_in_id_order(reader, db):
    data, provenance = run(reader)
    rows = csv_rows(data)
    expected = [r[0] for r in query(db, "SELECT customer_id FROM customers ORDER BY 1")]
    assert len(rows) == CUSTOMERS == provenance["rows"]
    assert [neutralise(e) for e in expected] == [r["customer_id"] for r in rows]

    buyers, _ = run(reader, "min_orders=1")
    count = query(db, "SELECT count(*) FROM customers WHERE orders >= 1")[0][0]
    assert len(csv_rows(buyers)) == count == 3


def test_same_cohort_exports_the_same_bytes(reader):
    first, _ = run(reader, "min_orders=1", fmt="csv")
    again, _ = run(reader, "min_orders=1", fmt="csv")
    assert first == again


def test_formula_cells_neutralised_and_numbers_left_alone_in_csv(scored_db):
    reader = WarehouseReader(scored_db)
    try:
        data, _ = run(reader)
    finally:
        reader.close()
    rows = csv_rows(data)
    ids = {r["customer_id"] for r in rows}
    assert "'" + EVIL_LINK in ids and "'+44123" in ids and "'-7" in ids
    assert "'@SUM(A1)" in ids and "'\tx" in ids and "u1" in ids
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(RISKY) or column == "margin_change", (column, value)
        assert row["churn_reason"] == "'=cmd|' /C calc'!A0"
        assert float(row["margin_change"]) < 0  # a negative number, written as a number
        assert row["margin_change"].startswith("-")


def test_xlsx_cells_are_text_or_numbers_never_formulas(scored_db):
    reader = WarehouseReader(scored_db)
    try:
        data, provenance = run(reader, fmt="xlsx")
    finally:
        reader.close()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    try:
        sheet = workbook["customers"]
        header = [c.value for c in sheet[1]]
        assert header[0] == "customer_id" and "margin_change" in header
        cells = list(sheet.iter_rows(min_row=2))
        assert len(cells) == CUSTOMERS == provenance["rows"]
        margin = header.index("margin_change")
        for row in cells:
            assert all(c.data_type != "f" for c in row)
            assert isinstance(row[margin].value, float) and row[margin].value < 0
            # Issue 10 item 15: ids stay as typed (no visible apostrophe); a text cell can
            # never be a formula, and quote-prefixed ones stay text when edited in Excel.
            assert row[0].data_type == "s"
            assert row[0].quotePrefix == str(row[0].value).startswith(RISKY)
        ids = {row[0].value for row in cells}
        assert {EVIL_LINK, "-7", "+44123", "@SUM(A1)", "\tx", "u1"} <= ids
        assert not any(str(v).startswith("'") for v in ids)
        about = {r[0].value: r[1].value for r in workbook["about"].iter_rows()}
        assert about["build_id"] == provenance["build_id"]
    finally:
        workbook.close()


def test_parquet_is_typed_with_neutralised_strings_and_provenance_in_footer(scored_db):
    reader = WarehouseReader(scored_db)
    try:
        data, provenance = run(reader, fmt="parquet")
    finally:
        reader.close()
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == CUSTOMERS
    assert table.schema.field("margin_change").type == pa.float64()
    assert pa.types.is_integer(table.schema.field("cart_adds").type)  # HUGEINT → int64
    assert all(not v.startswith(RISKY) for v in table.column("customer_id").to_pylist())
    footer = json.loads(table.schema.metadata[b"shopsight.provenance"])
    assert footer["sql_sha256"] == provenance["sql_sha256"]


def test_sessions_export_with_session_scores(scored_db):
    reader = WarehouseReader(scored_db)
    try:
        data, provenance = run(reader, "min_orders=1", entity="sessions")
    finally:
        reader.close()
    rows = csv_rows(data)
    expected = query(
        scored_db,
        "SELECT count(*) FROM sessions WHERE customer_id IN "
        "(SELECT customer_id FROM customers WHERE orders >= 1)",
    )[0][0]
    assert len(rows) == expected == provenance["rows"] == 4
    assert [r["session_id"] for r in rows] == sorted(r["session_id"] for r in rows)
    assert {r["conversion_prob"] for r in rows} == {"0.5"}
    assert provenance["model_versions"]["session_scores.conversion_model_version"] == ["conv-v3"]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_an_empty_cohort_gives_a_file_with_a_header(reader, fmt):
    data, provenance = run(reader, "min_orders=99", fmt=fmt)
    assert provenance["rows"] == 0
    if fmt == "csv":
        assert data.decode().splitlines()[0].startswith('"customer_id"')
        assert len(data.decode().splitlines()) == 1
    elif fmt == "parquet":
        assert pq.read_table(io.BytesIO(data)).num_rows == 0
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        assert workbook["customers"].max_row == 1
        workbook.close()


# ---- hold-out ---------------------------------------------------------------------------------
def test_holdout_is_seeded_reproducible_and_matches_the_python_reference(reader):
    data, provenance = run(reader, holdout_share=0.5, holdout_seed=11)
    rows = csv_rows(data)
    flags = {r["customer_id"]: r["holdout"] == "true" for r in rows}
    ids = [r[0] for r in reader.rows("SELECT customer_id FROM customers ORDER BY 1")]
    assert list(flags.values()) == [holdout_flag(i, 0.5, 11) for i in ids]
    assert provenance["holdout"]["rows"] == sum(flags.values())
    assert provenance["holdout"]["seed"] == 11 and "seeded hash" in provenance["holdout"]["method"]
    again, _ = run(reader, holdout_share=0.5, holdout_seed=11)
    assert again == data
    assert run(reader, holdout_share=0.0)[1]["holdout"]["rows"] == 0


def test_holdout_share_is_close_to_the_target_on_many_ids():
    ids = [f"customer-{i}" for i in range(20_000)]
    share = sum(holdout_flag(i, 0.1, 3) for i in ids) / len(ids)
    assert 0.09 < share < 0.11
    other_seed = [holdout_flag(i, 0.1, 4) for i in ids]
    assert other_seed != [holdout_flag(i, 0.1, 3) for i in ids]


@pytest.mark.parametrize("share", [1.0, -0.1, float("nan"), 2])
def test_holdout_share_out_of_range_is_refused(share):
    with pytest.raises(ExportError, match="hold-out share"):
        ExportRequest(Cohort(), holdout_share=share)


# ---- refusals ---------------------------------------------------------------------------------
def test_xlsx_over_the_sheet_limit_is_refused_before_writing(reader, monkeypatch):
    monkeypatch.setattr(export_module, "EXCEL_MAX_ROWS", 5)  # 4 data rows + header
    buffer = io.BytesIO()
    with pytest.raises(ExportTooLargeError, match=r"8 customers rows.*export CSV or Parquet"):
        export_rows(reader, ExportRequest(Cohort(), fmt="xlsx"), buffer)
    assert buffer.getvalue() == b""
    data, _ = run(reader, "min_orders=1", fmt="xlsx")  # 3 rows fit
    assert data[:2] == b"PK"


def test_the_real_limit_message_names_excel_rows(reader, monkeypatch):
    monkeypatch.setattr(export_module, "EXCEL_MAX_ROWS", 1)
    with pytest.raises(ExportTooLargeError, match="Excel's 1-row sheet limit"):
        open_export(reader, ExportRequest(Cohort(), fmt="xlsx"))


def test_score_filters_without_scores_raise_a_cohort_error(reader):
    with pytest.raises(CohortError, match="shopsight score"):
        open_export(reader, ExportRequest(Cohort.from_query("churn_tier=High")))


def test_unknown_entity_or_format_is_refused():
    with pytest.raises(ExportError, match="cannot export"):
        ExportRequest(Cohort(), entity="orders")  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="unknown export format"):
        ExportRequest(Cohort(), fmt="json")  # type: ignore[arg-type]
    assert format_for_path("a/b.XLSX") == "xlsx"
    with pytest.raises(ExportError, match=r"\.csv, \.parquet or \.xlsx"):
        format_for_path("list.txt")


# ---- provenance -------------------------------------------------------------------------------
def test_provenance_records_filters_build_models_sql_and_user(scored_db):
    reader = WarehouseReader(scored_db)
    try:
        request = ExportRequest(Cohort.from_query("churn_tier=High"), user="ana")
        _, provenance = run(reader, "churn_tier=High", user="ana")
        shape = warehouse_shape(reader)
        sql = export_query(request, shape).sql
    finally:
        reader.close()
    assert provenance["filters"] == {
        "query": "churn_tier=High",
        "description": ["churn tier: High"],
    }
    assert provenance["rows"] == 5  # the five customers who never bought
    assert provenance["build_id"] == query(scored_db, "SELECT build_id FROM build_info")[0][0]
    assert provenance["model_versions"] == {
        "customer_scores.churn_model_version": ["churn-v1"],
        "session_scores.conversion_model_version": ["conv-v3"],
    }
    assert provenance["user"] == "ana" and provenance["entity"] == "customers"
    assert provenance["sql_sha256"] == hashlib.sha256(sql.encode()).hexdigest()
    assert provenance["created_at"].endswith("+00:00")
    assert provenance["columns"]["churn_prob"] == "DOUBLE"
    assert provenance["shopsight_version"]
    assert provenance["holdout"] is None


def test_provenance_says_no_scores(reader):
    _, provenance = run(reader)
    assert provenance["model_versions"] == "no scores"
    assert provenance["filters"]["description"] == ["all customers"]


def test_export_to_file_writes_file_and_sidecar(reader, tmp_path):
    out = tmp_path / "lists" / "buyers.parquet"
    out.parent.mkdir()
    result = export_to_file(reader, ExportRequest(Cohort(min_orders=1), fmt="parquet"), out)
    assert result.rows == 3 and result.path == out
    sidecar = json.loads((tmp_path / "lists" / "buyers.parquet.provenance.json").read_text())
    assert sidecar["rows"] == 3 and sidecar["file"] == "buyers.parquet"
    assert sidecar["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "buyers.parquet",
        "buyers.parquet.provenance.json",
    ]
    with pytest.raises(ExportError, match="the file name says csv"):
        export_to_file(reader, ExportRequest(Cohort(), fmt="parquet"), tmp_path / "x.csv")


def test_iter_export_streams_chunks_and_releases_the_cursor_when_closed(reader):
    chunks = iter_export(reader, ExportRequest(Cohort()), batch_rows=2)
    first = next(chunks)
    assert first.startswith(b'"customer_id"')
    chunks.close()  # e.g. the client went away
    rest = b"".join(iter_export(reader, ExportRequest(Cohort()), batch_rows=2))
    assert len(csv_rows(rest)) == CUSTOMERS


# ---- the Flask route --------------------------------------------------------------------------
@pytest.fixture
def web(db, tmp_path):
    """A bare Flask app with the export route; ``web.user`` decides who is asking."""
    app = flask.Flask(__name__)
    reader = WarehouseReader(db)
    store = AppState(tmp_path / "state.sqlite3")

    class Web:
        user: User | None = User("ana", "analyst")
        client = app.test_client()

    register_export_routes(app, lambda: reader, store, lambda: Web.user)
    Web.store = store  # type: ignore[attr-defined]
    yield Web
    reader.close()


def test_route_streams_the_cohort_as_csv(web, db):
    response = web.client.get("/export/customers.csv?min_orders=1&holdout=0.5&seed=3")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    build = query(db, "SELECT build_id FROM build_info")[0][0]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="shopsight-customers-{build}.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response.data)
    assert len(rows) == 3 == int(response.headers["X-ShopSight-Rows"])
    assert "'-7" in {r["customer_id"] for r in rows}
    assert all(not r["customer_id"].startswith(RISKY) for r in rows)
    assert "holdout" in rows[0]
    response.close()
    (logged,) = web.store.exports()
    who_what = (logged.user, logged.query, logged.entity, logged.format)
    assert who_what == ("ana", "min_orders=1", "customers", "csv")
    assert (logged.rows, logged.status, logged.build_id) == (3, "complete", build)
    assert logged.holdout_share == 0.5 and logged.holdout_seed == 3
    assert logged.provenance is not None and logged.provenance["rows"] == 3


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_route_serves_parquet_and_xlsx(web, fmt):
    response = web.client.get(f"/export/sessions.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'.{fmt}"')
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(response.data)).num_rows == 9
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
        assert workbook["sessions"].max_row == 10
        workbook.close()
    response.close()


def test_route_sidecar_is_the_provenance(web):
    response = web.client.get("/export/customers.csv?min_orders=1&sidecar=1")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].endswith('.csv.provenance.json"')
    provenance = response.get_json(force=True)
    assert provenance["rows"] == 3 and provenance["user"] == "ana"
    assert provenance["filters"]["query"] == "min_orders=1"
    assert web.store.exports() == []  # no rows left the app


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/export/customers.csv?colour=red", 400, "unknown filter"),
        ("/export/customers.csv?min_orders=many", 400, "not a whole number"),
        ("/export/customers.csv?churn_tier=High", 400, "no scores exist yet"),
        ("/export/customers.csv?holdout=1.5", 400, "holdout"),
        ("/export/customers.csv?seed=-1", 400, "seed"),
        ("/export/customers.json", 404, "formats are csv, parquet, xlsx"),
        ("/export/orders.csv", 404, "entities are customers, sessions"),
    ],
)
def test_route_refuses_bad_requests_with_the_reason(web, url, status, message):
    response = web.client.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert web.store.exports() == []


@pytest.mark.parametrize("user", [None, User("vic", "viewer")])
def test_route_needs_the_analyst_or_admin_role(web, user):
    web.user = user
    response = web.client.get("/export/customers.csv")
    assert response.status_code == 403
    assert "analyst or admin" in response.get_data(as_text=True)
    web.user = User("root", "admin")
    assert web.client.get("/export/customers.csv").status_code == 200


def test_route_refuses_xlsx_over_excels_limit(web, monkeypatch):
    monkeypatch.setattr(export_module, "EXCEL_MAX_ROWS", 5)
    response = web.client.get("/export/customers.xlsx")
    assert response.status_code == 413
    assert "Excel's 5-row sheet limit" in response.get_data(as_text=True)


def test_route_without_a_warehouse_is_503(tmp_path):
    app = flask.Flask(__name__)
    reader = WarehouseReader(tmp_path / "nowhere.duckdb")
    store = AppState(tmp_path / "state.sqlite3")
    register_export_routes(app, lambda: reader, store, lambda: User("a", "admin"))
    response = app.test_client().get("/export/customers.csv")
    assert response.status_code == 503
    assert "build one with `shopsight build`" in response.get_data(as_text=True)


def test_route_logs_an_interrupted_download_as_aborted(web):
    response = web.client.get("/export/customers.csv", buffered=False)
    assert response.status_code == 200
    response.close()  # the client goes away before reading
    (logged,) = web.store.exports()
    assert logged.status == "aborted"


# ---- the command ------------------------------------------------------------------------------
def test_cli_export_writes_file_and_sidecar(db, tmp_path, capsys):
    out = tmp_path / "uk.csv"
    cohort = ["--cohort", "min_orders=1", "--holdout", "0.5", "--seed", "2"]
    code = main(["export", "--db", str(db), *cohort, "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "wrote 3 customers rows" in printed and str(out) in printed
    assert f"{out}.provenance.json" in printed
    rows = csv_rows(out.read_bytes())
    assert len(rows) == 3 and "holdout" in rows[0]
    sidecar = json.loads(Path(f"{out}.provenance.json").read_text())
    assert sidecar["holdout"]["seed"] == 2 and sidecar["rows"] == 3
    (logged,) = AppState(default_state_path(db)).exports()
    assert logged.rows == 3 and logged.status == "complete"


def test_cli_export_of_a_saved_cohort(db, tmp_path, capsys):
    AppState(default_state_path(db)).save_cohort("buyers", "min_orders=1", "ana")
    out = tmp_path / "buyers.xlsx"
    assert main(["export", "--db", str(db), "--cohort-name", "buyers", "--out", str(out)]) == 0
    assert "wrote 3 customers rows" in capsys.readouterr().out
    assert main(["export", "--db", str(db), "--cohort-name", "nobody", "--out", str(out)]) == 1
    assert "no saved cohort named 'nobody' (saved: buyers)" in capsys.readouterr().err


def test_cli_export_errors(db, tmp_path, capsys):
    out = str(tmp_path / "x.csv")
    assert main(["export", "--db", str(db), "--cohort", "colour=red", "--out", out]) == 1
    assert "cohort filter 'colour': unknown filter" in capsys.readouterr().err
    assert not Path(out).exists()
    bad = str(tmp_path / "x.txt")
    assert main(["export", "--db", str(db), "--cohort", "", "--out", bad]) == 2
    assert ".csv, .parquet or .xlsx" in capsys.readouterr().err
    missing = str(tmp_path / "none.duckdb")
    assert main(["export", "--db", missing, "--cohort", "", "--out", out]) == 1
    assert "no warehouse here" in capsys.readouterr().err
