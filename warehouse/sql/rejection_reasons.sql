-- rejection_reasons: rejected rows grouped by file and the shape of their reason, most
-- frequent first. Reasons quote the offending value and line; quoted values become '…' and
-- numbers N, so one reason with a thousand values is one line.
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
        line
    FROM rejects
),

final AS (
    SELECT
        file,
        column_name,
        reason,
        count(*) AS rows,
        min(line) AS first_line
    FROM shaped
    GROUP BY file, column_name, reason
)

SELECT * FROM final
ORDER BY rows DESC, first_line
LIMIT $limit
