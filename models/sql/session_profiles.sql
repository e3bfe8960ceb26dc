-- session_profiles: the sessions mart plus per-session browsing aggregates from the events:
-- the view custom session labels are written against and session segments are built from.
-- The UCI "conversion" proxies are formulas of these columns (clicks, viewed_price_sum,
-- last_price_above_category_avg, deepest_page), which is why the leakage audit refuses them.
WITH per_session AS (
    SELECT
        session_id,
        count(*) AS clicks,
        coalesce(sum(price) FILTER (WHERE event_type IN ('page_view', 'product_view')), 0)
            AS viewed_price_sum,
        coalesce(avg(price) FILTER (WHERE event_type IN ('page_view', 'product_view')), 0)
            AS mean_price_viewed,
        coalesce(avg(price_above_category_avg::INTEGER), 0) AS share_price_above_category_avg,
        arg_max(price_above_category_avg::INTEGER, event_time) AS last_price_above_category_avg
    FROM events
    WHERE session_id IS NOT NULL
    GROUP BY session_id
),

final AS (
    SELECT
        s.session_id,
        s.customer_id,
        s.* EXCLUDE (session_id, customer_id),
        coalesce(p.clicks, 0) AS clicks,
        coalesce(p.viewed_price_sum, 0) AS viewed_price_sum,
        coalesce(p.mean_price_viewed, 0) AS mean_price_viewed,
        coalesce(p.share_price_above_category_avg, 0) AS share_price_above_category_avg,
        p.last_price_above_category_avg
    FROM sessions AS s
    LEFT JOIN per_session AS p USING (session_id)
)

SELECT * FROM final
ORDER BY session_id
