-- upload_customer_scores: the customer scores of an uploaded file's scratch warehouse, in id
-- order: the scored CSV handed back (empty when the file had no customers).
SELECT *
FROM customer_scores
ORDER BY customer_id
