-- date_order_evidence: whether a day/month-ambiguous time format (%d/%m/%Y against
-- %m/%d/%Y) fits one file's data better than its swap. Counts the values only one reading
-- can parse (a day above 12 settles it), the sessions whose events span several days under
-- each reading (a visit rarely does), and the dates that lie in the future.
-- Reads raw_rows (the file as read), which the build provides. {event_time} and
-- {session_id} are the mapping's reads of those columns (quoted identifiers, or NULL).
-- Binds $formats and $swapped (strptime format lists).
WITH texts AS (
    SELECT
        trim(({event_time})::VARCHAR) AS time_text,
        trim(({session_id})::VARCHAR) AS session_id
    FROM raw_rows
),

parsed AS (
    SELECT
        session_id,
        try_strptime(time_text, $formats) AS chosen,
        try_strptime(time_text, $swapped) AS swapped
    FROM texts
    WHERE time_text IS NOT NULL AND time_text <> ''
),

sessions AS (
    SELECT
        count(DISTINCT chosen::DATE) AS chosen_days,
        count(DISTINCT swapped::DATE) AS swapped_days
    FROM parsed
    WHERE session_id IS NOT NULL AND session_id <> ''
    GROUP BY session_id
),

final AS (
    SELECT
        (SELECT count(*) FROM parsed WHERE chosen IS NOT NULL) AS parsed,
        (SELECT count(*) FROM parsed WHERE chosen IS NOT NULL AND swapped IS NULL)
            AS only_chosen,
        (SELECT count(*) FROM parsed WHERE swapped IS NOT NULL AND chosen IS NULL)
            AS only_swapped,
        (SELECT count(*) FROM parsed WHERE chosen > now()::TIMESTAMP) AS future,
        (SELECT count(*) FROM sessions WHERE chosen_days > 1) AS chosen_multi_day,
        (SELECT count(*) FROM sessions WHERE swapped_days > 1) AS swapped_multi_day
)

SELECT * FROM final
