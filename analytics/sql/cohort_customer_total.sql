-- cohort_customer_total: how many customers a cohort holds. Reads cohort_customers.
SELECT count(*) AS customers
FROM cohort_customers
