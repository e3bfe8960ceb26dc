-- customers: one row per identified customer, from their sessions. Recency and tenure are
-- measured at the data's end (as_of), not at today's date, so a 2011 file does not make
-- every customer look churned.
WITH sessions AS (
    SELECT * FROM sessions WHERE customer_id IS NOT NULL
),

as_of AS (
    SELECT max(coalesce(session_end, session_start)) AS as_of FROM sessions
),

per_customer AS (
    SELECT
        customer_id,
        min(session_start) AS first_seen,
        max(coalesce(session_end, session_start)) AS last_seen,
        count(*) AS sessions,
        count(*) FILTER (WHERE converted) AS orders,
        coalesce(sum(revenue), 0) AS revenue,
        coalesce(sum(hits), 0) AS hits,
        coalesce(sum(cart_adds), 0) AS cart_adds,
        count(*) FILTER (WHERE cart_adds > 0) AS cart_sessions,
        count(*) FILTER (WHERE cart_abandoned) AS abandoned_sessions,
        bool_or(cart_abandoned IS NOT NULL) AS has_carts,
        coalesce(sum(returns), 0) AS returns,
        coalesce(sum(returned_value), 0) AS returned_value,
        min(session_start) FILTER (WHERE converted) AS first_order_at,
        max(session_start) FILTER (WHERE converted) AS last_order_at,
        arg_min(country, session_start) FILTER (WHERE country IS NOT NULL) AS country,
        arg_min(device, session_start) FILTER (WHERE device IS NOT NULL) AS device,
        arg_min(traffic_source, session_start) FILTER (WHERE traffic_source IS NOT NULL)
            AS traffic_source
    FROM sessions
    GROUP BY customer_id
),

final AS (
    SELECT
        c.customer_id,
        c.first_seen,
        c.last_seen,
        c.sessions,
        c.orders,
        c.revenue,
        c.hits,
        c.cart_adds,
        date_diff('day', c.last_seen, a.as_of) AS recency_days,
        c.orders AS frequency,
        c.revenue AS monetary,
        c.revenue / nullif(c.orders, 0) AS average_order_value,
        date_diff('day', c.first_seen, a.as_of) AS tenure_days,
        c.orders >= 2 AS is_repeat_purchaser,
        CASE WHEN c.has_carts THEN c.abandoned_sessions / nullif(c.cart_sessions, 0) END
            AS cart_abandonment_rate,
        date_diff('second', c.first_order_at, c.last_order_at) / 86400.0
            / nullif(c.orders - 1, 0) AS mean_days_between_orders,
        c.first_order_at,
        c.last_order_at,
        date_diff('day', c.last_order_at, a.as_of) AS days_since_last_order,
        c.returns,
        c.returned_value,
        date_trunc('month', c.first_seen)::DATE AS acquisition_month,
        c.country,
        c.device,
        c.traffic_source,
        a.as_of
    FROM per_customer AS c
    CROSS JOIN as_of AS a
)

SELECT * FROM final
ORDER BY customer_id
