-- sessions: one row per session. Event-log sessions are aggregated from events; session
-- tables (Online Shoppers) arrive pre-aggregated and keep all their own columns.
-- Flags a source cannot support are NULL, not false: cart_abandoned needs carts, bounced
-- needs page views, duration needs clock time.
WITH events AS (
    SELECT * FROM events
),

ledger AS (
    SELECT source_id, has_clock_time FROM ingest_ledger
),

source_flags AS (
    SELECT
        source_id,
        bool_or(event_type IN ('page_view', 'product_view')) AS has_page_views,
        bool_or(event_type = 'add_to_cart') AS has_carts,
        bool_or(event_type IN ('purchase', 'return')) AS has_orders
    FROM events
    GROUP BY source_id
),

session_events AS (
    SELECT
        session_id,
        min(customer_id) AS customer_id,
        min(event_time) AS session_start,
        max(event_time) AS session_end,
        count(*) AS events,
        count(*) FILTER (WHERE event_type IN ('page_view', 'product_view')) AS page_views,
        count(*) FILTER (WHERE event_type = 'product_view') AS product_views,
        count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
        count(*) FILTER (WHERE event_type = 'remove_from_cart') AS cart_removes,
        count(*) FILTER (WHERE event_type = 'begin_checkout') AS checkouts,
        count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
        coalesce(sum(quantity) FILTER (WHERE event_type = 'purchase'), 0) AS items_purchased,
        coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue,
        count(*) FILTER (WHERE event_type = 'return') AS returns,
        coalesce(sum(abs(quantity * price)) FILTER (WHERE event_type = 'return'), 0)
            AS returned_value,
        max(page_depth) AS deepest_page,
        arg_min(country, event_time) FILTER (WHERE country IS NOT NULL) AS country,
        arg_min(device, event_time) FILTER (WHERE device IS NOT NULL) AS device,
        arg_min(traffic_source, event_time) FILTER (WHERE traffic_source IS NOT NULL)
            AS traffic_source,
        arg_min(page, event_time) FILTER (WHERE page IS NOT NULL) AS landing_page,
        min(source_id) AS source_id
    FROM events
    GROUP BY session_id
),

-- count(DISTINCT …) per session dominates the mart's cost; two group-bys are cheaper.
session_products AS (
    SELECT session_id, count(*) AS distinct_products
    FROM (
        SELECT session_id, product_id FROM events
        WHERE product_id IS NOT NULL
        GROUP BY session_id, product_id
    )
    GROUP BY session_id
),

session_categories AS (
    SELECT session_id, count(*) AS distinct_categories
    FROM (
        SELECT session_id, category FROM events
        WHERE category IS NOT NULL
        GROUP BY session_id, category
    )
    GROUP BY session_id
),

event_sessions AS (
    SELECT
        s.session_id,
        s.customer_id,
        s.session_start,
        s.session_end,
        s.session_start::DATE AS session_date,
        CASE WHEN ledger.has_clock_time
            THEN date_diff('second', s.session_start, s.session_end)
        END AS duration_seconds,
        s.events,
        s.page_views AS hits,
        s.product_views,
        coalesce(p.distinct_products, 0) AS distinct_products,
        coalesce(c.distinct_categories, 0) AS distinct_categories,
        s.cart_adds,
        s.cart_removes,
        s.checkouts,
        CASE WHEN flags.has_orders THEN s.purchases END AS purchases,
        CASE WHEN flags.has_orders THEN s.items_purchased END AS items_purchased,
        CASE WHEN flags.has_orders THEN s.revenue END AS revenue,
        CASE WHEN flags.has_orders THEN s.returns END AS returns,
        CASE WHEN flags.has_orders THEN s.returned_value END AS returned_value,
        CASE WHEN flags.has_orders THEN s.purchases > 0 END AS converted,
        CASE WHEN flags.has_carts AND flags.has_orders THEN s.cart_adds > 0 AND s.purchases = 0 END
            AS cart_abandoned,
        CASE WHEN flags.has_page_views THEN s.events = 1 END AS bounced,
        s.deepest_page,
        s.country,
        s.device,
        s.traffic_source,
        s.landing_page,
        false AS is_aggregate,
        s.source_id
    FROM session_events AS s
    JOIN ledger USING (source_id)
    JOIN source_flags AS flags USING (source_id)
    LEFT JOIN session_products AS p USING (session_id)
    LEFT JOIN session_categories AS c USING (session_id)
),

aggregate_sessions AS (
    SELECT
        session_id,
        NULL::VARCHAR AS customer_id,
        administrative + informational + product_related AS hits,
        administrative + informational + product_related AS events,
        product_related AS product_views,
        round(administrative_duration + informational_duration + product_related_duration)::BIGINT
            AS duration_seconds,
        CASE WHEN revenue_label THEN 1 ELSE 0 END AS purchases,
        revenue_label AS converted,
        administrative + informational + product_related <= 1 AS bounced,
        true AS is_aggregate,
        * EXCLUDE (session_id, source_line, reject_column, reject_reason)
    FROM staged_session_aggregates
    WHERE reject_reason IS NULL
),

final AS (
    SELECT * FROM event_sessions
    UNION ALL BY NAME
    SELECT * FROM aggregate_sessions
)

SELECT * FROM final
ORDER BY session_date, session_id
