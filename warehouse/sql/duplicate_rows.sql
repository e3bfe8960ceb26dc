-- duplicate_rows: the rows rejected as duplicates. Within a group of duplicate_candidates
-- (same canonical values), rows are split again by candidate_lines.line_hash, the hash of
-- the source columns the canonical values do not capture (0 under "mapped-columns"): so
-- two lines that differ only in a column the mapping leaves out (a within-day sequence
-- number, a hit number) both load. The first occurrence, in input order, loads; the others
-- point at it and keep their raw values.
WITH candidates AS (
    SELECT * FROM duplicate_candidates
),

lines AS (
    SELECT * FROM candidate_lines
),

ranked AS (
    SELECT
        c.source_id,
        c.source_line,
        l.raw,
        row_number() OVER same_line AS occurrence,
        first_value(c.source_id) OVER same_line AS first_source_id,
        first_value(c.source_line) OVER same_line AS first_line
    FROM candidates AS c
    LEFT JOIN lines AS l ON l.source_id = c.source_id AND l.line = c.source_line
    WINDOW same_line AS (
        PARTITION BY c.group_source_id, c.group_line, coalesce(l.line_hash, 0)
        ORDER BY c.file_order, c.source_line
    )
),

final AS (
    SELECT source_id, source_line, first_source_id, first_line, raw
    FROM ranked
    WHERE occurrence > 1
)

SELECT * FROM final
