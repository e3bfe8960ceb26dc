-- events: keep the canonical event_rows that loaded. Rejected rows (already copied with their
-- reasons to staged_rejects) and duplicates (listed in duplicate_rows) are deleted, and the
-- reject columns dropped: both are metadata changes in DuckDB, not a rewrite of the table.
-- The events view over event_rows is created next, by the build.
DELETE FROM event_rows WHERE reject_reason IS NOT NULL;

DELETE FROM event_rows
USING duplicate_rows
WHERE event_rows.source_id = duplicate_rows.source_id
    AND event_rows.source_line = duplicate_rows.source_line;

ALTER TABLE event_rows DROP COLUMN reject_reason;

ALTER TABLE event_rows DROP COLUMN reject_column;
