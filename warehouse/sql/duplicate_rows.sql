-- duplicate_rows: rows that repeat an earlier row on every canonical column (within one file,
-- or across overlapping files such as Online Retail I and II). The first occurrence, in
-- input order, loads; the others are rejected and point at it.
-- Hashing every column of 10M rows costs three times hashing a few, so a short hash of the
-- columns that almost identify an event finds candidate groups (repeated_hashes, built by
-- the build before this query and usually empty), and the full key decides.
-- {dedup_key} and {hash_key} are filled from warehouse.schema (quoted identifiers only).
WITH candidates AS (
    SELECT event_rows.*
    FROM event_rows
    WHERE event_rows.reject_reason IS NULL
        AND hash({hash_key}) IN (SELECT row_hash FROM repeated_hashes)
),

ranked AS (
    SELECT
        candidates.source_id,
        candidates.source_line,
        row_number() OVER same_row AS occurrence,
        first_value(candidates.source_id) OVER same_row AS first_source_id,
        first_value(candidates.source_line) OVER same_row AS first_line
    FROM candidates
    JOIN source_order USING (source_id)
    WINDOW same_row AS (
        PARTITION BY {dedup_key}
        ORDER BY source_order.file_order, candidates.source_line
    )
),

final AS (
    SELECT source_id, source_line, first_source_id, first_line
    FROM ranked
    WHERE occurrence > 1
)

SELECT * FROM final
