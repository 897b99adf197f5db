-- report/history: the span of time a store holds, for the monthly report's bounds
--
-- Purpose: `gridcmd report` refuses months the store does not fully cover (a half-loaded
--   first month or the month still running would give a wrong 通报, not an empty one).
--   Stores built by the demo record their clock in `meta`; others fall back to the first
--   and last report time of their cases.
-- Parameters: none.
-- Columns: meta_start, meta_end (VARCHAR 'YYYY-MM-DD HH:MM:SS' or NULL),
--   first_reported, last_reported (TIMESTAMP or NULL on an empty store); one row.
SELECT (SELECT max(value) FROM meta WHERE key = 'history_start') AS meta_start,
       (SELECT max(value) FROM meta WHERE key = 'history_end') AS meta_end,
       (SELECT min(reported_at) FROM incidents) AS first_reported,
       (SELECT max(reported_at) FROM incidents) AS last_reported
