-- current_model_runs: every task's rows from that task's latest training. A training of one
-- custom label keeps the other tasks' runs under their own (older) train ids, so "the
-- latest training" alone would lose them.
WITH runs AS (
    SELECT * FROM model_runs
),

latest_per_task AS (
    SELECT
        task,
        max(train_id) AS train_id
    FROM runs
    GROUP BY task
),

final AS (
    SELECT runs.*
    FROM runs
    SEMI JOIN latest_per_task USING (task, train_id)
)

SELECT * FROM final
ORDER BY task, selected DESC, candidate
