-- overview/latest: when the newest record of the store was reported
--
-- Purpose: the overview's stale-data banner. An unattended screen must say so when the
--   feeds stopped: the newest case report, hazard, sensor alert or survey, whichever is
--   latest, compared with the clock. Store-wide on purpose: a quiet village is not stale
--   data, a silent feed is. Nothing in the future counts (bad clocks upstream).
-- Parameters:
--   $now  current time (TIMESTAMP, Asia/Shanghai)
-- Columns: latest (TIMESTAMP, NULL for an empty store); one row.
SELECT greatest(
    (SELECT max(reported_at) FROM incidents WHERE reported_at <= $now),
    (SELECT max(found_at) FROM hazards WHERE found_at <= $now),
    (SELECT max(alerted_at) FROM sensor_alerts WHERE alerted_at <= $now),
    (SELECT max(surveyed_at) FROM surveys WHERE surveyed_at <= $now)
) AS latest
