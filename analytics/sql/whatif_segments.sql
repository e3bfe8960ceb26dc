-- whatif_segments: the k-means segments a what-if can start from, in id order; $segment
-- (an INTEGER, or NULL for all) picks one.
SELECT
    segment_id,
    segment_name,
    members,
    entity
FROM main.segments
WHERE method = 'kmeans'
    AND ($segment::INTEGER IS NULL OR segment_id = $segment::INTEGER)
ORDER BY segment_id
