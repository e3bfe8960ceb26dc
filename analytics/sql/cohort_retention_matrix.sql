-- cohort_retention_matrix: retention_matrix computed for a cohort's customers only. Reads
-- cohort_customers.
WITH members AS (
    SELECT customer_id, acquisition_month FROM cohort_customers
),

activity AS (
    SELECT DISTINCT
        s.customer_id,
        date_trunc('month', s.session_start)::DATE AS month
    FROM sessions AS s
    SEMI JOIN members USING (customer_id)
),

sizes AS (
    SELECT acquisition_month, count(*) AS cohort_size
    FROM members
    GROUP BY 1
),

final AS (
    SELECT
        m.acquisition_month,
        date_diff('month', m.acquisition_month, a.month) AS months_since_acquisition,
        z.cohort_size,
        count(*) AS active_customers,
        count(*) / any_value(z.cohort_size) AS retention_rate
    FROM activity AS a
    JOIN members AS m USING (customer_id)
    JOIN sizes AS z USING (acquisition_month)
    GROUP BY 1, 2, 3
)

SELECT * FROM final
ORDER BY acquisition_month, months_since_acquisition
