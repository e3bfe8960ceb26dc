-- derive_sessions: give a session id to events whose source has none, by splitting each
-- customer's events wherever the gap between two events exceeds $gap_minutes.
-- Binds $gap_minutes.
UPDATE event_rows AS target
SET session_id = derived.session_id
FROM (
    WITH unsessioned AS (
        SELECT
            source_id,
            source_line,
            customer_id,
            event_time,
            coalesce(
                event_time - lag(event_time) OVER by_customer > to_minutes($gap_minutes::BIGINT),
                true
            ) AS starts_session
        FROM event_rows
        WHERE session_id IS NULL AND reject_reason IS NULL
        WINDOW by_customer AS (PARTITION BY customer_id ORDER BY event_time, source_id, source_line)
    ),

    numbered AS (
        SELECT
            *,
            sum(starts_session::INTEGER) OVER (
                PARTITION BY customer_id ORDER BY event_time, source_id, source_line
                ROWS UNBOUNDED PRECEDING
            ) AS session_number
        FROM unsessioned
    )

    SELECT
        source_id,
        source_line,
        customer_id || '#' || session_number::VARCHAR AS session_id
    FROM numbered
) AS derived
WHERE target.source_id = derived.source_id AND target.source_line = derived.source_line;
