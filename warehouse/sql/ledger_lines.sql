-- ledger_lines: the ingest ledger, one line per input file in input order, with its row
-- accounting (rows read = rows loaded + rows rejected), the rule that judged duplicates, the
-- rule that produced revenue, how many sessions carry more than one customer id, and the
-- physical lines of a CSV (header included) behind its rows.
WITH ledger AS (
    -- builds made before these columns existed read as "not recorded", so `info` still
    -- works on them: a union by name with no rows adds a missing column as NULL
    SELECT * FROM ingest_ledger
    UNION ALL BY NAME
    SELECT
        NULL::VARCHAR AS duplicates,
        NULL::VARCHAR AS revenue_rule,
        NULL::BIGINT AS shared_sessions,
        NULL::VARCHAR AS line_unit,
        NULL::BIGINT AS lines_read
    WHERE false
),

final AS (
    SELECT
        path,
        format,
        variant,
        sha256,
        size_bytes,
        rows_read,
        rows_loaded,
        rows_rejected,
        lines_read,
        has_clock_time,
        status,
        note,
        duplicates,
        revenue_rule,
        shared_sessions,
        coalesce(line_unit, 'line') AS line_unit,
        file_order
    FROM ledger
)

SELECT * EXCLUDE (file_order) FROM final
ORDER BY file_order
