-- summary/case_window: refill case_window, the moment from which open_cases and
-- recent_cases hold every case a screen needs
--
-- Purpose: the overview's alerts and feed read the small open_cases / recent_cases tables
--   for any moment at or after `since` (the live screen, the stale store's last data day,
--   a past day of the last 30 days of data) and raw incidents before it. `since` is 00:00
--   of the newest case report's day minus 30 days, a function of the data only, so a
--   refresh after any load equals a full one. No row for a store without cases.
-- Parameters: none.
-- Columns: row_count (0 or 1).
DELETE FROM case_window;

INSERT INTO case_window (since, recent_since)
SELECT since, since - INTERVAL 7 DAY
FROM (SELECT date_trunc('day', max(reported_at)) - INTERVAL 30 DAY AS since FROM incidents)
WHERE since IS NOT NULL;

SELECT count(*) AS row_count FROM case_window;
