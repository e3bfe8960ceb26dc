-- customer_features: one row per customer seen strictly before $cutoff, built only from
-- events strictly before $cutoff (the point-in-time rule: a later event changes nothing).
-- Binds $cutoff (TIMESTAMP) and $window_days (the horizon: "last period" windows).
-- Reads `events`: the events table, or a caller's narrower relation of that name (the
-- what-if page's one customer), which is why the first CTE has a name of its own.
WITH past_events AS (
    SELECT customer_id, session_id, event_time, event_type, category, price, revenue, quantity
    FROM events
    WHERE customer_id IS NOT NULL AND event_time < $cutoff
),

session_rollup AS (
    SELECT
        customer_id,
        session_id,
        min(event_time) AS session_start,
        count(*) AS events,
        count(*) FILTER (WHERE event_type IN ('page_view', 'product_view')) AS views,
        count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
        count(*) FILTER (WHERE event_type = 'remove_from_cart') AS cart_removes,
        count(*) FILTER (WHERE event_type = 'purchase') AS purchase_lines,
        coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue,
        coalesce(sum(abs(quantity * price)) FILTER (WHERE event_type = 'return'), 0)
            AS returned_value
    FROM past_events
    GROUP BY customer_id, session_id
),

-- count(DISTINCT …) is costly per group; two group-bys are cheaper (DESIGN.md section 3).
customer_categories AS (
    SELECT customer_id, count(*) AS distinct_categories
    FROM (
        SELECT customer_id, category FROM past_events
        WHERE category IS NOT NULL
        GROUP BY customer_id, category
    )
    GROUP BY customer_id
),

per_customer AS (
    SELECT
        customer_id,
        min(session_start) AS first_seen,
        max(session_start) AS last_seen,
        max(session_start) FILTER (WHERE purchase_lines > 0) AS last_order_at,
        count(*) AS sessions,
        count(*) FILTER (WHERE purchase_lines > 0) AS orders,
        sum(revenue) AS revenue,
        sum(events) AS events,
        sum(views) AS views,
        sum(cart_adds) AS cart_adds,
        sum(cart_removes) AS cart_removes,
        count(*) FILTER (WHERE cart_adds > 0 AND purchase_lines = 0) AS abandoned_carts,
        sum(returned_value) AS returned_value,
        count(*) FILTER (
            WHERE session_start >= $cutoff - to_days($window_days::INTEGER)
        ) AS sessions_last_period,
        count(*) FILTER (
            WHERE session_start >= $cutoff - to_days($window_days::INTEGER)
            AND purchase_lines > 0
        ) AS orders_last_period,
        coalesce(sum(revenue) FILTER (
            WHERE session_start >= $cutoff - to_days($window_days::INTEGER)
        ), 0) AS revenue_last_period,
        count(*) FILTER (
            WHERE session_start >= $cutoff - to_days(2 * $window_days::INTEGER)
            AND session_start < $cutoff - to_days($window_days::INTEGER)
        ) AS sessions_previous_period
    FROM session_rollup
    GROUP BY customer_id
),

final AS (
    SELECT
        c.customer_id,
        date_diff('second', c.last_seen, $cutoff) / 86400.0 AS recency_days,
        date_diff('second', c.first_seen, $cutoff) / 86400.0 AS tenure_days,
        coalesce(
            date_diff('second', c.last_order_at, $cutoff) / 86400.0,
            date_diff('second', c.first_seen, $cutoff) / 86400.0 + $window_days
        ) AS days_since_last_order,
        c.sessions::DOUBLE AS sessions,
        c.orders::DOUBLE AS orders,
        c.revenue AS revenue,
        c.revenue / greatest(c.orders, 1) AS average_order_value,
        c.events / c.sessions::DOUBLE AS events_per_session,
        c.views::DOUBLE AS views,
        c.cart_adds::DOUBLE AS cart_adds,
        c.cart_removes::DOUBLE AS cart_removes,
        c.abandoned_carts::DOUBLE AS abandoned_carts,
        c.orders / c.sessions::DOUBLE AS order_rate,
        coalesce(k.distinct_categories, 0)::DOUBLE AS distinct_categories,
        c.returned_value,
        c.sessions_last_period::DOUBLE AS sessions_last_period,
        c.orders_last_period::DOUBLE AS orders_last_period,
        c.revenue_last_period,
        c.sessions_previous_period::DOUBLE AS sessions_previous_period,
        date_diff('second', c.first_seen, c.last_seen) / 86400.0
            / greatest(c.sessions - 1, 1) AS mean_days_between_sessions
    FROM per_customer AS c
    LEFT JOIN customer_categories AS k USING (customer_id)
)

SELECT * FROM final
ORDER BY customer_id
