-- stored_event_rows: an event adapter's rows as the build stores them in event_rows: the
-- columns this build stores, the event's date and the reject columns. `adapted_rows` (given
-- by the caller) is the adapter's query; {stored_columns}: the stored columns, quoted.
SELECT
    {stored_columns},
    event_time::DATE AS event_date,
    reject_column,
    reject_reason
FROM adapted_rows
