-- whatif_entity_sample: a seeded sample of $limit customers or sessions (the slider ranges
-- are measured on it, so they are repeatable). {table}: customers or sessions; {id_column}:
-- customer_id or session_id; both fixed by the caller and quoted, never a user's.
SELECT {id_column}
FROM main.{table}
ORDER BY hash({id_column}), {id_column}
LIMIT $limit
