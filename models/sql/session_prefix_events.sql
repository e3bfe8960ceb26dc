-- session_prefix_events: the events of each session that happened before its first
-- checkout or purchase signal, numbered in time order. Conversion features are built from
-- these rows only, so nothing that follows the decision to buy can reach a feature.
-- A pure SELECT: scoring materialises it as a TEMP table, what-if inlines it as a CTE.
WITH ordered AS (
    SELECT
        session_id,
        customer_id,
        event_time,
        event_type,
        product_id,
        category,
        price,
        page_depth,
        row_number() OVER (
            PARTITION BY session_id
            ORDER BY event_time, coalesce(sequence_number, 0), source_id, source_line
        ) AS position
    FROM events
    WHERE session_id IS NOT NULL
),

signals AS (
    SELECT session_id, min(position) AS signal_position
    FROM ordered
    WHERE event_type IN ('begin_checkout', 'purchase')
    GROUP BY session_id
),

final AS (
    SELECT o.*
    FROM ordered AS o
    LEFT JOIN signals AS s USING (session_id)
    WHERE s.signal_position IS NULL OR o.position < s.signal_position
)

SELECT * FROM final
