-- adapt_uci_clickstream: UCI 553 "e-shop clothing 2008" clicks (and its renamed train/test
-- split) onto canonical events. Browse-only: every click is a product view; no customers,
-- no purchases. The source has dates but no clock time, so event_time is the date plus the
-- click's order within the session in seconds (has_clock_time = false in the ledger).
-- Reads raw_source and the temp table codebook(variable, code, label); binds $source_id.
WITH source AS (
    SELECT * FROM raw_source
),

typed AS (
    SELECT
        line,
        try_cast(year AS INTEGER) AS year_number,
        try_cast(month AS INTEGER) AS month_number,
        try_cast(day AS INTEGER) AS day_number,
        try_cast(sequence AS INTEGER) AS sequence_number,
        nullif(trim(session_id::VARCHAR), '') AS session_id,
        try_cast(country_code AS INTEGER) AS country_code,
        try_cast(main_category AS INTEGER) AS main_category_code,
        nullif(trim(clothing_model::VARCHAR), '') AS product_id,
        try_cast(colour_code AS INTEGER) AS colour_code,
        try_cast(location_code AS INTEGER) AS location_code,
        try_cast(photo_code AS INTEGER) AS photo_code,
        nullif(trim(price::VARCHAR), '') AS price_text,
        try_cast(price AS DOUBLE) AS price,
        try_cast(price_level AS INTEGER) AS price_level,
        try_cast(page AS INTEGER) AS page_depth,
        year::VARCHAR || '-' || month::VARCHAR || '-' || day::VARCHAR AS date_text,
        try_cast(
            try_cast(year AS INTEGER)::VARCHAR || '-'
            || lpad(try_cast(month AS INTEGER)::VARCHAR, 2, '0') || '-'
            || lpad(try_cast(day AS INTEGER)::VARCHAR, 2, '0') AS DATE
        ) AS event_day
    FROM source
),

decoded AS (
    SELECT
        typed.*,
        country.label AS country,
        category.label AS category,
        colour.label AS colour,
        location.label AS photo_location,
        photo.label AS model_photography
    FROM typed
    LEFT JOIN codebook AS country
        ON country.variable = 'country' AND country.code = typed.country_code
    LEFT JOIN codebook AS category
        ON category.variable = 'main_category' AND category.code = typed.main_category_code
    LEFT JOIN codebook AS colour
        ON colour.variable = 'colour' AND colour.code = typed.colour_code
    LEFT JOIN codebook AS location
        ON location.variable = 'location' AND location.code = typed.location_code
    LEFT JOIN codebook AS photo
        ON photo.variable = 'model_photography' AND photo.code = typed.photo_code
),

checked AS (
    SELECT
        *,
        CASE
            WHEN event_day IS NULL THEN 'day'
            WHEN sequence_number IS NULL OR sequence_number < 1 THEN 'order'
            WHEN session_id IS NULL THEN 'session ID'
            WHEN product_id IS NULL THEN 'page 2 (clothing model)'
            WHEN price IS NULL THEN 'price'
            WHEN country IS NULL THEN 'country'
            WHEN category IS NULL THEN 'page 1 (main category)'
        END AS reject_column
    FROM decoded
),

final AS (
    SELECT
        event_day::TIMESTAMP + to_seconds(sequence_number) AS event_time,
        session_id,
        NULL::VARCHAR AS customer_id,
        'product_view' AS event_type,
        'click' AS source_event,
        product_id,
        NULL::VARCHAR AS product_name,
        category,
        NULL::VARCHAR AS brand,
        price,
        NULL::DOUBLE AS quantity,
        NULL::DOUBLE AS revenue,
        country,
        NULL::VARCHAR AS device,
        NULL::VARCHAR AS traffic_source,
        'page ' || page_depth::VARCHAR AS page,
        page_depth,
        sequence_number,
        colour,
        photo_location,
        model_photography,
        price_level = 1 AS price_above_category_avg,
        $source_id AS source_id,
        line AS source_line,
        reject_column,
        CASE reject_column
            WHEN 'day' THEN 'not a valid date ''' || coalesce(date_text, '') || ''''
            WHEN 'order' THEN 'click order is not a positive whole number'
            WHEN 'session ID' THEN 'missing session id'
            WHEN 'page 2 (clothing model)' THEN 'missing product code'
            WHEN 'price' THEN 'non-numeric price ''' || coalesce(price_text, '') || ''''
            WHEN 'country' THEN 'country code not in the codebook (1-47)'
            WHEN 'page 1 (main category)' THEN 'main category code not in the codebook (1-4)'
        END AS reject_reason
    FROM checked
)

SELECT * FROM final
