-- customer_page: one page of a cohort's customers in the grid's order. Reads
-- cohort_customers; binds $limit and $offset. {order_by} is a list of quoted column names
-- with ASC/DESC NULLS LAST, ending in customer_id, built by analytics.explore from the
-- columns of the customer table only.
SELECT *
FROM cohort_customers
ORDER BY {order_by}
LIMIT $limit OFFSET $offset
