-- staging_tables: the tables a build fills file by file before the marts are built.
-- Adapters insert straight into the persistent events table, rejected rows included; the
-- events step then deletes rejected and duplicate rows and drops the two reject columns.
-- Writing 10M events once instead of staging and copying them halves a build's time.
CREATE TABLE events (
    event_time TIMESTAMP,
    event_date DATE,
    session_id VARCHAR,
    customer_id VARCHAR,
    event_type VARCHAR,
    source_event VARCHAR,
    product_id VARCHAR,
    product_name VARCHAR,
    category VARCHAR,
    brand VARCHAR,
    price DOUBLE,
    quantity DOUBLE,
    revenue DOUBLE,
    country VARCHAR,
    device VARCHAR,
    traffic_source VARCHAR,
    page VARCHAR,
    page_depth INTEGER,
    sequence_number INTEGER,
    colour VARCHAR,
    photo_location VARCHAR,
    model_photography VARCHAR,
    price_above_category_avg BOOLEAN,
    source_id VARCHAR,
    source_line BIGINT,
    reject_column VARCHAR,
    reject_reason VARCHAR
);

CREATE OR REPLACE TEMP TABLE staged_session_aggregates (
    session_id VARCHAR,
    administrative INTEGER,
    administrative_duration DOUBLE,
    informational INTEGER,
    informational_duration DOUBLE,
    product_related INTEGER,
    product_related_duration DOUBLE,
    bounce_rates DOUBLE,
    exit_rates DOUBLE,
    page_values DOUBLE,
    special_day DOUBLE,
    month VARCHAR,
    operating_systems INTEGER,
    browser INTEGER,
    region INTEGER,
    traffic_type INTEGER,
    visitor_type VARCHAR,
    weekend BOOLEAN,
    revenue_label BOOLEAN,
    source_id VARCHAR,
    source_line BIGINT,
    reject_column VARCHAR,
    reject_reason VARCHAR
);

CREATE OR REPLACE TEMP TABLE staged_rejects (
    source_id VARCHAR,
    line BIGINT,
    column_name VARCHAR,
    reason VARCHAR,
    raw VARCHAR
);

CREATE OR REPLACE TEMP TABLE codebook (
    variable VARCHAR,
    code INTEGER,
    label VARCHAR
);
