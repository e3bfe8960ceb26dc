-- duplicate_rows: rows that repeat an earlier row on every canonical column (within one file,
-- or across overlapping files such as Online Retail I and II). The first occurrence, in
-- input order, loads; the others are rejected and point at it.
-- {dedup_key} is filled from warehouse.schema.DEDUP_KEY (quoted identifiers, no values).
CREATE OR REPLACE TEMP TABLE duplicate_rows AS
WITH staged AS (
    SELECT
        staged_events.*,
        source_order.file_order,
        hash({dedup_key}) AS row_hash
    FROM staged_events
    JOIN source_order USING (source_id)
    WHERE staged_events.reject_reason IS NULL
),

repeated_hashes AS (
    SELECT row_hash
    FROM staged
    GROUP BY row_hash
    HAVING count(*) > 1
),

ranked AS (
    SELECT
        staged.source_id,
        staged.source_line,
        row_number() OVER same_row AS occurrence,
        first_value(staged.source_id) OVER same_row AS first_source_id,
        first_value(staged.source_line) OVER same_row AS first_line
    FROM staged
    SEMI JOIN repeated_hashes USING (row_hash)
    WINDOW same_row AS (
        PARTITION BY {dedup_key}
        ORDER BY staged.file_order, staged.source_line
    )
),

final AS (
    SELECT source_id, source_line, first_source_id, first_line
    FROM ranked
    WHERE occurrence > 1
)

SELECT * FROM final;
