-- at_risk_customers: one page of a cohort's customers in the churn tiers $tiers, ranked by
-- value at risk ($rank_by_value) or else by churn probability, highest first.
-- Binds $tiers, $rank_by_value, $limit and $offset; reads cohort_customers.
WITH members AS (
    -- either ranking column may be missing from the scores; add it as NULL then
    SELECT * FROM cohort_customers
    UNION ALL BY NAME
    SELECT NULL::DOUBLE AS value_at_risk, NULL::DOUBLE AS churn_prob WHERE false
),

final AS (
    SELECT * FROM members
    WHERE list_contains($tiers, churn_tier)
)

SELECT * FROM final
ORDER BY
    CASE WHEN $rank_by_value THEN value_at_risk ELSE churn_prob END DESC NULLS LAST,
    customer_id
LIMIT $limit OFFSET $offset
