-- set_schema_version: record the schema version a migration reached (:version, text).
INSERT INTO meta (key, value)
VALUES ('schema_version', :version)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
