-- whatif_start_session: the session the what-if page starts from: the non-converted
-- session the model thought most likely to convert (needs scored sessions).
WITH

scores AS (
    SELECT session_id, conversion_prob FROM main.session_scores
),

sessions AS (
    SELECT session_id, converted FROM main.sessions
),

final AS (
    SELECT sc.session_id, sc.conversion_prob
    FROM scores AS sc
    JOIN sessions AS s USING (session_id)
    WHERE NOT coalesce(s.converted, false)
)

SELECT session_id FROM final
ORDER BY conversion_prob DESC NULLS LAST, session_id
LIMIT 1
