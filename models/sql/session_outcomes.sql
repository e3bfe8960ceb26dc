-- session_outcomes: what each event-log session did (converted, revenue): the labels joined
-- to the pre-signal session features.
SELECT
    session_id,
    converted,
    revenue
FROM sessions
WHERE NOT is_aggregate
