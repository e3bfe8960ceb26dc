-- How many rows an export holds and how many of them are in the hold-out group, in one scan.
-- {export_rows}: export_rows*.sql as compiled; {holdout_test}: holdout, or false when the
-- export has no hold-out column.
WITH

export_rows AS (
    {export_rows}
),

final AS (
    SELECT
        count(*) AS export_rows,
        count(*) FILTER (WHERE {holdout_test}) AS holdout_rows
    FROM export_rows
)

SELECT * FROM final
