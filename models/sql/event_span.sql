-- event_span: the first and last event time (one row; NULLs when there are no events).
SELECT
    min(event_time) AS first_event,
    max(event_time) AS last_event
FROM events
