-- campaign_outcomes: what each campaign member did in the window [$window_start, $window_end):
-- bought (any purchase), revenue (sum of purchase revenue, 0 when none) and returned (any
-- event at all). $customer_ids: the frozen members; members with no events get zeros.
WITH members AS (
    SELECT unnest(CAST($customer_ids AS VARCHAR[])) AS customer_id
),

window_events AS (
    SELECT customer_id, event_type, revenue
    FROM events
    WHERE event_time >= $window_start
      AND event_time < $window_end
      AND customer_id IN (SELECT customer_id FROM members)
),

per_member AS (
    SELECT
        customer_id,
        bool_or(event_type = 'purchase') AS bought,
        coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue,
        true AS returned
    FROM window_events
    GROUP BY customer_id
),

final AS (
    SELECT
        members.customer_id,
        coalesce(per_member.bought, false) AS bought,
        coalesce(per_member.revenue, 0)::DOUBLE AS revenue,
        coalesce(per_member.returned, false) AS returned
    FROM members
    LEFT JOIN per_member USING (customer_id)
)

SELECT * FROM final
ORDER BY customer_id
