-- at_risk_count: how many of a cohort's customers are in the churn tiers $tiers.
-- Reads cohort_customers.
SELECT count(*) AS customers
FROM cohort_customers
WHERE list_contains($tiers, churn_tier)
