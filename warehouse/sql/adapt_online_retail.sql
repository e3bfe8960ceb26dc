-- adapt_online_retail: order lines (UCI Online Retail I and II) onto canonical events.
-- An invoice is a session and, unless it is a cancellation, a purchase: product lines
-- become purchase events, lines of cancellation invoices ('C…') become returns, and
-- non-product codes (postage, fees, manual adjustments, vouchers) become 'other' events
-- that carry no product. The text 'nan' (an xlsx-to-parquet artefact) is null.
-- Reads raw_source (invoice, stock_code, description, quantity, invoice_date, unit_price,
-- customer_id, country, line); binds $source_id and $non_product_codes (a list).
WITH source AS (
    SELECT * FROM raw_source
),

cleaned AS (
    SELECT
        line,
        nullif(nullif(trim(invoice::VARCHAR), ''), 'nan') AS invoice,
        nullif(nullif(trim(stock_code::VARCHAR), ''), 'nan') AS stock_code,
        nullif(nullif(trim(description::VARCHAR), ''), 'nan') AS description,
        nullif(trim(quantity::VARCHAR), '') AS quantity_text,
        nullif(trim(invoice_date::VARCHAR), '') AS invoice_date_text,
        nullif(trim(unit_price::VARCHAR), '') AS unit_price_text,
        CASE
            WHEN lower(trim(customer_id::VARCHAR)) IN ('', 'nan', 'none', 'null') THEN NULL
            ELSE regexp_replace(trim(customer_id::VARCHAR), '\.0+$', '')
        END AS customer_id,
        nullif(nullif(trim(country::VARCHAR), ''), 'nan') AS country,
        try_cast(quantity AS DOUBLE) AS quantity,
        try_cast(unit_price AS DOUBLE) AS unit_price,
        coalesce(
            try_cast(invoice_date AS TIMESTAMP),
            try_strptime(trim(invoice_date::VARCHAR), '%m/%d/%Y %H:%M'),
            try_strptime(trim(invoice_date::VARCHAR), '%m/%d/%Y %H:%M:%S'),
            try_strptime(trim(invoice_date::VARCHAR), '%d.%m.%Y %H:%M')
        ) AS invoice_time
    FROM source
),

classified AS (
    SELECT
        *,
        upper(stock_code) IN (SELECT unnest($non_product_codes::VARCHAR[]))
            OR lower(stock_code) LIKE 'gift\_%' ESCAPE '\' AS is_non_product,
        upper(left(invoice, 1)) = 'C' AS is_cancellation,
        upper(left(invoice, 1)) = 'A' AS is_adjustment_invoice
    FROM cleaned
),

checked AS (
    SELECT
        *,
        CASE
            WHEN invoice IS NULL THEN 'invoice'
            WHEN invoice_date_text IS NULL OR invoice_time IS NULL THEN 'invoice_date'
            WHEN quantity IS NULL THEN 'quantity'
            WHEN unit_price IS NULL THEN 'unit_price'
            WHEN stock_code IS NULL THEN 'stock_code'
        END AS reject_column
    FROM classified
),

typed_events AS (
    SELECT
        *,
        CASE
            WHEN is_non_product OR is_adjustment_invoice THEN 'other'
            WHEN is_cancellation THEN 'return'
            WHEN quantity < 0 THEN 'other'
            ELSE 'purchase'
        END AS event_type,
        CASE
            WHEN is_adjustment_invoice THEN 'bad debt adjustment'
            WHEN is_non_product AND is_cancellation THEN 'cancelled ' || lower(coalesce(description, stock_code))
            WHEN is_non_product THEN lower(coalesce(description, stock_code))
            WHEN is_cancellation THEN 'cancellation'
            WHEN quantity < 0 THEN 'stock adjustment'
            ELSE 'invoice line'
        END AS source_event
    FROM checked
),

final AS (
    SELECT
        invoice_time AS event_time,
        invoice AS session_id,
        customer_id,
        event_type,
        source_event,
        CASE WHEN NOT is_non_product THEN stock_code END AS product_id,
        description AS product_name,
        NULL::VARCHAR AS category,
        NULL::VARCHAR AS brand,
        unit_price AS price,
        quantity,
        CASE WHEN event_type = 'purchase' THEN quantity * unit_price END AS revenue,
        country,
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
            WHEN 'invoice' THEN 'missing invoice number'
            WHEN 'invoice_date' THEN
                CASE WHEN invoice_date_text IS NULL THEN 'missing invoice date'
                    ELSE 'unparsable invoice date ''' || invoice_date_text
                        || '''; expected YYYY-MM-DD HH:MM[:SS] or M/D/YYYY H:MM'
                END
            WHEN 'quantity' THEN 'non-numeric quantity ''' || coalesce(quantity_text, '') || ''''
            WHEN 'unit_price' THEN 'non-numeric price ''' || coalesce(unit_price_text, '') || ''''
            WHEN 'stock_code' THEN 'missing stock code'
        END AS reject_reason
    FROM typed_events
)

SELECT * FROM final
