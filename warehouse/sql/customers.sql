-- customers: one row per identified customer, from their sessions. Recency and tenure are
-- measured at the data's end (as_of), not at today's date, so a 2011 file does not make
-- every customer look churned.
-- Identities come from events, not from a session's one customer_id: a session id that
-- several customers share (GA360's visitId is unique per visitor only) gives each of them
-- their own events of it, so no customer disappears and none gets another's orders.
WITH sessions AS (
    SELECT * FROM sessions
),

events AS (
    SELECT * FROM events
),

shared AS (
    SELECT session_id
    FROM events
    WHERE customer_id IS NOT NULL
    GROUP BY session_id
    HAVING min(customer_id) <> max(customer_id)
),

whole_sessions AS (
    -- The usual case: the session's one customer gets all of it, events without an id too.
    SELECT
        customer_id, session_start, session_end, converted, revenue, hits, cart_adds,
        cart_abandoned, returns, returned_value, country, device, traffic_source
    FROM sessions
    WHERE customer_id IS NOT NULL AND session_id NOT IN (SELECT session_id FROM shared)
),

split_sessions AS (
    -- A shared session: each customer's own events, with the session's flags' availability
    -- (NULL stays NULL where the source cannot support the flag).
    SELECT
        e.customer_id,
        min(e.event_time) AS session_start,
        max(e.event_time) AS session_end,
        CASE WHEN any_value(s.converted) IS NOT NULL
            THEN count(*) FILTER (WHERE e.event_type = 'purchase') > 0
        END AS converted,
        CASE WHEN any_value(s.revenue) IS NOT NULL
            THEN coalesce(sum(e.revenue) FILTER (WHERE e.event_type = 'purchase'), 0)
        END AS revenue,
        count(*) FILTER (WHERE e.event_type IN ('page_view', 'product_view')) AS hits,
        count(*) FILTER (WHERE e.event_type = 'add_to_cart') AS cart_adds,
        CASE WHEN any_value(s.cart_abandoned) IS NOT NULL
            THEN count(*) FILTER (WHERE e.event_type = 'add_to_cart') > 0
                AND count(*) FILTER (WHERE e.event_type = 'purchase') = 0
        END AS cart_abandoned,
        CASE WHEN any_value(s.returns) IS NOT NULL
            THEN count(*) FILTER (WHERE e.event_type = 'return')
        END AS returns,
        CASE WHEN any_value(s.returned_value) IS NOT NULL
            THEN coalesce(sum(abs(e.quantity * e.price)) FILTER (WHERE e.event_type = 'return'), 0)
        END AS returned_value,
        arg_min(e.country, e.event_time) FILTER (WHERE e.country IS NOT NULL) AS country,
        arg_min(e.device, e.event_time) FILTER (WHERE e.device IS NOT NULL) AS device,
        arg_min(e.traffic_source, e.event_time) FILTER (WHERE e.traffic_source IS NOT NULL)
            AS traffic_source
    FROM events AS e
    JOIN sessions AS s USING (session_id)
    WHERE e.customer_id IS NOT NULL AND e.session_id IN (SELECT session_id FROM shared)
    GROUP BY e.customer_id, e.session_id
),

customer_sessions AS (
    SELECT * FROM whole_sessions
    UNION ALL BY NAME
    SELECT * FROM split_sessions
),

as_of AS (
    SELECT max(coalesce(session_end, session_start)) AS as_of FROM customer_sessions
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
    FROM customer_sessions
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
