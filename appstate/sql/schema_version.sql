-- schema_version: the schema version the store was migrated to (no row before the first).
SELECT value
FROM meta
WHERE key = 'schema_version'
