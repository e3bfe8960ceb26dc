-- schema_v2: sign-in sessions and failed sign-ins. Times are epoch seconds (REAL) because the
-- code does arithmetic on them (idle and absolute limits, lock expiry) on every request.
-- A migration: shipped, so never edited; a change is a new schema_v<n>.sql.
CREATE TABLE sign_in_sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);

CREATE INDEX sign_in_sessions_user ON sign_in_sessions (user_name);

CREATE TABLE sign_in_failures (
    account TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failed_at REAL NOT NULL,
    locked_until REAL NOT NULL
);
