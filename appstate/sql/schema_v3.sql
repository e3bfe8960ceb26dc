-- schema_v3: campaigns and their frozen members (appstate.campaigns). The scores a member had
-- at creation are kept with them: the report splits and checks by them after rebuilds.
-- A migration: shipped, so never edited; a change is a new schema_v<n>.sql.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    cohort_query TEXT NOT NULL,
    goal TEXT NOT NULL CHECK (goal IN ('purchase', 'revenue', 'return_visit')),
    window_days INTEGER NOT NULL CHECK (window_days > 0),
    holdout_share REAL NOT NULL CHECK (holdout_share > 0 AND holdout_share < 1),
    seed INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    build_id TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE campaign_members (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    member_group TEXT NOT NULL CHECK (member_group IN ('treatment', 'control')),
    churn_tier TEXT,
    segment TEXT,
    purchase_prob REAL,
    churn_prob REAL,
    predicted_revenue REAL,
    PRIMARY KEY (campaign_id, customer_id)
);

CREATE INDEX action_log_campaign ON action_log (campaign, action);
