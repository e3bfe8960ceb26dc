-- csv_record_lines: for each record of a CSV (1 … $records, in file order), the line DuckDB's
-- reader numbers it and the physical line it starts on. Both are "record + 1" in a file of one
-- record a line; they part where blank lines are skipped (the reader counts them, no record
-- holds them), where a quoted value holds line breaks (the reader does not count those) and
-- where broken lines were taken out before reading (see warehouse/csv_lines.py).
-- `record_shifts` (given by the caller) holds the offsets from each record where they change:
-- reader_line = record + reader_shift, line = record + line_shift.
WITH records AS (
    SELECT range AS record
    FROM range(1, $records + 1)
),

final AS (
    SELECT
        records.record,
        records.record + record_shifts.reader_shift AS reader_line,
        records.record + record_shifts.line_shift AS line
    FROM records
    ASOF JOIN record_shifts ON records.record >= record_shifts.record
)

SELECT * FROM final
