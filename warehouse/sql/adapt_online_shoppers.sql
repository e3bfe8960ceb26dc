-- adapt_online_shoppers: UCI 468, one row per session with a real Revenue label. The rows
-- go straight to the sessions mart (no events), keeping all 18 columns. The file has no
-- session id, so the session id is the source id and the line number.
-- Reads raw_source; binds $source_id.
WITH source AS (
    SELECT * FROM raw_source
),

typed AS (
    SELECT
        line,
        try_cast(Administrative AS DOUBLE)::INTEGER AS administrative,
        try_cast(Administrative_Duration AS DOUBLE) AS administrative_duration,
        try_cast(Informational AS DOUBLE)::INTEGER AS informational,
        try_cast(Informational_Duration AS DOUBLE) AS informational_duration,
        try_cast(ProductRelated AS DOUBLE)::INTEGER AS product_related,
        try_cast(ProductRelated_Duration AS DOUBLE) AS product_related_duration,
        try_cast(BounceRates AS DOUBLE) AS bounce_rates,
        try_cast(ExitRates AS DOUBLE) AS exit_rates,
        try_cast(PageValues AS DOUBLE) AS page_values,
        try_cast(SpecialDay AS DOUBLE) AS special_day,
        nullif(trim(Month::VARCHAR), '') AS month,
        try_cast(OperatingSystems AS INTEGER) AS operating_systems,
        try_cast(Browser AS INTEGER) AS browser,
        try_cast(Region AS INTEGER) AS region,
        try_cast(TrafficType AS INTEGER) AS traffic_type,
        nullif(trim(VisitorType::VARCHAR), '') AS visitor_type,
        try_cast(Weekend AS BOOLEAN) AS weekend,
        try_cast(Revenue AS BOOLEAN) AS revenue_label,
        Administrative::VARCHAR AS administrative_text,
        Revenue::VARCHAR AS revenue_text,
        Weekend::VARCHAR AS weekend_text
    FROM source
),

checked AS (
    SELECT
        *,
        CASE
            WHEN administrative IS NULL THEN 'Administrative'
            WHEN administrative_duration IS NULL THEN 'Administrative_Duration'
            WHEN informational IS NULL THEN 'Informational'
            WHEN informational_duration IS NULL THEN 'Informational_Duration'
            WHEN product_related IS NULL THEN 'ProductRelated'
            WHEN product_related_duration IS NULL THEN 'ProductRelated_Duration'
            WHEN bounce_rates IS NULL THEN 'BounceRates'
            WHEN exit_rates IS NULL THEN 'ExitRates'
            WHEN page_values IS NULL THEN 'PageValues'
            WHEN special_day IS NULL THEN 'SpecialDay'
            WHEN operating_systems IS NULL THEN 'OperatingSystems'
            WHEN browser IS NULL THEN 'Browser'
            WHEN region IS NULL THEN 'Region'
            WHEN traffic_type IS NULL THEN 'TrafficType'
            WHEN weekend IS NULL THEN 'Weekend'
            WHEN revenue_label IS NULL THEN 'Revenue'
        END AS reject_column
    FROM typed
),

final AS (
    SELECT
        $source_id || ':' || line::VARCHAR AS session_id,
        administrative,
        administrative_duration,
        informational,
        informational_duration,
        product_related,
        product_related_duration,
        bounce_rates,
        exit_rates,
        page_values,
        special_day,
        month,
        operating_systems,
        browser,
        region,
        traffic_type,
        visitor_type,
        weekend,
        revenue_label,
        $source_id AS source_id,
        line AS source_line,
        reject_column,
        CASE
            WHEN reject_column IN ('Weekend', 'Revenue') THEN 'not TRUE or FALSE'
            WHEN reject_column IS NOT NULL THEN 'not a number'
        END AS reject_reason
    FROM checked
)

SELECT * FROM final
