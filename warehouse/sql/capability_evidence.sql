-- capability_evidence: the counts the capabilities are judged on, in one row: what the
-- events hold, how many pre-aggregated sessions there are, and how the journeys of
-- purchasing sessions begin.
-- A purchasing session "opens with its purchase" when no event of another type comes before
-- or at the same instant as its first purchase: in a complete log something (a view, a cart
-- add, a checkout, a session start) always precedes a purchase, so many such sessions are
-- the evidence that events were sampled. A tie is given the benefit of the doubt, since
-- second-resolution logs (REES46) often stamp a view and its purchase alike.
WITH events AS (
    SELECT session_id, customer_id, event_type, event_time, revenue FROM events
),

sessions AS (
    SELECT is_aggregate, converted, cart_adds FROM sessions
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

session_counts AS (
    SELECT
        count(*) FILTER (WHERE is_aggregate) AS aggregate_sessions,
        count(*) FILTER (WHERE is_aggregate AND converted) AS aggregate_buyers,
        count(*) FILTER (WHERE NOT is_aggregate AND cart_adds > 0) AS cart_sessions
    FROM sessions
),

-- Only purchasing sessions' events are grouped: a few per cent of a large log.
purchasing_sessions AS (
    SELECT
        session_id,
        min(event_time) FILTER (WHERE event_type = 'purchase') AS first_purchase,
        min(event_time) FILTER (WHERE event_type <> 'purchase') AS first_other,
        bool_or(event_type = 'add_to_cart') AS with_cart,
        bool_or(event_type IN ('page_view', 'product_view')) AS with_view
    FROM events
    WHERE session_id IN (SELECT session_id FROM events WHERE event_type = 'purchase')
    GROUP BY session_id
),

buying_sessions AS (
    SELECT
        count(*) AS buying_sessions,
        count(*) FILTER (WHERE with_cart) AS buying_with_cart,
        count(*) FILTER (WHERE with_view) AS buying_with_view,
        count(*) FILTER (WHERE first_other IS NULL OR first_other > first_purchase)
            AS buying_opened_by_purchase,
        count(*) FILTER (WHERE first_other IS NULL) AS buying_purchase_only
    FROM purchasing_sessions
),

final AS (
    SELECT *
    FROM event_counts, session_counts, buying_sessions
)

SELECT * FROM final
