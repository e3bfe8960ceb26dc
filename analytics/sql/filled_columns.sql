-- filled_columns: for every column of the customer table (customers with their scores), how
-- many customers hold a value in it, as one row named like the columns. A column no
-- customer fills (no country in the demo) is hidden from grids rather than shown empty.
-- Reads customer_rows.
WITH final AS (
    SELECT count(COLUMNS(*)) FROM customer_rows
)

SELECT * FROM final
