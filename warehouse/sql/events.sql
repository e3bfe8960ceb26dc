-- events: keep the canonical events that loaded. Rejected rows (already copied with their
-- reasons to staged_rejects) and duplicates (listed in duplicate_rows) are deleted, and the
-- reject columns dropped: both are metadata changes in DuckDB, not a rewrite of the table.
DELETE FROM events WHERE reject_reason IS NOT NULL;

DELETE FROM events
USING duplicate_rows
WHERE events.source_id = duplicate_rows.source_id
    AND events.source_line = duplicate_rows.source_line;

ALTER TABLE events DROP COLUMN reject_reason;

ALTER TABLE events DROP COLUMN reject_column;
