-- overview/cover: do the overview's case tables answer its alerts and its feed?
--
-- Purpose: cases/window_at.sql for both moments the panels need, in one statement: the
--   alerts and the critical alert read open_cases / open_hazards / open_alerts at $now,
--   the feed reads recent_cases from $since. The caller binds the answers as the $tables
--   parameter of overview/alerts.sql, overview/critical.sql and overview/feed.sql (a bound
--   constant lets DuckDB drop the branch over the raw tables when it plans them).
-- Parameters:
--   $now    the moment of the alerts (TIMESTAMP, the store's wall time)
--   $since  the first report time of the feed (TIMESTAMP)
-- Columns: alerts (open_cases covers $now), feed (recent_cases covers reports from
--   $since); both FALSE for a store without cases.
SELECT coalesce(max(since) <= $now, FALSE) AS alerts,
       coalesce(max(recent_since) <= $since, FALSE) AS feed
FROM case_window
