-- overview_feed: the newest cases reported in a scope (实时事件)
--
-- Purpose: the overview's live feed, up to a moment (now, or the as-of moment of a store
--   shown as of a past day). No personal data: category, place, source, status; the
--   status as it stood at $now (case_status_at).
-- Parameters:
--   $prefix  scope short code (validated by Scope); starts_with(grid_code, $prefix)
--   $since   oldest report time to consider (TIMESTAMP; bounds the scan to recent rows)
--   $now     the moment (TIMESTAMP, the store's wall time): later reports are ignored
--   $n       number of rows
-- Columns: id, case_no, reported_at, status, is_void, source, category (小类), major (大类),
--   grid_code, grid (name), village, town, county (names of the regions above the grid);
--   newest first.
-- DuckDB-only: starts_with (Spark: startswith).
SELECT i.id, i.case_no, i.reported_at,
-- @include case_status_at
       AS status, i.is_void, i.source,
       c.minor_name AS category, c.major_name AS major, i.grid_code, g.name AS grid,
       v.name AS village, t.name AS town, cn.name AS county
FROM incidents AS i
JOIN categories AS c ON c.code = i.category_code
JOIN grids AS g ON g.code = i.grid_code
JOIN regions AS v ON v.code = g.village_code
JOIN regions AS t ON t.code = v.parent_code
JOIN regions AS cn ON cn.code = t.parent_code
WHERE starts_with(i.grid_code, $prefix)
  AND i.reported_at >= $since
  AND i.reported_at <= $now
ORDER BY i.reported_at DESC, i.id DESC
LIMIT $n
