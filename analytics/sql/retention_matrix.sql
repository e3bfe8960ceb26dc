-- retention_matrix: share of each acquisition cohort active N months after acquisition, for
-- every customer: the build's own cohort_retention mart.
SELECT
    acquisition_month,
    months_since_acquisition,
    cohort_size,
    active_customers,
    retention_rate
FROM cohort_retention
ORDER BY acquisition_month, months_since_acquisition
