-- customer_marks: for each customer of :ids (a JSON list) its last 'contacted' time and the
-- campaigns it was added to; one query however long the list.
WITH

wanted AS (
    SELECT value AS customer_id FROM json_each(:ids)
),

marks AS (
    SELECT customer_id, action, campaign, logged_at
    FROM action_log
    WHERE customer_id IN (SELECT customer_id FROM wanted)
        AND action IN ('contacted', 'added_to_campaign')
),

final AS (
    SELECT customer_id, action, campaign, max(logged_at) AS last_logged_at
    FROM marks
    GROUP BY customer_id, action, campaign
)

SELECT * FROM final
ORDER BY customer_id, campaign
