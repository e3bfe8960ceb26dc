-- upload_customer_lookup: the current scores of an uploaded list of customer ids ($ids, a
-- VARCHAR list), one row per id in the list, with `found` false for an unknown id.
WITH

wanted AS (
    SELECT unnest($ids::VARCHAR[]) AS customer_id
),

scores AS (
    SELECT * FROM customer_scores
),

final AS (
    SELECT
        w.customer_id,
        s.* EXCLUDE (customer_id),
        s.customer_id IS NOT NULL AS found
    FROM wanted AS w
    LEFT JOIN scores AS s USING (customer_id)
)

SELECT * FROM final
