-- whatif_known_sessions: which of the sessions the relation `wanted` (session_id) selects
-- exist in the warehouse, in id order (a session with no pre-signal events still exists).
WITH

wanted_sessions AS (
    SELECT session_id FROM wanted
),

final AS (
    SELECT session_id
    FROM main.sessions
    WHERE session_id IN (SELECT session_id FROM wanted_sessions)
)

SELECT * FROM final
ORDER BY session_id
