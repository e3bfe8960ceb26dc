-- One export's rows, unordered: the cohort's customers or sessions as compiled.
-- {cohort_rows}: the customers SELECT of analytics.cohort_sql or export_sessions*.sql.
WITH

cohort_rows AS (
    {cohort_rows}
),

final AS (
    SELECT cohort_rows.*
    FROM cohort_rows
)

SELECT * FROM final
