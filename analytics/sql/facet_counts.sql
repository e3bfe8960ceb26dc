-- facet_counts: a cohort's rows counted by one facet, as (value, label, count), for a
-- clickable bar chart. Missing values are left out, since a bar of "unknown" cannot be
-- filtered on. Fixed choices keep their own order ($facet_order: churn tiers by risk);
-- values with a natural order ($by_value: months) go by value, and when there are more than
-- $limit of them the latest are kept; the rest go largest first.
-- Reads facet_rows (the cohort's customers, or its sessions where the data has no
-- customers), aliased m; the caller fills {value} and {label} with the facet's expression
-- from analytics.cohort_filters. Binds $facet_order, $by_value and $limit.
WITH faceted AS (
    SELECT
        {value}::VARCHAR AS value,
        {label}::VARCHAR AS label
    FROM facet_rows AS m
),

counted AS (
    SELECT
        value,
        any_value(label) AS label,
        count(*) AS count
    FROM faceted
    WHERE value IS NOT NULL
    GROUP BY value
),

final AS (
    SELECT * FROM counted
    ORDER BY
        list_position($facet_order, value) NULLS LAST,
        CASE WHEN $by_value THEN value END DESC NULLS LAST,
        count DESC,
        value
    LIMIT $limit
)

SELECT * FROM final
ORDER BY
    list_position($facet_order, value) NULLS LAST,
    CASE WHEN $by_value THEN value END,
    count DESC,
    value
