-- csv_reader_rejects: the lines DuckDB's CSV reader rejected while reading raw_csv (its
-- reject_errors table, kept by store_rejects), first error of a line first.
SELECT
    line,
    column_name,
    error_type,
    csv_line,
    error_message
FROM reject_errors
ORDER BY line, column_idx
