-- rejected_row_list: the first $limit rejected rows by file and line, with their raw values.
SELECT
    file,
    line,
    column_name,
    reason,
    raw
FROM rejected_rows
ORDER BY file, line
LIMIT $limit
