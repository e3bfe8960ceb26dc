"""Every named SQL file runs on a tiny warehouse and returns the columns its caller reads.

The files are found on disk, so a new file is covered (and must be given its parameters and
expected columns below) without anyone remembering to add it. Each runs on its own copy of
a small event-log warehouse with fake scores and a model_runs table, put back into the state
the build is in when it runs its own queries (staging tables, reject columns, file order).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from models.features import prepare_session_prefixes
from tests.support.fixtures_data import EVENT_LOG_HEADER, EVENTS
from tests.support.warehouses import add_fake_scores
from warehouse.build import BuildOptions, build_warehouse
from warehouse.engine import (
    SQL_PACKAGES,
    load_sql,
    quote_ident,
    quote_literal,
    sql_dir,
    with_relations,
)
from warehouse.formats import FORMATS
from warehouse.mapping import MAPPABLE_COLUMNS, adapter_params, adapter_sql, load_mapping
from warehouse.raw import CONTROL_CHARACTERS
from warehouse.schema import DEDUP_HASH_KEY, DEDUP_KEY, EVENT_COLUMN_NAMES
from warehouse.versions import derived_version

# appstate's files are SQLite, run on a fresh store by tests/unit/test_appstate_sql.py.
DUCKDB_PACKAGES = [package for package in SQL_PACKAGES if package != "appstate"]
SQL_FILES = sorted(
    f"{package}/{path.stem}"
    for package in DUCKDB_PACKAGES
    for path in sql_dir(package).glob("*.sql")
)
CUTOFF = datetime(2024, 4, 1)
# A cohort relation as analytics.cohort_relations builds it for "everyone".
EVERYONE = {
    "cohort_customers": "SELECT c.* FROM customers_scored AS c WHERE true",
    "cohort_sessions": "SELECT * FROM sessions AS s WHERE true",
    "cohort_daily_sessions": "SELECT * FROM daily_sessions AS s WHERE true",
    "facet_rows": "SELECT c.* FROM customers_scored AS c WHERE true",
    "customer_rows": "SELECT c.* FROM customers_scored AS c WHERE true",
    # analytics.segments puts a mart and its scores in front of segment_map.sql
    "entity_rows": "SELECT * FROM customers",
    "entity_scores": "SELECT * FROM customer_scores",
}


@dataclass(frozen=True)
class Case:
    """How a file's caller runs it, and the columns the caller reads from the result."""

    columns: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    relations: tuple[str, ...] = ()  # cohort relations put in front of the query
    slots: dict[str, str] = field(default_factory=dict)  # {placeholder} → quoted identifiers
    statement: bool = False  # DDL/DML the build or `shopsight score` runs for its effect
    given: dict[str, str] = field(default_factory=dict)  # relations the caller writes itself


# {dedup_key} is filled per build with the key columns the build stores (see _run).
_DEDUP = {"hash_key": ", ".join(quote_ident(c) for c in DEDUP_HASH_KEY), "dedup_key": ""}
# warehouse.raw's test of an identifier column (control_character_rows' {condition}).
_CONTROL_CONDITION = (
    f'regexp_matches(CAST("customer_id" AS VARCHAR), {quote_literal(CONTROL_CHARACTERS)})'
)
_BUILD = {"build_id": "b1", "version": "0", "duckdb": duckdb.__version__, "fingerprint": "f"}
_COHORT_PAGE = {"limit": 10, "offset": 0}
_EXPORT_COHORT = "SELECT c.* FROM customers_scored AS c"
# The what-if page's relation `wanted` and identifier slots (analytics/whatif/profiles.py).
_WANTED_CUSTOMERS = {"wanted": "SELECT customer_id FROM customers"}
_WANTED_SESSIONS = {"wanted": "SELECT session_id FROM sessions"}
_CUSTOMERS = {"id_column": '"customer_id"', "table": '"customers"'}
_SESSIONS = {"id_column": '"session_id"', "table": '"sessions"'}

CASES: dict[str, Case] = {
    # warehouse: the build's statements and queries
    "warehouse/staging_tables": Case(statement=True),
    "warehouse/derive_sessions": Case(params={"gap_minutes": 30}, statement=True),
    "warehouse/events": Case(statement=True),
    "warehouse/customers_scored": Case(statement=True),
    "warehouse/sessions": Case(("session_id", "customer_id", "session_date", "hits")),
    "warehouse/customers": Case(("customer_id", "acquisition_month", "cart_abandonment_rate")),
    "warehouse/cohort_retention": Case(("acquisition_month", "retention_rate")),
    "warehouse/daily_sessions": Case(("session_date", "sessions", "purchasing_sessions")),
    "warehouse/repeated_hashes": Case(("row_hash",), slots={"hash_key": _DEDUP["hash_key"]}),
    "warehouse/duplicate_candidates": Case(
        ("source_id", "source_line", "file_order", "group_source_id", "group_line"), slots=_DEDUP
    ),
    "warehouse/duplicate_rows": Case(
        ("source_id", "source_line", "first_source_id", "first_line", "raw")
    ),
    "warehouse/candidate_lines": Case(
        ("source_id", "line", "line_hash", "raw"), {"source_id": "src"}, slots={"line_hash": "0"}
    ),
    "warehouse/explode_rows": Case(
        ("record", "element", "line", "events"), slots={"list_column": '"events"'}
    ),
    "warehouse/shared_sessions": Case(("source_id", "shared_sessions")),
    "warehouse/csv_record_lines": Case(("record", "reader_line", "line"), {"records": 3}),
    "warehouse/date_order_evidence": Case(
        ("parsed", "only_chosen", "only_swapped", "future", "chosen_multi_day")
        + ("swapped_multi_day",),
        {"formats": ["%d/%m/%Y"], "swapped": ["%m/%d/%Y"]},
        slots={"event_time": "'13/02/2024'", "session_id": "NULL"},
    ),
    "warehouse/duplicate_rejects": Case(("source_id", "line", "column_name", "reason", "raw")),
    "warehouse/rejected_source_rows": Case(("source_id", "line", "column_name", "reason", "raw")),
    "warehouse/rejected_rows": Case(("file", "line", "column_name", "reason", "raw")),
    "warehouse/build_info": Case(
        ("build_id", "built_at", "input_fingerprint", "data_start", "data_end", "currency"),
        {**_BUILD, "gap": 30, "capabilities": "{}", "currency": None},
    ),
    "warehouse/capability_evidence": Case(
        ("events", "with_customer", "purchases", "cart_adds", "views", "revenue")
        + ("aggregate_sessions", "aggregate_buyers")
        + ("buying_sessions", "buying_with_cart", "buying_with_view")
    ),
    "warehouse/current_build": Case(("build_id", "built_at", "data_start", "data_end")),
    "warehouse/capability_list": Case(("name", "available", "reason")),
    # warehouse.raw's files read the temp tables _raw_setup makes
    "warehouse/csv_numbered_rows": Case(("c", "line"), slots={"renamed_columns": '"c"'}),
    "warehouse/rejected_record_lines": Case(("reader_line", "line")),
    "warehouse/csv_reader_rejects": Case(
        ("line", "column_name", "error_type", "csv_line", "error_message")
    ),
    "warehouse/control_character_rows": Case(
        ("line", "value", "raw"),
        slots={"column": '"customer_id"', "condition": _CONTROL_CONDITION},
    ),
    "warehouse/stored_event_rows": Case(
        ("session_id", "event_time", "event_date", "reject_column", "reject_reason"),
        slots={"stored_columns": '"session_id", "event_time"'},
        given={"adapted_rows": "SELECT * FROM event_rows"},
    ),
    "warehouse/rejected_line_counts": Case(("source_id", "rejected_lines")),
    "warehouse/staged_reject_examples": Case(
        ("line", "column_name", "reason"), {"source_id": "src", "limit": 5}
    ),
    "warehouse/ledger_lines": Case(("path", "format", "sha256", "rows_read", "status", "note")),
    "warehouse/rejection_reasons": Case(
        ("file", "column_name", "reason", "rows", "first_line"),
        {"by_column": True, "limit": 20},
    ),
    # models
    "models/customer_features": Case(("customer_id",), {"cutoff": CUTOFF, "window_days": 30}),
    "models/customer_labels": Case(("customer_id",), {"cutoff": CUTOFF, "horizon_days": 30}),
    "models/session_prefix_events": Case(("session_id", "event_type", "event_time")),
    "models/session_features": Case(
        ("session_id",), {"min_events": 1, "max_events": 3, "has_clock_time": True}
    ),
    "models/session_profiles": Case(("session_id", "clicks", "viewed_price_sum")),
    "models/unavailable_reasons": Case(("task", "reason")),
    "models/aggregate_session_features": Case(
        ("session_id", "customer_id", "month_number", "returning_visitor", "converted")
    ),
    "models/session_outcomes": Case(("session_id", "converted", "revenue")),
    "models/event_span": Case(("first_event", "last_event")),
    "models/session_keys": Case(("session_id", "customer_id")),
    "models/customer_keys": Case(("customer_id",)),
    # analytics
    "analytics/funnel_steps": Case(
        ("viewing_sessions", "cart_sessions", "checkout_sessions", "purchasing_sessions")
        + ("explicit_checkout_sessions",),
        relations=("cohort_sessions",),
    ),
    "analytics/funnel_steps_daily": Case(
        ("viewing_sessions", "cart_sessions", "checkout_sessions", "purchasing_sessions")
        + ("explicit_checkout_sessions",),
        relations=("cohort_daily_sessions",),
    ),
    "analytics/customer_activity": Case(
        ("period", "customer_id", "orders"),
        {"grain": "week"},
        relations=("cohort_customers", "cohort_sessions"),
    ),
    "analytics/hits_distribution": Case(("bucket", "count"), relations=("cohort_sessions",)),
    "analytics/cart_abandonment_distribution": Case(
        ("bucket", "count"), {"bins": 10}, relations=("cohort_customers",)
    ),
    "analytics/retention_matrix": Case(
        ("acquisition_month", "months_since_acquisition", "cohort_size", "active_customers")
        + ("retention_rate",)
    ),
    "analytics/cohort_retention_matrix": Case(
        ("acquisition_month", "months_since_acquisition", "cohort_size", "active_customers")
        + ("retention_rate",),
        relations=("cohort_customers",),
    ),
    "analytics/rejected_row_list": Case(
        ("file", "line", "column_name", "reason", "raw"), {"limit": 5}
    ),
    "analytics/latest_model_runs": Case(("task", "candidate", "selected", "status", "reason")),
    "analytics/campaign_candidates": Case(
        ("customer_id", "churn_tier", "segment", "purchase_prob", "churn_prob"),
        relations=("cohort_customers",),
    ),
    "analytics/campaign_outcomes": Case(
        ("customer_id", "bought", "revenue", "returned"),
        {
            "customer_ids": ["1", "nobody"],
            "window_start": datetime(2020, 1, 1),
            "window_end": datetime(2030, 1, 1),
        },
    ),
    "analytics/current_model_runs": Case(("task", "candidate", "selected", "status", "reason")),
    "analytics/churn_tiers": Case(
        ("churn_tier", "customers", "value_at_risk"),
        {"value_known": True},
        relations=("cohort_customers",),
    ),
    "analytics/at_risk_customers": Case(
        ("customer_id", "churn_tier", "churn_prob", "value_at_risk", "churn_reason_1"),
        {"tiers": ["High", "Medium", "Low"], "rank_by_value": True, **_COHORT_PAGE},
        relations=("cohort_customers",),
    ),
    "analytics/at_risk_count": Case(
        ("customers",), {"tiers": ["High"]}, relations=("cohort_customers",)
    ),
    "analytics/cohort_session_count": Case(("sessions",), relations=("cohort_sessions",)),
    "analytics/cohort_session_count_daily": Case(
        ("sessions",), relations=("cohort_daily_sessions",)
    ),
    "analytics/cohort_customer_total": Case(("customers",), relations=("cohort_customers",)),
    "analytics/customer_page": Case(
        ("customer_id", "orders", "churn_tier"),
        _COHORT_PAGE,
        relations=("cohort_customers",),
        slots={"order_by": '"orders" DESC NULLS LAST, "customer_id"'},
    ),
    "analytics/facet_counts": Case(
        ("value", "label", "count"),
        {"facet_order": ["High", "Medium", "Low"], "by_value": False, "limit": 15},
        relations=("facet_rows",),
        slots={"value": "m.churn_tier", "label": "m.churn_tier"},
    ),
    # Exports compose their files as the caller in analytics/export/query.py does.
    "analytics/export_rows": Case(("customer_id",), slots={"cohort_rows": _EXPORT_COHORT}),
    "analytics/export_rows_holdout": Case(
        ("customer_id", "holdout"),
        {"holdout_seed": 7, "holdout_share": 0.5},
        slots={"cohort_rows": _EXPORT_COHORT, "id_column": '"customer_id"'},
    ),
    "analytics/export_ordered": Case(
        ("customer_id",),
        slots={"export_rows": _EXPORT_COHORT, "id_column": '"customer_id"'},
    ),
    "analytics/export_count": Case(
        ("export_rows", "holdout_rows"),
        slots={"export_rows": _EXPORT_COHORT, "holdout_test": "false"},
    ),
    "analytics/export_model_versions": Case(
        ("model_version",),
        slots={"table": '"customer_scores"', "column": '"churn_model_version"'},
    ),
    "analytics/export_sessions": Case(("session_id",), slots={"session_where": "true"}),
    "analytics/export_sessions_scored": Case(
        ("session_id", "conversion_prob"),
        slots={"score_columns": ", ss.conversion_prob", "session_where": "true"},
    ),
    "analytics/filled_columns": Case(
        ("customer_id", "country", "churn_tier"), relations=("customer_rows",)
    ),
    "analytics/segment_list": Case(
        ("segment_id", "segment_name", "members", "share", "profile"), {"method": "kmeans"}
    ),
    "analytics/segment_revenue": Case(("segment_id", "revenue"), {"method": "hdbscan"}),
    "analytics/segment_map": Case(
        ("segment_id", "segment_name", "recency_days", "orders", "revenue", "deepest_page"),
        {"method": "kmeans", "named_segments": True, "seed": 7, "points": 100},
        relations=("entity_rows", "entity_scores"),
        slots={"id_column": '"customer_id"'},
    ),
    # scoring an uploaded file (analytics/upload_scoring.py)
    "analytics/upload_customer_lookup": Case(
        ("customer_id", "churn_prob", "found"), {"ids": ["c1", "nobody"]}
    ),
    "analytics/upload_customer_scores": Case(("customer_id", "churn_prob")),
    "analytics/upload_session_scores": Case(("session_id", "conversion_prob")),
    # the what-if page's profiles
    "analytics/whatif_customer_events": Case(
        ("customer_id", "event_time", "event_type"), given=_WANTED_CUSTOMERS
    ),
    "analytics/whatif_session_events": Case(
        ("session_id", "event_time", "event_type"), given=_WANTED_SESSIONS
    ),
    "analytics/whatif_session_history": Case(
        ("session_id", "customer_id", "session_start", "session_end", "is_aggregate"),
        given=_WANTED_SESSIONS,
    ),
    "analytics/whatif_known_sessions": Case(("session_id",), given=_WANTED_SESSIONS),
    "analytics/whatif_entity_sample": Case(("session_id",), {"limit": 3}, slots=_SESSIONS),
    "analytics/whatif_segment_members": Case(
        ("customer_id",),
        {"segment": 0, "limit": 3},
        slots={"id_column": '"customer_id"', "table": '"customer_scores"'},
    ),
    "analytics/whatif_segments": Case(
        ("segment_id", "segment_name", "members", "entity"), {"segment": None}
    ),
    "analytics/whatif_start_customer": Case(("customer_id",)),
    "analytics/whatif_start_session": Case(("session_id",)),
    "analytics/whatif_first_entity": Case(("customer_id",), slots=_CUSTOMERS),
    "analytics/whatif_one_entity": Case(
        ("customer_id",), {"entity_id": "c1"}, slots={"id_column": '"customer_id"'}
    ),
}
ADAPTERS = {spec.adapter_sql: spec for spec in FORMATS.values()}
# adapt_ga4_export reads GA4's nested export columns (event_params, items, ecommerce
# structs), which only a real GA4 file gives raw_source; tests/unit/test_bad_input.py and
# the GA4 sample of tests/realdata run it on real files.
NOT_RUN_HERE = {"warehouse/adapt_ga4_export": "raw_source needs GA4's nested struct columns"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny event-log warehouse with fake scores and one training's model_runs."""
    root = tmp_path_factory.mktemp("sqlfiles")
    source = root / "tiny.csv"
    source.write_text("\n".join([EVENT_LOG_HEADER, *EVENTS]) + "\n", encoding="utf-8")
    db = root / "w.duckdb"
    build_warehouse(db, [str(source)], BuildOptions())
    add_fake_scores(db)
    with derived_version(db, "runs") as con:
        con.execute(
            "CREATE TABLE model_runs AS SELECT * FROM (VALUES "
            "(1, 'customer_churn', 'logistic', true, 'trained', NULL), "
            "(1, 'customer_churn', 'baseline', false, 'trained', NULL), "
            "(0, 'customer_churn', 'old', true, 'trained', NULL)) "
            "AS t (train_id, task, candidate, selected, status, reason)"
        )
    return db.resolve()


@pytest.fixture
def con(warehouse: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the warehouse in the state the build runs its own queries in."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    connection = duckdb.connect(str(copy))
    connection.execute(load_sql("staging_tables"))
    # event_rows before the events step drops its reject columns
    connection.execute("ALTER TABLE event_rows ADD COLUMN reject_column VARCHAR")
    connection.execute("ALTER TABLE event_rows ADD COLUMN reject_reason VARCHAR")
    connection.execute(
        "INSERT INTO source_order (source_id, file_order, path) "
        "SELECT source_id, file_order, path FROM ingest_ledger"
    )
    connection.execute(
        "CREATE TEMP TABLE repeated_hashes AS "
        + load_sql("repeated_hashes").replace("{hash_key}", _DEDUP["hash_key"])
    )
    connection.execute(
        "CREATE TEMP TABLE duplicate_candidates AS "
        + load_sql("duplicate_candidates")
        .replace("{hash_key}", _DEDUP["hash_key"])
        .replace("{dedup_key}", _dedup_key(connection))
    )
    connection.execute("CREATE TEMP TABLE raw_source (line BIGINT)")
    try:
        yield connection
    finally:
        connection.close()


def _dedup_key(con: duckdb.DuckDBPyConnection) -> str:
    """{dedup_key} as warehouse.build fills it: the key columns the build stores."""
    stored = con.sql("SELECT * FROM event_rows").columns
    return ", ".join(quote_ident(c) for c in DEDUP_KEY if c in stored)


def _raw_setup(con: duckdb.DuckDBPyConnection, name: str, tmp_path: Path) -> None:
    """The temp tables warehouse.raw's files read, as raw.py leaves them."""
    if name in ("csv_numbered_rows", "rejected_record_lines"):
        # A CSV whose reader rejected record 2 of 3: its two accepted rows, each record's
        # reader line and physical line (a blank line before record 2, which spans two
        # lines), and the reader's rejected line.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_csv AS SELECT * FROM (VALUES ('a'), ('b')) AS t (c)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE record_lines AS SELECT * FROM (VALUES "
            "(1, 2, 2), (2, 3, 4), (3, 4, 6)) AS t (record, reader_line, line)"
        )
        con.execute("CREATE OR REPLACE TEMP TABLE bad_lines AS SELECT 3::BIGINT AS line")
    if name == "csv_reader_rejects":  # DuckDB's reject tables after reading a short line
        short = tmp_path / "short.csv"
        short.write_text("a,b\n1,2\n3\n", encoding="utf-8")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_csv AS SELECT * FROM read_csv("
            f"{quote_literal(str(short))}, header = true, auto_detect = false, "
            "columns = {'a': 'VARCHAR', 'b': 'VARCHAR'}, store_rejects = true, "
            "null_padding = false, strict_mode = true)"
        )
    if name == "control_character_rows":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_source AS SELECT * FROM (VALUES "
            "(2::BIGINT, 'c1'), (3::BIGINT, 'c' || chr(0) || '2')) AS t (line, customer_id)"
        )


def _relations(case: Case) -> dict[str, str]:
    relations = {name: EVERYONE[name] for name in case.relations}
    return {**case.given, **relations}


def _raw_source(con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    """raw_source as raw.py leaves it for a CSV: the file's columns as text, and its line."""
    typed = ", ".join(f"{quote_ident(c)} VARCHAR" for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw_source ({typed}, line BIGINT)")
    con.execute("INSERT INTO raw_source (line) VALUES (2)")


def _adapter(
    con: duckdb.DuckDBPyConnection, key: str, tmp_path: Path
) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """An adapter's SQL, parameters and output columns, filled the way the build fills them."""
    name = key.split("/", 1)[1]
    params: dict[str, Any] = {"source_id": "src"}
    expected = (*EVENT_COLUMN_NAMES, "reject_column", "reject_reason")
    if name == "adapt_mapping":
        mapping = tmp_path / "m.toml"
        mapping.write_text(
            '[columns]\nevent_time = "t"\nevent_type = "e"\ncustomer_id = "c"\n'
            '[event_types]\npurchase = ["buy"]\n',
            encoding="utf-8",
        )
        _raw_source(con, list(MAPPABLE_COLUMNS))
        reads = {c: c for c in MAPPABLE_COLUMNS}
        return adapter_sql(reads), {**params, **adapter_params(load_mapping(mapping))}, expected
    spec = ADAPTERS[name]
    _raw_source(con, list(spec.variants[0].columns.values()))
    if spec.name == "online-retail":
        params["non_product_codes"] = ["POST"]
    if spec.grain == "session":
        described = con.sql("SELECT * FROM staged_session_aggregates").columns
        expected = tuple(described)
    return load_sql(name), params, expected


def _run(con: duckdb.DuckDBPyConnection, key: str, tmp_path: Path) -> duckdb.DuckDBPyRelation:
    package, name = key.split("/", 1)
    if name.startswith("adapt_"):
        sql, params, expected = _adapter(con, key, tmp_path)
        relation = con.sql(sql, params=params)
        assert set(expected) <= set(relation.columns), key
        return relation
    case = CASES[key]
    sql = load_sql(name, package)
    if name == "duplicate_candidates":
        case = Case(case.columns, slots={**case.slots, "dedup_key": _dedup_key(con)})
    if name == "explode_rows":  # a nested file's raw_source: one list column per record
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_source AS SELECT * FROM (VALUES "
            "(1::BIGINT, 7, [{'aid': 1, 'ts': 1000}, {'aid': 2, 'ts': 2000}]), "
            "(2::BIGINT, 8, [])) AS t (line, session, events)"
        )
    if name == "session_features":  # reads the temp table models.features stores
        prepare_session_prefixes(con)
    _raw_setup(con, name, tmp_path)
    for slot, value in case.slots.items():
        assert "{" + slot + "}" in sql, f"{key}: no {{{slot}}} to fill"
        sql = sql.replace("{" + slot + "}", value)
    if name == "csv_record_lines":  # the offsets raw.py gives it: a skipped line before record 2
        sql = with_relations(
            sql,
            {
                "record_shifts": "SELECT * FROM (VALUES (1, 1, 1), (2, 2, 2)) AS s (record, "
                "reader_shift, line_shift)"
            },
        )
    if name in ("candidate_lines", "date_order_evidence"):
        sql = with_relations(sql, {"raw_rows": "SELECT * FROM raw_source"})
    if name == "rejected_source_rows":
        sql = with_relations(
            sql,
            {"adapted_rows": "SELECT * FROM event_rows", "raw_rows": "SELECT * FROM raw_source"},
        )
        case = Case(case.columns, {"source_id": "src"})
    sql = with_relations(sql, _relations(case))
    if case.statement:
        con.execute(sql, case.params or None)
        return con.sql("SELECT 1 AS done")
    relation = con.sql(sql, params=case.params) if case.params else con.sql(sql)
    missing = [c for c in case.columns if c not in relation.columns]
    assert not missing, f"{key} lacks {missing}; it returns {relation.columns}"
    return relation


def test_every_file_has_a_case() -> None:
    adapters = {f"warehouse/{name}" for name in (*ADAPTERS, "adapt_mapping")}
    known = set(CASES) | set(NOT_RUN_HERE) | adapters
    assert set(SQL_FILES) <= known, sorted(set(SQL_FILES) - known)
    assert set(SQL_FILES) >= set(CASES) | set(NOT_RUN_HERE), "a case names a file that is gone"


@pytest.mark.parametrize("key", [k for k in SQL_FILES if k not in NOT_RUN_HERE])
def test_sql_file_runs_on_the_tiny_warehouse(
    key: str, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    relation = _run(con, key, tmp_path)
    relation.fetchall()  # executes, not only binds


def test_queries_over_the_tiny_warehouse_return_its_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Results, not just columns: the five sessions and three customers of the fixture."""
    sessions = _run(con, "analytics/cohort_session_count", tmp_path).fetchall()
    customers = _run(con, "analytics/cohort_customer_total", tmp_path).fetchall()
    funnel = _run(con, "analytics/funnel_steps", tmp_path).fetchall()
    latest = _run(con, "analytics/latest_model_runs", tmp_path).pl()
    assert sessions == [(5,)]
    assert customers == [(3,)]
    # viewed: all 5; carted: s1, s2, s4; no begin-checkout events; bought: s1, s2
    assert funnel == [(5, 3, 2, 2, 0)]
    assert latest["candidate"].to_list() == ["logistic", "baseline"]


def test_raw_files_number_lines_and_find_rejects(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """warehouse.raw's files on the state _raw_setup leaves: results, not just columns."""
    numbered = _run(con, "warehouse/csv_numbered_rows", tmp_path).fetchall()
    rejected = _run(con, "warehouse/rejected_record_lines", tmp_path).fetchall()
    short = _run(con, "warehouse/csv_reader_rejects", tmp_path).fetchall()
    control = _run(con, "warehouse/control_character_rows", tmp_path).fetchall()
    # accepted rows: records 1 and 3, on lines 2 and 6; the rejected reader line 3 is line 4
    assert sorted(numbered) == [("a", 2), ("b", 6)]
    assert rejected == [(3, 4)]
    assert [(line, kind) for line, _, kind, *_ in short] == [(3, "MISSING COLUMNS")]
    assert [(line, value) for line, value, _ in control] == [(3, "c\x002")]
