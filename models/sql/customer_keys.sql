-- customer_keys: every customer, in id order: the rows customer scores fill.
SELECT customer_id
FROM customers
ORDER BY customer_id
