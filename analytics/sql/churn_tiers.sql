-- churn_tiers: a cohort's customers per churn tier, High first, with the value at risk in
-- each ($value_known: the scores carry value_at_risk; NULL otherwise, never a zero).
-- Reads cohort_customers.
WITH members AS (
    -- value_at_risk exists only where a revenue model ran; a union by name with no rows
    -- adds it as NULL otherwise, so the query binds either way
    SELECT * FROM cohort_customers
    UNION ALL BY NAME
    SELECT NULL::DOUBLE AS value_at_risk WHERE false
),

final AS (
    SELECT
        churn_tier,
        count(*) AS customers,
        CASE WHEN $value_known THEN coalesce(sum(value_at_risk), 0) END AS value_at_risk
    FROM members
    WHERE churn_tier IS NOT NULL
    GROUP BY churn_tier
)

SELECT * FROM final
ORDER BY CASE churn_tier WHEN 'High' THEN 0 WHEN 'Medium' THEN 1 ELSE 2 END
