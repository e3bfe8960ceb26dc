-- rejected_record_lines: for each line DuckDB's CSV reader rejected (temp table bad_lines,
-- the reader's numbering), the physical line its record starts on (from record_lines).
SELECT
    reader_line,
    line
FROM record_lines
WHERE reader_line IN (SELECT line FROM bad_lines)
