-- campaign_list: every campaign (or the one named :name) with its group sizes.
WITH campaigns_named AS (
    SELECT * FROM campaigns WHERE :name IS NULL OR name = :name
)

SELECT
    c.name,
    c.cohort_query,
    c.goal,
    c.window_days,
    c.holdout_share,
    c.seed,
    c.start_date,
    c.build_id,
    c.created_by,
    c.created_at,
    sum(m.member_group = 'treatment') AS treatment,
    sum(m.member_group = 'control') AS control
FROM campaigns_named AS c
LEFT JOIN campaign_members AS m ON m.campaign_id = c.id
GROUP BY c.id
ORDER BY c.id
