-- csv_numbered_rows: the rows DuckDB's CSV reader accepted (temp table raw_csv, file order),
-- each with the physical line its record starts on. Accepted rows keep file order, so the
-- k-th accepted row is the k-th record the reader did not reject: record_lines (from
-- csv_record_lines.sql) numbered without the reader's rejected lines (temp table bad_lines).
-- {renamed_columns}: the file's columns under their internal names, quoted by the caller.
WITH

accepted AS (
    SELECT *, rowid + 1 AS k FROM raw_csv
),

good AS (
    SELECT
        line,
        row_number() OVER (ORDER BY record) AS k
    FROM record_lines
    WHERE reader_line NOT IN (SELECT line FROM bad_lines)
),

final AS (
    SELECT
        {renamed_columns},
        good.line AS line
    FROM accepted AS r
    JOIN good USING (k)
)

SELECT * FROM final
