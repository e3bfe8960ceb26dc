-- capability_evidence: the counts the capabilities are judged on, in one row: what the
-- events hold, how many pre-aggregated sessions there are, and how complete the journeys of
-- purchasing sessions look.
WITH events AS (
    SELECT customer_id, event_type, revenue FROM events
),

sessions AS (
    SELECT is_aggregate, converted, purchases, cart_adds, hits FROM sessions
),

event_counts AS (
    SELECT
        count(*) AS events,
        count(customer_id) AS with_customer,
        count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
        count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
        count(*) FILTER (WHERE event_type IN ('page_view', 'product_view')) AS views,
        coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue
    FROM events
),

aggregate_sessions AS (
    SELECT
        count(*) AS aggregate_sessions,
        count(*) FILTER (WHERE converted) AS aggregate_buyers
    FROM sessions
    WHERE is_aggregate
),

buying_sessions AS (
    SELECT
        count(*) AS buying_sessions,
        count(*) FILTER (WHERE cart_adds > 0) AS buying_with_cart,
        count(*) FILTER (WHERE hits > 0) AS buying_with_view
    FROM sessions
    WHERE purchases > 0 AND NOT is_aggregate
),

final AS (
    SELECT *
    FROM event_counts, aggregate_sessions, buying_sessions
)

SELECT * FROM final
