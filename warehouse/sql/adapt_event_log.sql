-- adapt_event_log: REES46 / OTTO-style event rows onto canonical events.
-- Reads raw_source (event_time, event_type, product_id, category_id, category_code, brand,
-- price, user_id, user_session, line); binds $source_id.
-- Every row comes out once: reject_reason is NULL for rows that load.
WITH source AS (
    SELECT * FROM raw_source
),

typed AS (
    SELECT
        line,
        event_time::VARCHAR AS event_time_text,
        coalesce(
            try_strptime(trim(event_time::VARCHAR), '%Y-%m-%d %H:%M:%S UTC'),
            try_cast(event_time AS TIMESTAMP)
        ) AS event_time,
        lower(trim(event_type::VARCHAR)) AS source_event,
        nullif(trim(product_id::VARCHAR), '') AS product_id,
        nullif(trim(category_code::VARCHAR), '') AS category_code,
        nullif(trim(category_id::VARCHAR), '') AS category_id,
        nullif(trim(brand::VARCHAR), '') AS brand,
        nullif(trim(price::VARCHAR), '') AS price_text,
        try_cast(price AS DOUBLE) AS price,
        nullif(trim(user_id::VARCHAR), '') AS customer_id,
        nullif(trim(user_session::VARCHAR), '') AS session_id
    FROM source
),

checked AS (
    SELECT
        *,
        CASE
            WHEN event_time_text IS NULL OR trim(event_time_text) = '' THEN 'event_time'
            WHEN event_time IS NULL THEN 'event_time'
            WHEN source_event IS NULL
                OR source_event NOT IN ('view', 'cart', 'remove_from_cart', 'purchase')
                THEN 'event_type'
            WHEN price_text IS NOT NULL AND price IS NULL THEN 'price'
            WHEN price < 0 THEN 'price'
            WHEN session_id IS NULL AND customer_id IS NULL THEN 'user_session'
        END AS reject_column
    FROM typed
),

final AS (
    SELECT
        event_time,
        session_id,
        customer_id,
        CASE source_event
            WHEN 'view' THEN 'product_view'
            WHEN 'cart' THEN 'add_to_cart'
            WHEN 'remove_from_cart' THEN 'remove_from_cart'
            WHEN 'purchase' THEN 'purchase'
        END AS event_type,
        source_event,
        product_id,
        NULL::VARCHAR AS product_name,
        coalesce(category_code, category_id) AS category,
        brand,
        price,
        CASE WHEN source_event = 'purchase' THEN 1.0 END AS quantity,
        CASE WHEN source_event = 'purchase' THEN price END AS revenue,
        NULL::VARCHAR AS country,
        NULL::VARCHAR AS device,
        NULL::VARCHAR AS traffic_source,
        NULL::VARCHAR AS page,
        NULL::INTEGER AS page_depth,
        NULL::INTEGER AS sequence_number,
        NULL::VARCHAR AS colour,
        NULL::VARCHAR AS photo_location,
        NULL::VARCHAR AS model_photography,
        NULL::BOOLEAN AS price_above_category_avg,
        $source_id AS source_id,
        line AS source_line,
        reject_column,
        CASE reject_column
            WHEN 'event_time' THEN
                CASE WHEN event_time_text IS NULL OR trim(event_time_text) = ''
                    THEN 'missing event time'
                    ELSE 'unparsable timestamp ''' || event_time_text
                        || '''; expected YYYY-MM-DD HH:MM:SS UTC'
                END
            WHEN 'event_type' THEN
                'unknown event type ''' || coalesce(source_event, '')
                || '''; expected view, cart, remove_from_cart or purchase'
            WHEN 'price' THEN
                CASE WHEN price IS NULL THEN 'non-numeric price ''' || price_text || ''''
                    ELSE 'negative price ' || price_text
                END
            WHEN 'user_session' THEN 'neither a session id nor a user id to group the event by'
        END AS reject_reason
    FROM checked
)

SELECT * FROM final
