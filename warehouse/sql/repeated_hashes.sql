-- repeated_hashes: hashes of the near-identifying columns that occur more than once among
-- the rows that loaded; the candidates for duplicate_rows. {hash_key} as there.
SELECT hash({hash_key}) AS row_hash
FROM event_rows
WHERE reject_reason IS NULL
GROUP BY row_hash
HAVING count(*) > 1
