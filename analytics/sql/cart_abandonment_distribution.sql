-- cart_abandonment_distribution: each customer's share of cart sessions abandoned, as
-- (bucket, count) in $bins equal buckets. Reads cohort_customers.
WITH members AS (
    SELECT cart_abandonment_rate FROM cohort_customers
    WHERE cart_abandonment_rate IS NOT NULL
),

final AS (
    SELECT
        floor(cart_abandonment_rate * $bins) / $bins AS bucket,
        count(*) AS count
    FROM members
    GROUP BY 1
)

SELECT * FROM final
ORDER BY bucket
