-- cohort_session_count_daily: cohort_session_count read from the daily roll-up.
-- Reads cohort_daily_sessions.
SELECT coalesce(sum(sessions), 0) AS sessions
FROM cohort_daily_sessions
