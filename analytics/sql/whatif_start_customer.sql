-- whatif_start_customer: the customer the what-if page starts from: the highest value at
-- risk, then the highest churn probability (needs scored customers).
SELECT customer_id
FROM main.customer_scores
ORDER BY value_at_risk DESC NULLS LAST, churn_prob DESC NULLS LAST, customer_id
LIMIT 1
