-- staged_reject_examples: the first $limit rejects of one source file ($source_id), by line:
-- the examples a build that loaded nothing shows.
SELECT
    line,
    column_name,
    reason
FROM staged_rejects
WHERE source_id = $source_id
ORDER BY line
LIMIT $limit
