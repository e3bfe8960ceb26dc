-- events: the canonical events that loaded (not rejected, not a duplicate), with a DATE key
-- materialised for fast date filters, ordered by date so DuckDB's zone maps skip row groups.
CREATE TABLE events AS
WITH staged AS (
    SELECT * FROM staged_events WHERE reject_reason IS NULL
),

loaded AS (
    SELECT staged.*
    FROM staged
    ANTI JOIN duplicate_rows USING (source_id, source_line)
),

final AS (
    SELECT
        event_time,
        event_time::DATE AS event_date,
        session_id,
        customer_id,
        event_type,
        source_event,
        product_id,
        product_name,
        category,
        brand,
        price,
        quantity,
        revenue,
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
        source_id,
        source_line
    FROM loaded
)

SELECT * FROM final
ORDER BY event_date, session_id, event_time, source_id, source_line;
