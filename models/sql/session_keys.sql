-- session_keys: every session with its customer, in id order: the rows session scores fill.
SELECT
    session_id,
    customer_id
FROM sessions
ORDER BY session_id
