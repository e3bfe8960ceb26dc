-- candidate_lines: for one file, the duplicate candidates' raw values as JSON and the hash
-- of the source columns their canonical values do not capture (the columns the mapping
-- leaves out, and nested ones), so duplicate_rows can tell identical lines from lines that
-- only agree on the mapped columns.
-- Reads raw_rows (the file re-read with every column, exploded where the mapping says so),
-- which the build provides. {line_hash} is a hash() over quoted column names, or 0.
-- Binds $source_id.
WITH candidates AS (
    SELECT source_line FROM duplicate_candidates WHERE source_id = $source_id
),

final AS (
    SELECT
        $source_id AS source_id,
        raw_rows.line,
        {line_hash}::UBIGINT AS line_hash,
        to_json(raw_rows)::VARCHAR AS raw
    FROM raw_rows
    WHERE raw_rows.line IN (SELECT source_line FROM candidates)
)

SELECT * FROM final
