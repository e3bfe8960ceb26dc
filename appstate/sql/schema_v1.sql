-- schema_v1: the first app-state schema (users, saved cohorts, the action and export logs).
-- A migration: shipped, so never edited; a change is a new schema_v<n>.sql. Run statement by
-- statement inside the migration's write transaction (appstate.database.statements).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE saved_cohorts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    query TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE action_log (
    id INTEGER PRIMARY KEY,
    logged_at TEXT NOT NULL,
    user_name TEXT,
    action TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    campaign TEXT,
    note TEXT,
    build_id TEXT
);

CREATE INDEX action_log_customer ON action_log (customer_id, id);

CREATE TABLE export_log (
    id INTEGER PRIMARY KEY,
    logged_at TEXT NOT NULL,
    user_name TEXT,
    query TEXT NOT NULL,
    entity TEXT NOT NULL,
    format TEXT NOT NULL,
    rows INTEGER,
    build_id TEXT,
    holdout_share REAL,
    holdout_seed INTEGER,
    sql_sha256 TEXT,
    status TEXT NOT NULL,
    provenance TEXT,
    finished_at TEXT
);
