-- session_facet_counts: a cohort's sessions counted by one facet ($facet: country, device or
-- traffic_source), as (value, label, count), largest first; for data without customers.
-- Binds $facet and $limit; reads cohort_sessions.
WITH faceted AS (
    SELECT
        CASE $facet
            WHEN 'country' THEN country
            WHEN 'device' THEN device
            WHEN 'traffic_source' THEN traffic_source
        END::VARCHAR AS value
    FROM cohort_sessions
),

final AS (
    SELECT
        value,
        value AS label,
        count(*) AS count
    FROM faceted
    WHERE value IS NOT NULL
    GROUP BY value
)

SELECT * FROM final
ORDER BY count DESC, value
LIMIT $limit
