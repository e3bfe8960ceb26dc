-- adapt_mapping: any event export onto canonical events, through a user's TOML mapping
-- (warehouse/mapping.py; the keys are documented in docs/mapping.md).
-- Each {canonical_column} placeholder is filled by warehouse.mapping.adapter_sql with the
-- quoted raw_source column that feeds it (a dotted path adds quoted struct fields and list
-- indexes), a key composed of several columns, a $constant_<column> parameter, or NULL when
-- the mapping leaves it out; {event_time_offset} likewise, and {explode_record} /
-- {explode_element} name the columns explode_rows.sql adds (NULL without an explode).
-- raw.py has already renamed the file's own columns to internal names, so the filled
-- placeholders are fixed identifiers. Every value of the mapping travels as a parameter:
--   $source_id         the ledger key of the file
--   $null_values       VARCHAR[]: lower-case texts that mean "no value" ('' always included)
--   $decimal_comma     BOOLEAN: numbers are written 12,50
--   $event_map         MAP(VARCHAR, VARCHAR): lower-case source value → canonical type
--   $mapped_events     VARCHAR: the mapped source values, listed in reject reasons
--   $unknown_as_other  BOOLEAN: an unmapped event value becomes 'other' instead of a reject
--   $time_mode         'format' (strptime $time_formats), 'epoch' (numbers in a unit) or
--                      'auto' (ISO 8601, or 9-10 digit epoch seconds)
--   $time_formats      VARCHAR[]: strptime formats (a harmless default unless 'format')
--   $epoch_micros      DOUBLE: microseconds per epoch unit
--   $timezone          VARCHAR: the zone of times written without an offset
--   $time_expected     VARCHAR: what a timestamp should look like, for reject reasons
--   $has_clock_time    BOOLEAN: false keeps the date and orders by sequence_number
--   $source_columns    MAP(VARCHAR, VARCHAR): check name → the file's own column name
--   $offset_micros     DOUBLE: microseconds per unit of the [time] offset column
--   $money_divisor     DOUBLE: price and revenue are divided by it (GA360 writes micros)
--   $revenue_mapped    BOOLEAN: the mapping has a revenue column (or constant)
--   $revenue_fallback  BOOLEAN: an empty mapped revenue falls back to price × quantity
--   $revenue_required  BOOLEAN: a purchase row with an empty mapped revenue is rejected
--   $explode_column    VARCHAR: the exploded list column, named in reject reasons
--   $constant_<column> VARCHAR: the value of a column the mapping sets to a constant
-- Every row comes out once: reject_reason is NULL for rows that load.
WITH source AS (
    SELECT * FROM raw_source
),

texts AS (
    SELECT
        line,
        {event_time}::VARCHAR AS event_time_text,
        {session_id}::VARCHAR AS session_id,
        {customer_id}::VARCHAR AS customer_id,
        {event_type}::VARCHAR AS event_type_text,
        {product_id}::VARCHAR AS product_id,
        {product_name}::VARCHAR AS product_name,
        {category}::VARCHAR AS category,
        {brand}::VARCHAR AS brand,
        {price}::VARCHAR AS price_text,
        {quantity}::VARCHAR AS quantity_text,
        {revenue}::VARCHAR AS revenue_text,
        {country}::VARCHAR AS country,
        {device}::VARCHAR AS device,
        {traffic_source}::VARCHAR AS traffic_source,
        {page}::VARCHAR AS page,
        {page_depth}::VARCHAR AS page_depth_text,
        {sequence_number}::VARCHAR AS sequence_number_text,
        {colour}::VARCHAR AS colour,
        {photo_location}::VARCHAR AS photo_location,
        {model_photography}::VARCHAR AS model_photography,
        {price_above_category_avg}::VARCHAR AS price_above_category_avg_text,
        {event_time_offset}::VARCHAR AS event_time_offset_text,
        {explode_record} AS explode_record,
        {explode_element} AS explode_element
    FROM source
),

cleaned AS (
    -- Every value as trimmed text, the mapping's null markers as NULL (COLUMNS applies the
    -- same expression to each column and keeps its name); casting comes next, where a
    -- failure can be reported together with the value that caused it.
    SELECT
        line,
        explode_record,
        explode_element,
        if(
            list_contains(
                $null_values, lower(trim(COLUMNS(* EXCLUDE (line, explode_record, explode_element))))
            ),
            NULL,
            trim(COLUMNS(* EXCLUDE (line, explode_record, explode_element)))
        )
    FROM texts
),

numbers AS (
    SELECT
        *,
        try_cast(if($decimal_comma, replace(price_text, ',', '.'), price_text) AS DOUBLE)
            / $money_divisor AS price_number,
        try_cast(if($decimal_comma, replace(quantity_text, ',', '.'), quantity_text) AS DOUBLE) AS quantity_number,
        try_cast(if($decimal_comma, replace(revenue_text, ',', '.'), revenue_text) AS DOUBLE)
            / $money_divisor AS revenue_number,
        try_cast(event_time_offset_text AS DOUBLE) * $offset_micros AS offset_micros,
        -- The integer digits of a numeric time: 13 of them look like epoch milliseconds.
        CASE WHEN regexp_full_match(event_time_text, '-?[0-9]+(\.[0-9]+)?')
            THEN length(regexp_extract(event_time_text, '[0-9]+'))
        END AS time_digits,
        try_cast(page_depth_text AS DOUBLE) AS page_depth_number,
        try_cast(sequence_number_text AS DOUBLE) AS sequence_number_number,
        try_cast(price_above_category_avg_text AS BOOLEAN) AS price_above_category_avg,
        event_type_text AS source_event,
        coalesce(
            $event_map[lower(event_type_text)],
            CASE WHEN $unknown_as_other AND event_type_text IS NOT NULL THEN 'other' END
        ) AS event_type,
        -- Epochs are instants: they skip the time-zone step below.
        CASE
            WHEN $time_mode = 'epoch'
                AND regexp_full_match(event_time_text, '-?[0-9]+(\.[0-9]+)?')
                THEN try_cast(event_time_text AS DOUBLE) * $epoch_micros
            WHEN $time_mode = 'auto'
                AND regexp_full_match(event_time_text, '[0-9]{9,10}(\.[0-9]+)?')
                THEN try_cast(event_time_text AS DOUBLE) * $epoch_micros
        END AS epoch_micros,
        -- Formatted times are re-read as ISO text, so one path below handles an offset
        -- (%z) or its absence the same way for every mode.
        CASE $time_mode
            WHEN 'format' THEN try_strptime(event_time_text, $time_formats)::VARCHAR
            WHEN 'auto' THEN event_time_text
        END AS iso_time_text
    FROM cleaned
),

timed AS (
    SELECT
        *,
        -- A cast to TIMESTAMP silently drops an offset ('10:00+02' becomes 10:00), so text
        -- that carries one is read as TIMESTAMPTZ; naive text is in the mapping's zone.
        CASE
            WHEN epoch_micros IS NOT NULL THEN
                CASE WHEN epoch_micros >= 0 AND epoch_micros < 253402300800000000
                    THEN make_timestamp(round(epoch_micros)::BIGINT)
                END
            WHEN regexp_matches(
                iso_time_text,
                '[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?|[A-Za-z_]+(/[A-Za-z_]+)*)$'
            ) THEN timezone('UTC', try_cast(iso_time_text AS TIMESTAMPTZ))
            WHEN $timezone = 'UTC' THEN try_cast(iso_time_text AS TIMESTAMP)
            ELSE timezone('UTC', timezone($timezone, try_cast(iso_time_text AS TIMESTAMP)))
        END AS utc_time,
        -- The date as written, for sources without clock time: a zone shift would move a
        -- bare date to the day before.
        CASE
            WHEN epoch_micros IS NOT NULL THEN
                CASE WHEN epoch_micros >= 0 AND epoch_micros < 253402300800000000
                    THEN make_timestamp(round(epoch_micros)::BIGINT)::DATE
                END
            ELSE try_cast(iso_time_text AS TIMESTAMP)::DATE
        END AS written_date,
        CASE WHEN page_depth_number = trunc(page_depth_number)
            THEN try_cast(page_depth_number AS INTEGER)
        END AS page_depth,
        CASE WHEN sequence_number_number = trunc(sequence_number_number)
            THEN try_cast(sequence_number_number AS INTEGER)
        END AS sequence_number
    FROM numbers
),

shifted AS (
    -- The [time] offset (GA360: milliseconds since the visit started) moves each event
    -- from the base time; a missing offset leaves it where it is.
    SELECT
        * REPLACE (
            CASE WHEN coalesce(isfinite(offset_micros), false)
                AND abs(offset_micros) < 3.2e17
                THEN utc_time + to_microseconds(round(offset_micros)::BIGINT)
                WHEN event_time_offset_text IS NULL THEN utc_time
            END AS utc_time
        )
    FROM timed
),

checked AS (
    SELECT
        *,
        CASE
            WHEN explode_record IS NOT NULL AND explode_element IS NULL THEN 'explode'
            WHEN event_time_offset_text IS NOT NULL AND utc_time IS NULL THEN 'time_offset'
            WHEN event_time_text IS NULL OR utc_time IS NULL THEN 'event_time'
            WHEN event_type IS NULL THEN 'event_type'
            WHEN price_text IS NOT NULL AND NOT coalesce(isfinite(price_number), false)
                THEN 'price'
            WHEN price_number < 0 THEN 'price'
            WHEN quantity_text IS NOT NULL AND NOT coalesce(isfinite(quantity_number), false)
                THEN 'quantity'
            WHEN revenue_text IS NOT NULL AND NOT coalesce(isfinite(revenue_number), false)
                THEN 'revenue'
            WHEN page_depth_text IS NOT NULL AND page_depth IS NULL THEN 'page_depth'
            WHEN sequence_number_text IS NOT NULL AND sequence_number IS NULL
                THEN 'sequence_number'
            -- Without clock time the sequence is added to the date as seconds: a value
            -- outside one day would silently move the event to another date.
            WHEN NOT $has_clock_time AND (sequence_number < 0 OR sequence_number >= 86400)
                THEN 'sequence_day'
            WHEN $revenue_required AND event_type = 'purchase' AND revenue_text IS NULL
                THEN 'revenue'
            WHEN price_above_category_avg_text IS NOT NULL AND price_above_category_avg IS NULL
                THEN 'price_above_category_avg'
            WHEN session_id IS NULL AND customer_id IS NULL THEN 'identity'
        END AS reject_check
    FROM shifted
),

final AS (
    SELECT
        CASE WHEN $has_clock_time THEN utc_time
            ELSE written_date::TIMESTAMP + to_seconds(coalesce(sequence_number, 0))
        END AS event_time,
        session_id,
        customer_id,
        event_type,
        source_event,
        product_id,
        product_name,
        category,
        brand,
        price_number AS price,
        -- A purchase row without a quantity is one unit, as in the built-in event log.
        CASE WHEN event_type = 'purchase' THEN coalesce(quantity_number, 1.0)
            ELSE quantity_number
        END AS quantity,
        -- A mapped revenue is the revenue: empty stays empty unless the mapping asks for the
        -- price × quantity fallback; without a revenue column, price × quantity it is.
        CASE WHEN event_type = 'purchase' THEN
            CASE
                WHEN NOT $revenue_mapped THEN price_number * coalesce(quantity_number, 1.0)
                WHEN revenue_number IS NOT NULL THEN revenue_number
                WHEN $revenue_fallback THEN price_number * coalesce(quantity_number, 1.0)
            END
        END AS revenue,
        country,
        device,
        traffic_source,
        page,
        page_depth,
        sequence_number,
        colour,
        photo_location,
        model_photography,
        price_above_category_avg,
        $source_id AS source_id,
        line AS source_line,
        $source_columns[CASE reject_check WHEN 'sequence_day' THEN 'sequence_number'
            ELSE reject_check END] AS reject_column,
        CASE reject_check
            WHEN 'explode' THEN 'record ' || explode_record::VARCHAR || ' has no elements in '''
                || $explode_column || ''' to load'
            WHEN 'time_offset' THEN 'non-numeric time offset ''' || event_time_offset_text || ''''
            WHEN 'event_time' THEN
                CASE WHEN event_time_text IS NULL THEN 'missing event time'
                    ELSE 'unparsable timestamp ''' || event_time_text || '''; expected '
                        || $time_expected
                        -- Epoch milliseconds read as seconds would land thousands of years
                        -- away: say which unit a long number looks like.
                        || CASE WHEN time_digits BETWEEN 11 AND 19 AND $time_mode <> 'format'
                            AND $epoch_micros = 1000000
                            THEN '; its ' || time_digits::VARCHAR || ' digits look like epoch '
                                || CASE
                                    WHEN time_digits <= 13
                                        THEN 'milliseconds: set [time] unit = "ms"'
                                    WHEN time_digits <= 16
                                        THEN 'microseconds: set [time] unit = "us"'
                                    ELSE 'nanoseconds: set [time] unit = "ns"'
                                END
                            ELSE ''
                        END
                END
            WHEN 'event_type' THEN
                CASE WHEN event_type_text IS NULL THEN 'missing event type'
                    ELSE 'unknown event type ''' || event_type_text
                        || '''; the mapping maps ' || $mapped_events
                END
            WHEN 'price' THEN
                CASE WHEN price_number < 0 THEN 'negative price ' || price_text
                    ELSE 'non-numeric price ''' || price_text || ''''
                END
            WHEN 'quantity' THEN 'non-numeric quantity ''' || quantity_text || ''''
            WHEN 'revenue' THEN
                CASE WHEN revenue_text IS NULL
                    THEN 'missing revenue on a purchase row (empty_revenue = "reject")'
                    ELSE 'non-numeric revenue ''' || revenue_text || ''''
                END
            WHEN 'page_depth' THEN 'page depth ''' || page_depth_text || ''' is not a whole number'
            WHEN 'sequence_number' THEN
                'sequence number ''' || sequence_number_text || ''' is not a whole number'
            WHEN 'sequence_day' THEN
                'sequence number ' || sequence_number::VARCHAR || ' is outside one day (0 to '
                || '86399 seconds); without clock time it would move the event to another date'
            WHEN 'price_above_category_avg' THEN
                'price_above_category_avg ''' || price_above_category_avg_text
                || ''' is not true or false'
            WHEN 'identity' THEN 'neither a session id nor a customer id to group the event by'
        END AS reject_reason
    FROM checked
)

SELECT * FROM final
