-- rejected_source_rows: the rows of one file that its adapter rejected, with the reason and
-- the file's raw values as JSON, so nothing is lost and the reason can be checked.
-- Reads two relations the build provides: adapted_rows (the adapter's output table for this
-- file's grain) and raw_rows (the file as read). Binds $source_id.
WITH adapted AS (
    SELECT * FROM adapted_rows
    WHERE source_id = $source_id AND reject_reason IS NOT NULL
),

final AS (
    SELECT
        adapted.source_id,
        adapted.source_line AS line,
        adapted.reject_column AS column_name,
        adapted.reject_reason AS reason,
        to_json(raw_rows)::VARCHAR AS raw
    FROM adapted
    JOIN raw_rows ON raw_rows.line = adapted.source_line
)

SELECT * FROM final
