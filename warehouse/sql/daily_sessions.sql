-- daily_sessions: a daily roll-up of sessions by country, device and traffic source, so the
-- dashboard's trend charts and KPI cards read thousands of rows instead of millions. The
-- *_base columns are the denominators of warehouse.metrics (which may be smaller than
-- sessions where a flag is NULL), so a rate from the roll-up equals the rate from sessions.
WITH sessions AS (
    SELECT * FROM sessions WHERE session_date IS NOT NULL
),

final AS (
    SELECT
        session_date,
        country,
        device,
        traffic_source,
        count(*) AS sessions,
        count(DISTINCT customer_id) AS customers,
        sum(events) AS events,
        sum(hits) AS hits,
        count(*) FILTER (WHERE converted) AS converted_sessions,
        count(converted) AS conversion_base,
        count(*) FILTER (WHERE hits > 0) AS viewing_sessions,
        count(*) FILTER (WHERE cart_adds > 0) AS cart_sessions,
        count(*) FILTER (WHERE checkouts > 0 OR purchases > 0) AS checkout_sessions,
        count(*) FILTER (WHERE checkouts > 0) AS explicit_checkout_sessions,
        count(*) FILTER (WHERE purchases > 0) AS purchasing_sessions,
        count(*) FILTER (WHERE cart_abandoned) AS abandoned_sessions,
        count(*) FILTER (WHERE bounced) AS bounced_sessions,
        count(bounced) AS bounce_base,
        count(*) FILTER (WHERE cart_adds > 0 AND cart_abandoned IS NOT NULL) AS abandon_base,
        sum(purchases) AS purchases,
        sum(revenue) AS revenue
    FROM sessions
    GROUP BY ALL
)

SELECT * FROM final
ORDER BY session_date, country, device, traffic_source
