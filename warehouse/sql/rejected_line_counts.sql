-- rejected_line_counts: per source file, how many of its lines were rejected (a line with
-- several rejected values counts once).
SELECT
    source_id,
    count(DISTINCT line) AS rejected_lines
FROM staged_rejects
GROUP BY source_id
