-- hits_distribution: pages per session of a cohort's sessions as (bucket, count), capped at
-- the 99th percentile so one bot does not flatten the chart. Reads cohort_sessions.
WITH visits AS (
    SELECT hits FROM cohort_sessions WHERE hits IS NOT NULL
),

cap AS (
    -- approx_quantile (t-digest) instead of sorting millions of sessions for a cap
    SELECT greatest(approx_quantile(hits, 0.99), 1) AS top FROM visits
),

final AS (
    SELECT
        least(visits.hits, cap.top) AS bucket,
        count(*) AS count
    FROM visits, cap
    GROUP BY 1
)

SELECT * FROM final
ORDER BY bucket
