-- whatif_session_events: the events of the sessions the relation `wanted` (session_id)
-- selects: the `events` that models/sql/session_prefix_events.sql reads for the what-if page.
WITH

wanted_sessions AS (
    SELECT session_id FROM wanted
),

final AS (
    SELECT *
    FROM main.events
    WHERE session_id IN (SELECT session_id FROM wanted_sessions)
)

SELECT * FROM final
