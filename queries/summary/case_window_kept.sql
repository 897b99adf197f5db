-- summary/case_window_kept: whether case_window still holds the moment the cases give
--
-- Purpose: dashboard/kpi/summaries.py refresh_case_tables refreshes open_cases and
--   recent_cases key-wise or additively only while the window stays where it is (its
--   `since` is a function of the newest report's day, summary/case_window.sql); when a batch
--   moves it, both tables are refilled whole.
-- Parameters: none.
-- Columns: kept (boolean; false for a store without a stored window or without cases).
SELECT coalesce((SELECT since FROM case_window)
                = (SELECT date_trunc('day', max(reported_at)) - INTERVAL 30 DAY
                   FROM incidents), false) AS kept
