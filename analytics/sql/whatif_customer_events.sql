-- whatif_customer_events: the events of the customers the relation `wanted` (customer_id)
-- selects. The what-if page puts it in front of models/sql/customer_features.sql as its
-- `events`: every feature is a per-customer aggregate of that customer's own events, so
-- the rows equal the batch rows while reading one customer's events, not all.
WITH

wanted_customers AS (
    SELECT customer_id FROM wanted
),

final AS (
    SELECT *
    FROM main.events
    WHERE customer_id IN (SELECT customer_id FROM wanted_customers)
)

SELECT * FROM final
