-- funnel_steps_daily: funnel_steps read from the daily roll-up (the same counts from
-- thousands of rows instead of millions). Reads cohort_daily_sessions, which the caller
-- provides.
WITH days AS (
    SELECT * FROM cohort_daily_sessions
),

final AS (
    SELECT
        sum(viewing_sessions) AS viewing_sessions,
        sum(cart_sessions) AS cart_sessions,
        sum(checkout_sessions) AS checkout_sessions,
        sum(purchasing_sessions) AS purchasing_sessions,
        sum(explicit_checkout_sessions) AS explicit_checkout_sessions
    FROM days
)

SELECT * FROM final
