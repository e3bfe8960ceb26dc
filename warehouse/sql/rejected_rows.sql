-- rejected_rows: every row that could not be used, with the file it came from, its line,
-- column and reason, and its raw values; in input order.
WITH rejects AS (
    SELECT * FROM staged_rejects
),

ledger AS (
    SELECT source_id, path, file_order FROM ingest_ledger
),

final AS (
    SELECT
        rejects.source_id,
        ledger.path AS file,
        rejects.line,
        rejects.column_name,
        rejects.reason,
        rejects.raw,
        ledger.file_order
    FROM rejects
    JOIN ledger USING (source_id)
)

SELECT * EXCLUDE (file_order) FROM final
ORDER BY file_order, line
