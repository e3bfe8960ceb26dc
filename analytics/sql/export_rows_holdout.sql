-- One export's rows, unordered, with the boolean hold-out column.
-- holdout = the first 32 bits of md5('<seed>:<id>') read as a fraction of 2**32, below the
-- share: a seeded hash, reproducible by any tool with MD5 (analytics.export.holdout_flag is
-- the Python reference). {cohort_rows}: the compiled cohort SELECT; {id_column}: the quoted
-- id column (customer_id or session_id); $holdout_seed, $holdout_share: bound values.
WITH

cohort_rows AS (
    {cohort_rows}
),

final AS (
    SELECT
        cohort_rows.*,
        coalesce(
            (
                ('0x' || substr(
                    md5(CAST($holdout_seed AS VARCHAR) || ':' || CAST(cohort_rows.{id_column} AS VARCHAR)),
                    1,
                    8
                ))::UBIGINT / 4294967296.0
            ) < $holdout_share,
            FALSE
        ) AS holdout
    FROM cohort_rows
)

SELECT * FROM final
