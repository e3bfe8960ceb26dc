-- latest_model_runs: every candidate of the latest training, by task, the selected one first.
WITH runs AS (
    SELECT * FROM model_runs
),

latest AS (
    SELECT max(train_id) AS train_id FROM runs
),

final AS (
    SELECT runs.*
    FROM runs
    SEMI JOIN latest USING (train_id)
)

SELECT * FROM final
ORDER BY task, selected DESC, candidate
