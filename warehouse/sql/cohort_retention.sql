-- cohort_retention: for each acquisition month, how many of its customers were active
-- (had a session) and how many bought, in each month since acquisition.
WITH customers AS (
    SELECT customer_id, acquisition_month FROM customers
),

activity AS (
    SELECT
        customer_id,
        date_trunc('month', session_start)::DATE AS activity_month,
        bool_or(converted) AS bought
    FROM sessions
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id, date_trunc('month', session_start)::DATE
),

cohort_sizes AS (
    SELECT acquisition_month, count(*) AS cohort_size
    FROM customers
    GROUP BY acquisition_month
),

monthly AS (
    SELECT
        c.acquisition_month,
        date_diff('month', c.acquisition_month, a.activity_month) AS months_since_acquisition,
        count(*) AS active_customers,
        count(*) FILTER (WHERE a.bought) AS buying_customers
    FROM activity AS a
    JOIN customers AS c USING (customer_id)
    GROUP BY ALL
),

final AS (
    SELECT
        m.acquisition_month,
        m.months_since_acquisition,
        s.cohort_size,
        m.active_customers,
        m.buying_customers,
        m.active_customers / s.cohort_size AS retention_rate,
        m.buying_customers / s.cohort_size AS purchase_retention_rate
    FROM monthly AS m
    JOIN cohort_sizes AS s USING (acquisition_month)
)

SELECT * FROM final
ORDER BY acquisition_month, months_since_acquisition
