-- aggregate_session_features: Online Shoppers' sessions (session-grain data, no events) with
-- the file's own 17 columns as numbers, and the label. Categorical columns become codes:
-- the month its number (0 when unknown), the visitor type two 0/1 columns.
WITH

aggregate_sessions AS (
    SELECT * FROM sessions WHERE is_aggregate
),

final AS (
    SELECT
        session_id,
        NULL::VARCHAR AS customer_id,
        administrative::DOUBLE AS administrative,
        administrative_duration,
        informational::DOUBLE AS informational,
        informational_duration,
        product_related::DOUBLE AS product_related,
        product_related_duration,
        bounce_rates,
        exit_rates,
        page_values,
        special_day,
        coalesce(list_position(
            ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'June', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
            month
        ), 0)::DOUBLE AS month_number,
        operating_systems::DOUBLE AS operating_systems,
        browser::DOUBLE AS browser,
        region::DOUBLE AS region,
        traffic_type::DOUBLE AS traffic_type,
        (visitor_type = 'Returning_Visitor')::DOUBLE AS returning_visitor,
        (visitor_type = 'New_Visitor')::DOUBLE AS new_visitor,
        weekend::DOUBLE AS weekend,
        converted,
        NULL::DOUBLE AS revenue
    FROM aggregate_sessions
)

SELECT * FROM final
ORDER BY session_id
