-- upload_session_scores: the session scores of an uploaded file's scratch warehouse, in id
-- order: the scored CSV handed back when the file had no customers.
SELECT *
FROM session_scores
ORDER BY session_id
