-- duplicate_rejects: a staged reject for every row in duplicate_rows, saying which line (of
-- the same file, or of an earlier overlapping file) it repeats, with its raw values.
WITH duplicates AS (
    SELECT * FROM duplicate_rows
),

files AS (
    SELECT source_id, path FROM source_order
),

final AS (
    SELECT
        d.source_id,
        d.source_line AS line,
        NULL AS column_name,
        CASE
            WHEN d.first_source_id = d.source_id
                THEN 'duplicate row: same as line ' || d.first_line::VARCHAR
            ELSE 'duplicate row: already loaded from ' || f.path || ' line '
                || d.first_line::VARCHAR || ' (overlapping files)'
        END AS reason,
        d.raw
    FROM duplicates AS d
    JOIN files AS f ON f.source_id = d.first_source_id
)

SELECT * FROM final
