-- control_character_rows: the rows of raw_source whose identifier column holds a control
-- character, with the value and the whole row as JSON (a NUL shown as \u0000, never the
-- byte). {column}: the quoted identifier column; {condition}: warehouse.raw's test of that
-- column (shared with the Parquet view, which cannot bind parameters).
SELECT
    line,
    CAST({column} AS VARCHAR) AS value,
    to_json(r)::VARCHAR AS raw
FROM raw_source AS r
WHERE {condition}
ORDER BY line
