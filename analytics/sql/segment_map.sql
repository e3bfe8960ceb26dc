-- segment_map: up to $points members (customers or sessions: the caller's entity_rows and
-- entity_scores, keyed by {id_column}) with their segment of one method ($method:
-- kmeans or hdbscan) and the behaviour the map is drawn from, sampled by a seeded hash
-- ($seed) so the map is stable between reloads. Segments are labelled with their name where
-- the scores name them ($named_segments), else with their id.
WITH behaviour AS (
    -- a build's mart holds some of these measures; the rest are added as NULL (the
    -- caller keeps the ones the mart has)
    SELECT * FROM entity_rows
    UNION ALL BY NAME
    SELECT
        NULL::DOUBLE AS recency_days,
        NULL::DOUBLE AS orders,
        NULL::DOUBLE AS revenue,
        NULL::DOUBLE AS sessions,
        NULL::DOUBLE AS hits,
        NULL::DOUBLE AS cart_adds,
        NULL::DOUBLE AS tenure_days,
        NULL::DOUBLE AS events,
        NULL::DOUBLE AS distinct_products,
        NULL::DOUBLE AS deepest_page
    WHERE false
),

scores AS (
    -- the HDBSCAN columns and the segment names exist only where written; NULL otherwise
    SELECT * FROM entity_scores
    UNION ALL BY NAME
    SELECT
        NULL::BIGINT AS segment_id,
        NULL::VARCHAR AS segment_name,
        NULL::BIGINT AS hdbscan_segment_id,
        NULL::VARCHAR AS hdbscan_segment_name
    WHERE false
),

members AS (
    SELECT
        {id_column},
        CASE WHEN $method = 'kmeans' THEN segment_id ELSE hdbscan_segment_id END AS segment_id,
        CASE WHEN $method = 'kmeans' THEN segment_name ELSE hdbscan_segment_name END
            AS segment_name
    FROM scores
),

final AS (
    SELECT
        members.segment_id,
        CASE WHEN $named_segments THEN members.segment_name ELSE members.segment_id::VARCHAR END
            AS segment_name,
        b.recency_days::DOUBLE AS recency_days,
        b.orders::DOUBLE AS orders,
        b.revenue::DOUBLE AS revenue,
        b.sessions::DOUBLE AS sessions,
        b.hits::DOUBLE AS hits,
        b.cart_adds::DOUBLE AS cart_adds,
        b.tenure_days::DOUBLE AS tenure_days,
        b.events::DOUBLE AS events,
        b.distinct_products::DOUBLE AS distinct_products,
        b.deepest_page::DOUBLE AS deepest_page,
        b.{id_column}
    FROM behaviour AS b
    JOIN members USING ({id_column})
)

SELECT * EXCLUDE ({id_column}) FROM final
ORDER BY hash({id_column}, $seed)
LIMIT $points
