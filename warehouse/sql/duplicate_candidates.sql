-- duplicate_candidates: rows that repeat another row on every canonical column (within one
-- file, or across overlapping files such as Online Retail I and II), with the group's first
-- row in input order. These are the duplicates under the "mapped-columns" rule; under
-- "identical-lines" (the default) duplicate_rows also compares the columns the mapping does
-- not use, from candidate_lines.
-- Hashing every column of 10M rows costs three times hashing a few, so a short hash of the
-- columns that almost identify an event finds candidate groups (repeated_hashes, built by
-- the build before this query and usually empty), and the full key decides.
-- {dedup_key} and {hash_key} are filled from warehouse.schema (quoted identifiers only).
WITH candidates AS (
    SELECT event_rows.*
    FROM event_rows
    WHERE event_rows.reject_reason IS NULL
        AND hash({hash_key}) IN (SELECT row_hash FROM repeated_hashes)
        AND source_id IN (SELECT source_id FROM source_order WHERE duplicates <> 'keep')
),

grouped AS (
    SELECT
        candidates.source_id,
        candidates.source_line,
        source_order.file_order,
        count(*) OVER (PARTITION BY {dedup_key}) AS group_size,
        first_value(candidates.source_id) OVER same_row AS group_source_id,
        first_value(candidates.source_line) OVER same_row AS group_line
    FROM candidates
    JOIN source_order USING (source_id)
    WINDOW same_row AS (
        PARTITION BY {dedup_key}
        ORDER BY source_order.file_order, candidates.source_line
    )
),

final AS (
    SELECT source_id, source_line, file_order, group_source_id, group_line
    FROM grouped
    WHERE group_size > 1
)

SELECT * FROM final
