-- An export's rows in id order, so the same cohort on the same build gives the same file,
-- byte for byte. {export_rows}: export_rows*.sql as compiled; {id_column}: the quoted id.
WITH

export_rows AS (
    {export_rows}
),

final AS (
    SELECT * FROM export_rows
)

SELECT * FROM final
ORDER BY {id_column}
