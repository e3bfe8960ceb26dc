-- The sessions of a cohort with their score columns, for a build that has session_scores.
-- {score_columns}: ", ss.<column>" for each session_scores column sessions lacks, names from
-- the catalogue through quote_ident; {session_where}: the cohort's filter on sessions aliased
-- s, compiled by analytics.cohort_sql (values bound as parameters).
WITH

sessions AS (
    SELECT * FROM sessions
),

session_scores AS (
    SELECT * FROM session_scores
),

final AS (
    SELECT s.*{score_columns}
    FROM sessions AS s
    LEFT JOIN session_scores AS ss USING (session_id)
    WHERE {session_where}
)

SELECT * FROM final
