-- cohort_session_count: how many sessions a cohort holds. Reads cohort_sessions.
SELECT count(*) AS sessions
FROM cohort_sessions
