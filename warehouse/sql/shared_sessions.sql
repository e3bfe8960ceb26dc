-- shared_sessions: per file, the sessions that carry more than one non-null customer id.
-- Such a session id is only unique per visitor (GA360's visitId): the build warns, the
-- ledger records the count, and the customers mart counts identities from events, so no
-- customer disappears into another's session.
WITH identified AS (
    SELECT session_id, customer_id, source_id FROM events WHERE customer_id IS NOT NULL
),

shared AS (
    SELECT session_id
    FROM identified
    GROUP BY session_id
    HAVING min(customer_id) <> max(customer_id)
),

final AS (
    SELECT identified.source_id, count(DISTINCT identified.session_id) AS shared_sessions
    FROM identified
    SEMI JOIN shared USING (session_id)
    GROUP BY identified.source_id
)

SELECT * FROM final
