-- action_list: the newest :limit lines of the action log, for :customer_id (NULL: everyone).
SELECT
    id,
    logged_at,
    user_name,
    action,
    customer_id,
    campaign,
    note,
    build_id
FROM action_log
WHERE :customer_id IS NULL OR customer_id = :customer_id
ORDER BY id DESC
LIMIT :limit
