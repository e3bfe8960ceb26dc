-- funnel_steps: how many of a cohort's sessions reached each step of the purchase funnel
-- (a step counts the sessions that reached it), and how many held an explicit
-- begin-checkout event. Reads cohort_sessions, which the caller provides.
WITH visits AS (
    SELECT hits, cart_adds, checkouts, purchases FROM cohort_sessions
),

final AS (
    SELECT
        count(*) FILTER (WHERE hits > 0) AS viewing_sessions,
        count(*) FILTER (WHERE cart_adds > 0) AS cart_sessions,
        count(*) FILTER (WHERE checkouts > 0 OR purchases > 0) AS checkout_sessions,
        count(*) FILTER (WHERE purchases > 0) AS purchasing_sessions,
        count(*) FILTER (WHERE checkouts > 0) AS explicit_checkout_sessions
    FROM visits
)

SELECT * FROM final
