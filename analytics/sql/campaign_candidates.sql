-- campaign_candidates: a cohort's customers as a campaign freezes them, with the scores the
-- report splits and checks by (churn tier, segment, predicted probabilities and revenue).
-- Reads cohort_customers; a score column a build lacks comes out NULL (union by name).
WITH cohort AS (
    SELECT * FROM cohort_customers
),

with_scores AS (
    SELECT * FROM cohort
    UNION ALL BY NAME
    SELECT
        NULL::VARCHAR AS churn_tier,
        NULL::VARCHAR AS segment_name,
        NULL::DOUBLE AS purchase_prob,
        NULL::DOUBLE AS churn_prob,
        NULL::DOUBLE AS predicted_revenue
    WHERE false
),

final AS (
    SELECT
        CAST(customer_id AS VARCHAR) AS customer_id,
        churn_tier,
        segment_name AS segment,
        purchase_prob,
        churn_prob,
        predicted_revenue
    FROM with_scores
)

SELECT * FROM final
ORDER BY customer_id
