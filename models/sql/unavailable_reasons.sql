-- unavailable_reasons: per task, why the last training could not train it (a capability the
-- data lacks, or a refused label); scoring and the what-if page show it instead of a score.
SELECT
    task,
    any_value(reason) AS reason
FROM model_runs
WHERE status IN ('unavailable', 'refused')
GROUP BY task
