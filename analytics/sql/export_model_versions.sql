-- The distinct model versions in one score column, for an export's provenance.
-- {table}, {column}: a score table and its *_model_version column, from the catalogue
-- through quote_ident (never from a request).
WITH

scores AS (
    SELECT * FROM {table}
),

final AS (
    SELECT DISTINCT CAST({column} AS VARCHAR) AS model_version
    FROM scores
    WHERE {column} IS NOT NULL
)

SELECT * FROM final
ORDER BY model_version
