-- saved_cohorts: the saved cohorts by name; :name picks one (NULL: all of them).
SELECT
    name,
    query,
    created_by,
    created_at,
    updated_at
FROM saved_cohorts
WHERE :name IS NULL OR name = :name
ORDER BY name
