-- log_export: one line of the export log (status 'started' before the first byte leaves).
INSERT INTO export_log (
    logged_at, user_name, query, entity, format, rows, build_id, holdout_share, holdout_seed,
    sql_sha256, status, provenance, finished_at
)
VALUES (
    :now, :user_name, :query, :entity, :format, :rows, :build_id, :holdout_share,
    :holdout_seed, :sql_sha256, :status, :provenance, :finished_at
)
