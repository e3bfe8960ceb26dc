-- export_list: the newest :limit lines of the export log.
SELECT
    id,
    logged_at,
    user_name,
    query,
    entity,
    format,
    rows,
    build_id,
    holdout_share,
    holdout_seed,
    sql_sha256,
    status,
    provenance
FROM export_log
ORDER BY id DESC
LIMIT :limit
