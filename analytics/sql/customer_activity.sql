-- customer_activity: each cohort customer once for every calendar period (a day, a week or a
-- month, by $grain) in which they had a session, with their customer row. A customer metric
-- over this relation grouped by period is a calendar series ("repeat purchase among the
-- customers active that week"), not a series by acquisition month.
-- Reads cohort_customers and cohort_sessions; binds $grain.
WITH customers AS (
    SELECT * FROM cohort_customers
),

sessions AS (
    SELECT
        customer_id,
        session_date
    FROM cohort_sessions
    WHERE customer_id IS NOT NULL AND session_date IS NOT NULL
),

active AS (
    SELECT DISTINCT
        date_trunc($grain, session_date)::DATE AS period,
        customer_id
    FROM sessions
),

final AS (
    SELECT
        active.period,
        customers.*
    FROM active
    INNER JOIN customers USING (customer_id)
)

SELECT * FROM final
