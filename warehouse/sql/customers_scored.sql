-- customers_scored: the customers mart with each customer's scores beside it, written by
-- `shopsight score` next to customer_scores. Cohort filters, counts, facets and the
-- customer table read it instead of joining a million customers to a million scores on
-- every request.
CREATE OR REPLACE TABLE customers_scored AS
WITH customers AS (
    SELECT * FROM customers
),

scores AS (
    SELECT * FROM customer_scores
),

final AS (
    SELECT
        customers.*,
        scores.* EXCLUDE (customer_id)
    FROM customers
    LEFT JOIN scores USING (customer_id)
)

SELECT * FROM final
ORDER BY customer_id;
