-- whatif_first_entity: the first customer or session by id, where the what-if page starts
-- when nothing is scored yet. {table}: customers or sessions; {id_column}: customer_id or
-- session_id; both fixed by the caller and quoted.
SELECT {id_column}
FROM main.{table}
ORDER BY {id_column}
LIMIT 1
