-- customer_labels: what each customer did in the horizon [$cutoff, $cutoff + $horizon_days).
-- Only customers seen before $cutoff are labelled (the population the features describe).
WITH population AS (
    SELECT DISTINCT customer_id FROM events
    WHERE customer_id IS NOT NULL AND event_time < $cutoff
),

horizon AS (
    SELECT
        customer_id,
        count(*) AS events,
        count(*) FILTER (WHERE event_type = 'purchase') AS purchase_lines,
        coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue
    FROM events
    WHERE customer_id IS NOT NULL
        AND event_time >= $cutoff
        AND event_time < $cutoff + to_days($horizon_days::INTEGER)
    GROUP BY customer_id
),

final AS (
    SELECT
        p.customer_id,
        coalesce(h.purchase_lines, 0) > 0 AS purchased,
        coalesce(h.events, 0) > 0 AS visited,
        coalesce(h.revenue, 0) AS horizon_revenue
    FROM population AS p
    LEFT JOIN horizon AS h USING (customer_id)
)

SELECT * FROM final
ORDER BY customer_id
