-- The sessions of a cohort, for an export (one row per session).
-- {session_where}: the cohort's filter on sessions aliased s, compiled by
-- analytics.cohort_sql; its values are bound parameters.
WITH

sessions AS (
    SELECT * FROM sessions
),

final AS (
    SELECT s.*
    FROM sessions AS s
    WHERE {session_where}
)

SELECT * FROM final
