-- segment_revenue: customers' revenue summed per segment of one method ($method: kmeans or
-- hdbscan).
WITH scores AS (
    -- the HDBSCAN columns exist only where that model ran; add them as NULL otherwise
    SELECT * FROM customer_scores
    UNION ALL BY NAME
    SELECT NULL::BIGINT AS segment_id, NULL::BIGINT AS hdbscan_segment_id WHERE false
),

members AS (
    SELECT
        customer_id,
        CASE WHEN $method = 'kmeans' THEN segment_id ELSE hdbscan_segment_id END AS segment_id
    FROM scores
),

buyers AS (
    SELECT customer_id, revenue FROM customers
),

final AS (
    SELECT
        members.segment_id,
        sum(buyers.revenue) AS revenue
    FROM buyers
    JOIN members USING (customer_id)
    GROUP BY 1
)

SELECT * FROM final
