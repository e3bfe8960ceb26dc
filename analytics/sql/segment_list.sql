-- segment_list: the segments of one method ($method), largest first and noise (-1) last,
-- with each one's profile (JSON: per feature its mean, the rest's mean and the effect size).
SELECT
    segment_id,
    segment_name,
    members,
    share,
    profile
FROM segments
WHERE method = $method
ORDER BY segment_id = -1, members DESC
