-- save_cohort: store a cohort under :name, or overwrite its query; the first saver stays
-- its creator (the caller checks ownership in the same transaction).
INSERT INTO saved_cohorts (name, query, created_by, created_at, updated_by, updated_at)
VALUES (:name, :query, :user_name, :now, :user_name, :now)
ON CONFLICT (name) DO UPDATE SET
    query = excluded.query,
    updated_by = excluded.updated_by,
    updated_at = excluded.updated_at
