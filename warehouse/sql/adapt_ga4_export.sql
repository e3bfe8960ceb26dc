-- adapt_ga4_export: the GA4 BigQuery export schema onto canonical events.
-- event_timestamp is microseconds since the epoch (UTC); the session is the user's
-- ga_session_id from event_params; product fields come from the first item of the event;
-- revenue is ecommerce.purchase_revenue_in_usd on purchase events. Obfuscation
-- placeholders of the public sample ('<Other>', '(data deleted)', '(not set)') are kept
-- as they are: they are real values of the export, not missing ones.
-- Reads raw_source; binds $source_id.
WITH source AS (
    SELECT * FROM raw_source
),

unpacked AS (
    SELECT
        line,
        try_cast(event_timestamp AS BIGINT) AS event_micros,
        event_timestamp::VARCHAR AS event_timestamp_text,
        lower(trim(event_name)) AS source_event,
        nullif(trim(user_pseudo_id), '') AS customer_id,
        (
            SELECT max(coalesce(p.value.int_value, try_cast(p.value.string_value AS BIGINT)))
            FROM unnest(event_params) AS t (p)
            WHERE p.key = 'ga_session_id'
        ) AS ga_session_id,
        (
            SELECT max(p.value.string_value)
            FROM unnest(event_params) AS t (p)
            WHERE p.key = 'page_location'
        ) AS page_location,
        items[1].item_id AS item_id,
        items[1].item_name AS item_name,
        items[1].item_category AS item_category,
        items[1].item_brand AS item_brand,
        items[1].price_in_usd AS item_price,
        ecommerce.total_item_quantity AS total_item_quantity,
        ecommerce.purchase_revenue_in_usd AS purchase_revenue,
        geo.country AS country,
        device.category AS device,
        traffic_source.medium AS traffic_medium
    FROM source
),

checked AS (
    SELECT
        *,
        CASE
            WHEN event_micros IS NULL THEN 'event_timestamp'
            WHEN source_event IS NULL OR source_event = '' THEN 'event_name'
            WHEN customer_id IS NULL THEN 'user_pseudo_id'
        END AS reject_column
    FROM unpacked
),

final AS (
    SELECT
        make_timestamp(event_micros) AS event_time,
        customer_id || ':' || coalesce(ga_session_id::VARCHAR, 'none') AS session_id,
        customer_id,
        CASE source_event
            WHEN 'page_view' THEN 'page_view'
            WHEN 'view_item' THEN 'product_view'
            WHEN 'add_to_cart' THEN 'add_to_cart'
            WHEN 'remove_from_cart' THEN 'remove_from_cart'
            WHEN 'begin_checkout' THEN 'begin_checkout'
            WHEN 'purchase' THEN 'purchase'
            WHEN 'refund' THEN 'return'
            ELSE 'other'
        END AS event_type,
        source_event,
        nullif(item_id, '') AS product_id,
        nullif(item_name, '') AS product_name,
        nullif(item_category, '') AS category,
        nullif(item_brand, '') AS brand,
        item_price AS price,
        total_item_quantity::DOUBLE AS quantity,
        CASE WHEN source_event = 'purchase' THEN purchase_revenue END AS revenue,
        country,
        device,
        traffic_medium AS traffic_source,
        page_location AS page,
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
            WHEN 'event_timestamp' THEN
                'event_timestamp ''' || coalesce(event_timestamp_text, '')
                || ''' is not microseconds since the epoch'
            WHEN 'event_name' THEN 'missing event_name'
            WHEN 'user_pseudo_id' THEN 'missing user_pseudo_id'
        END AS reject_reason
    FROM checked
)

SELECT * FROM final
