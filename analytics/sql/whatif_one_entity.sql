-- whatif_one_entity: the one customer or session id ($entity_id) a what-if starts from, as
-- the relation `wanted` the feature files are narrowed to. {id_column}: customer_id or
-- session_id, fixed by the caller and quoted.
SELECT $entity_id::VARCHAR AS {id_column}
