-- rejection_reasons: rejected rows grouped by file and the shape of their reason, most
-- frequent first. Reasons quote the offending value and line; quoted values become '…' and
-- numbers N, so one reason with a thousand values is one line, and `top_values` lists the
-- values a user must fix (the unmapped event types, the unparsable timestamps): the five
-- most frequent, as text such as 'wishlist' ×120, 'search' ×4.
-- Binds $by_column (also group by the column the reason is about) and $limit.
WITH rejects AS (
    SELECT file, column_name, reason, line FROM rejected_rows
),

shaped AS (
    SELECT
        file,
        CASE WHEN $by_column THEN column_name END AS column_name,
        regexp_replace(regexp_replace(reason, '''[^'']*''', '''…''', 'g'), '[0-9]+', 'N', 'g')
            AS reason,
        -- The first quoted value of the reason: the event type, timestamp or price at fault.
        nullif(regexp_extract(reason, '''([^'']*)''', 1), '') AS value,
        line
    FROM rejects
),

per_value AS (
    SELECT file, column_name, reason, value, count(*) AS rows, min(line) AS first_line
    FROM shaped
    GROUP BY file, column_name, reason, value
),

final AS (
    SELECT
        file,
        column_name,
        reason,
        sum(rows)::BIGINT AS rows,
        min(first_line) AS first_line,
        array_to_string(
            list('''' || value || ''' ×' || rows::VARCHAR ORDER BY rows DESC, first_line)
                FILTER (WHERE value IS NOT NULL)[1:5],
            ', '
        ) AS top_values
    FROM per_value
    GROUP BY file, column_name, reason
)

SELECT * FROM final
ORDER BY rows DESC, first_line
LIMIT $limit
