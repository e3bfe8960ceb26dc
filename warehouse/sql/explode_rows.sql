-- explode_rows: one row per element of a mapping's `explode` list column (GA360 hits, OTTO
-- events), so nested exports load without a flattening step.
-- {list_column} is the quoted raw_source column to explode (filled by
-- warehouse.mapping_nested.explode_sql). The element replaces the list under the same name;
-- `record` is the record the element came from, `element` its 1-based position (NULL for a
-- record whose list is empty or missing: that record stays as one row, which the adapter
-- rejects, so rows read = rows loaded + rows rejected still holds), and `line` numbers the
-- exploded rows in record order.
WITH source AS (
    SELECT *, coalesce(len({list_column}), 0) AS element_count FROM raw_source
),

exploded AS (
    SELECT
        * EXCLUDE ({list_column}),
        unnest(if(element_count > 0, {list_column}, [NULL])) AS {list_column},
        generate_subscripts(if(element_count > 0, {list_column}, [NULL]), 1) AS element_number
    FROM source
),

final AS (
    SELECT
        * EXCLUDE (line, element_count, element_number),
        line AS record,
        if(element_count > 0, element_number, NULL) AS element,
        row_number() OVER (ORDER BY line, element_number) AS line
    FROM exploded
)

SELECT * FROM final
