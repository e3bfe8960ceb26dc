-- repeated_hashes: hashes of the near-identifying columns that occur more than once among
-- the rows that loaded from files whose duplicates are judged (not "keep"); the candidates
-- for duplicate_candidates. {hash_key} as there.
WITH judged AS (
    SELECT source_id FROM source_order WHERE duplicates <> 'keep'
),

final AS (
    SELECT hash({hash_key}) AS row_hash
    FROM event_rows
    WHERE reject_reason IS NULL AND source_id IN (SELECT source_id FROM judged)
    GROUP BY row_hash
    HAVING count(*) > 1
)

SELECT * FROM final
