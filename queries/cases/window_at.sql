-- cases/window_at: do the overview's case tables answer a moment?
--
-- Purpose: overview/alerts.sql and overview/feed.sql read the small open_cases and
--   recent_cases tables for a moment they cover and raw incidents before it. The caller
--   asks this first and binds the answer as their $tables parameter: a bound constant lets
--   DuckDB drop the other branch when it plans the query (a guard computed inside the
--   query did not stop the raw branch's scan: 75 of 96 row groups of incidents at 10M).
-- Parameters:
--   $at  the moment (TIMESTAMP, the store's wall time): $now for the alerts, $since for
--        the feed
-- Columns: alerts (open_cases covers $at), feed (recent_cases covers reports from $at);
--   both FALSE for a store without cases.
SELECT coalesce(max(since) <= $at, FALSE) AS alerts,
       coalesce(max(recent_since) <= $at, FALSE) AS feed
FROM case_window
