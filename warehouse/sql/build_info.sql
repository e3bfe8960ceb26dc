-- build_info: the one-row record of a build: its id, versions, inputs' fingerprint, session
-- gap, capabilities, the currency the sources state (NULL: none, or they disagree) and the
-- span of the data.
-- Binds $build_id, $version, $duckdb, $fingerprint, $gap, $capabilities (JSON text) and
-- $currency.
WITH events AS (
    SELECT event_time FROM events
),

data_span AS (
    SELECT
        min(event_time) AS data_start,
        max(event_time) AS data_end
    FROM events
),

final AS (
    SELECT
        $build_id AS build_id,
        now()::TIMESTAMP AS built_at,
        $version AS shopsight_version,
        $duckdb AS duckdb_version,
        $fingerprint AS input_fingerprint,
        $gap::INTEGER AS session_gap_minutes,
        $capabilities AS capabilities_json,
        $currency::VARCHAR AS currency,
        data_span.data_start,
        data_span.data_end
    FROM data_span
)

SELECT * FROM final
