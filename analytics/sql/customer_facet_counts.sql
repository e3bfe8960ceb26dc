-- customer_facet_counts: a cohort's customers counted by one facet ($facet), as (value,
-- label, count), largest first (churn tiers High, Medium, Low); missing values are left out,
-- since a bar of "unknown" cannot be filtered on. Segments are labelled with their name where
-- the scores name them ($named_segments). Binds $facet, $named_segments and $limit; reads
-- cohort_customers.
WITH members AS (
    -- score columns exist only where their model ran; a union by name with no rows adds
    -- them as NULL otherwise, so the query binds on every build
    SELECT * FROM cohort_customers
    UNION ALL BY NAME
    SELECT
        NULL::VARCHAR AS churn_tier,
        NULL::BIGINT AS segment_id,
        NULL::VARCHAR AS segment_name,
        NULL::VARCHAR AS rfm_tier
    WHERE false
),

faceted AS (
    SELECT
        CASE $facet
            WHEN 'country' THEN country
            WHEN 'device' THEN device
            WHEN 'traffic_source' THEN traffic_source
            WHEN 'acquisition_month' THEN strftime(acquisition_month, '%Y-%m')
            WHEN 'churn_tier' THEN churn_tier
            WHEN 'segment' THEN segment_id::VARCHAR
            WHEN 'rfm_tier' THEN rfm_tier
        END::VARCHAR AS value,
        segment_name
    FROM members
),

final AS (
    SELECT
        value,
        CASE
            WHEN $facet = 'segment' AND $named_segments THEN any_value(segment_name)
            ELSE value
        END::VARCHAR AS label,
        count(*) AS count
    FROM faceted
    WHERE value IS NOT NULL
    GROUP BY value
)

SELECT * FROM final
ORDER BY
    CASE WHEN $facet = 'churn_tier'
        THEN CASE value WHEN 'High' THEN 0 WHEN 'Medium' THEN 1 ELSE 2 END
    END,
    count DESC,
    value
LIMIT $limit
