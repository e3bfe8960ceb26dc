-- session_features: one row per session with at least $min_events events before its first
-- checkout/purchase signal, from its first $max_events such events (prefix scoring), plus
-- the customer's visits before the session began. No purchase counts, no revenue.
-- Reads the temp table session_prefix_events; binds $min_events and $max_events.
WITH prefix AS (
    SELECT * FROM session_prefix_events WHERE position <= $max_events
),

eligible AS (
    SELECT session_id
    FROM session_prefix_events
    GROUP BY session_id
    HAVING count(*) >= $min_events
),

session_products AS (
    SELECT session_id, count(*) AS distinct_products
    FROM (SELECT session_id, product_id FROM prefix WHERE product_id IS NOT NULL GROUP BY ALL)
    GROUP BY session_id
),

session_categories AS (
    SELECT session_id, count(*) AS distinct_categories
    FROM (SELECT session_id, category FROM prefix WHERE category IS NOT NULL GROUP BY ALL)
    GROUP BY session_id
),

per_session AS (
    SELECT
        session_id,
        count(*) AS events_seen,
        count(*) FILTER (WHERE event_type IN ('page_view', 'product_view')) AS views,
        count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
        count(*) FILTER (WHERE event_type = 'remove_from_cart') AS cart_removes,
        coalesce(sum(price) FILTER (WHERE event_type = 'add_to_cart'), 0) AS cart_value,
        coalesce(avg(price) FILTER (WHERE event_type IN ('page_view', 'product_view')), 0)
            AS mean_price_viewed,
        coalesce(max(price), 0) AS max_price_seen,
        coalesce(max(page_depth), 0) AS deepest_page,
        date_diff('second', min(event_time), max(event_time)) AS seconds_browsing
    FROM prefix
    GROUP BY session_id
),

history AS (
    SELECT
        session_id,
        customer_id,
        session_start,
        -- Earlier visits of the same customer: known when this session starts.
        CASE WHEN customer_id IS NULL THEN 0 ELSE count(*) OVER (
            PARTITION BY customer_id ORDER BY session_start, session_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) END AS prior_sessions,
        coalesce(date_diff('second', lag(session_end) OVER (
            PARTITION BY customer_id ORDER BY session_start, session_id
        ), session_start) / 86400.0, 365.0) AS days_since_previous_session
    FROM sessions
    WHERE NOT is_aggregate
),

final AS (
    SELECT
        p.session_id,
        h.customer_id,
        p.events_seen::DOUBLE AS events_seen,
        p.views::DOUBLE AS views,
        p.cart_adds::DOUBLE AS cart_adds,
        p.cart_removes::DOUBLE AS cart_removes,
        p.cart_value,
        p.mean_price_viewed,
        p.max_price_seen,
        coalesce(sp.distinct_products, 0)::DOUBLE AS distinct_products,
        coalesce(sc.distinct_categories, 0)::DOUBLE AS distinct_categories,
        p.deepest_page::DOUBLE AS deepest_page,
        CASE WHEN $has_clock_time THEN p.seconds_browsing ELSE 0 END::DOUBLE AS seconds_browsing,
        CASE WHEN $has_clock_time THEN hour(h.session_start) ELSE 0 END::DOUBLE AS hour_of_day,
        isodow(h.session_start)::DOUBLE AS day_of_week,
        coalesce(h.prior_sessions, 0)::DOUBLE AS prior_sessions,
        coalesce(h.days_since_previous_session, 365.0) AS days_since_previous_session
    FROM per_session AS p
    JOIN eligible USING (session_id)
    LEFT JOIN session_products AS sp USING (session_id)
    LEFT JOIN session_categories AS sc USING (session_id)
    LEFT JOIN history AS h USING (session_id)
)

SELECT * FROM final
ORDER BY session_id
