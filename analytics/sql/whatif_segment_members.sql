-- whatif_segment_members: a seeded sample of $limit members of segment $segment, whose
-- median is the segment's typical member. {table}: customer_scores or session_scores;
-- {id_column}: customer_id or session_id; both fixed by the caller and quoted.
SELECT {id_column}
FROM main.{table}
WHERE segment_id = $segment
ORDER BY hash({id_column}), {id_column}
LIMIT $limit
