-- whatif_session_history: the sessions models/sql/session_features.sql needs to describe the
-- sessions the relation `wanted` (session_id) selects: those sessions and every session of
-- their customers (the history features count a customer's earlier visits). Anonymous
-- sessions share one history, as in the batch, so a wanted anonymous session brings all.
WITH

wanted_sessions AS (
    SELECT session_id FROM wanted
),

wanted_customers AS (
    SELECT DISTINCT customer_id
    FROM main.sessions
    WHERE session_id IN (SELECT session_id FROM wanted_sessions)
),

final AS (
    SELECT *
    FROM main.sessions
    WHERE customer_id IN (SELECT customer_id FROM wanted_customers)
        OR session_id IN (SELECT session_id FROM wanted_sessions)
        OR (
            customer_id IS NULL
            AND EXISTS (SELECT 1 FROM wanted_customers WHERE customer_id IS NULL)
        )
)

SELECT * FROM final
