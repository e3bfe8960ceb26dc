-- log_action: one line of the action log (run once per customer of a bulk action).
INSERT INTO action_log (logged_at, user_name, action, customer_id, campaign, note, build_id)
VALUES (:now, :user_name, :action, :customer_id, :campaign, :note, :build_id)
