-- overview/feed: the newest cases reported in a scope (实时事件)
--
-- Purpose: the overview's live feed, up to a moment (now, or the as-of moment of a store
--   shown as of a past day). No personal data: category, place, source, status; the
--   status as it stood at $now (case_status_at).
-- Parameters:
--   $prefix  scope short code (validated by Scope); starts_with(grid_code, $prefix)
--   $since   oldest report time to consider (TIMESTAMP; bounds the scan to recent rows)
--   $now     the moment (TIMESTAMP, the store's wall time): later reports are ignored
--   $n       number of rows
--   $tables  BOOLEAN: recent_cases covers $since (queries/cases/window_at.sql, column feed)
-- Columns: id, case_no, reported_at, status, is_void, source, category (小类), major (大类),
--   grid_code, grid (name), village, town, county (names of the regions above the grid),
--   category_en (the 小类's English name by overview/feed_names, NULL where the store has
--   none), source_en (the source's English name, taxonomy incident_source; NULL where
--   none); newest first.
-- Source of the cases: for $since at or after case_window.recent_since (the live
--   screen, a stale store's last data day, a day of the last 30 days of data) the small
--   recent_cases table (queries/summary/recent_cases.sql); before it raw incidents, whose
--   report order lets the $since bound skip old row groups. The caller binds $tables from
--   cases/window_at.sql, so the planner drops the branch that is not read.
-- DuckDB-only: starts_with (Spark: startswith).
WITH
-- @include overview/feed_names
cases AS (
    SELECT id, case_no, reported_at, registered_at, dispatched_at, handled_at,
           verified_at, closed_at, status, is_void, source, category_code, grid_code
    FROM recent_cases
    WHERE starts_with(grid_code, $prefix)
      AND reported_at >= $since
      AND reported_at <= $now
      AND $tables
    UNION ALL
    SELECT id, case_no, reported_at, registered_at, dispatched_at, handled_at,
           verified_at, closed_at, status, is_void, source, category_code, grid_code
    FROM incidents
    WHERE starts_with(grid_code, $prefix)
      AND reported_at >= $since
      AND reported_at <= $now
      AND NOT $tables
)
SELECT i.id, i.case_no, i.reported_at,
-- @include cases/status_at
       AS status, i.is_void, i.source,
       c.minor_name AS category, c.major_name AS major, i.grid_code, g.name AS grid,
       v.name AS village, t.name AS town, cn.name AS county, fe.name_en AS category_en,
       x.name_en AS source_en
FROM cases AS i
JOIN categories AS c ON c.code = i.category_code
LEFT JOIN feed_en AS fe ON fe.major_name = c.major_name AND fe.minor_name = c.minor_name
LEFT JOIN taxonomy AS x ON x.field = 'incident_source' AND x.code = i.source
JOIN grids AS g ON g.code = i.grid_code
JOIN regions AS v ON v.code = g.village_code
JOIN regions AS t ON t.code = v.parent_code
JOIN regions AS cn ON cn.code = t.parent_code
ORDER BY i.reported_at DESC, i.id DESC
LIMIT $n
