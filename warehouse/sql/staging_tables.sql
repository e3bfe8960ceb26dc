-- staging_tables: the temp tables a build fills file by file before the marts are built.
-- Events themselves go straight into the persistent event_rows table (created by the build
-- with the columns its sources can fill), rejected rows included; the events step then
-- deletes rejected and duplicate rows and drops the two reject columns. Writing 10M events
-- once instead of staging and copying them halves a build's time.
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

-- The build's input files in order: duplicate_rows ranks repeats by it, and duplicate
-- rejects name the file a row was first loaded from; `duplicates` is the file's rule
-- (identical-lines, mapped-columns or keep).
CREATE OR REPLACE TEMP TABLE source_order (
    source_id VARCHAR,
    file_order INTEGER,
    path VARCHAR,
    duplicates VARCHAR DEFAULT 'identical-lines'
);

-- Replaced by the duplicate_rows query when some rows hash alike; empty otherwise.
CREATE OR REPLACE TEMP TABLE duplicate_rows (
    source_id VARCHAR,
    source_line BIGINT,
    first_source_id VARCHAR,
    first_line BIGINT,
    raw VARCHAR
);

-- Filled file by file, only for files that hold duplicate candidates.
CREATE OR REPLACE TEMP TABLE candidate_lines (
    source_id VARCHAR,
    line BIGINT,
    line_hash UBIGINT,
    raw VARCHAR
);
