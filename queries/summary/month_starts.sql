-- summary/month_starts: the CTEs history and month_starts (included, not run on its own)
--
-- Purpose: the month starts every village's rows run over: from the month of the store's
--   first day of data to the first month start after its last day, over all grid-level
--   daily tables whatever villages are in scope, so that a full, a key-wise and an
--   additive refresh give every village the same month-start rows. Included by
--   summary/village_nets.sql and ingest/additive_village.sql.
-- Columns (CTE month_starts): day.
history AS (
    -- the whole store's span, whatever villages are in scope: every village's month-start
    -- rows run over the same months in a full and in an incremental refresh
    SELECT day FROM incident_daily UNION ALL SELECT day FROM survey_daily
    UNION ALL SELECT day FROM escalation_daily UNION ALL SELECT day FROM hazard_daily
    UNION ALL SELECT day FROM key_person_daily UNION ALL SELECT day FROM visit_daily
    UNION ALL SELECT day FROM alert_daily
),
month_starts AS (
    SELECT CAST(m AS DATE) AS day
    FROM generate_series(
        CAST(date_trunc('month', (SELECT min(day) FROM history)) AS TIMESTAMP),
        CAST(date_trunc('month', (SELECT max(day) FROM history)) AS TIMESTAMP) + INTERVAL 1 MONTH,
        INTERVAL 1 MONTH) AS t(m)
)
