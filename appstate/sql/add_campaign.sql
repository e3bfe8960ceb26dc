-- add_campaign: a new campaign's definition (its members follow in add_campaign_member).
INSERT INTO campaigns (
    name, cohort_query, goal, window_days, holdout_share, seed, start_date, build_id,
    created_by, created_at
)
VALUES (
    :name, :cohort_query, :goal, :window_days, :holdout_share, :seed, :start_date, :build_id,
    :created_by, :now
)
