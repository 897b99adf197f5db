-- mygrid/cases: the open cases of a grid worker's area at a moment, with their light
--
-- Purpose: 我的网格 (dashboard/mygrid_data.py): every case of the scope reported by $now,
--   not void and not closed by $now, most urgent first. The light is the 80 % / 100 %
--   time-limit rule of grid case handling, the same as overview/alerts.sql and
--   theme/open_lights.sql: 红 (red) past deadline_at; 黄 (yellow) not yet overdue but the
--   time since 立案 has reached 80 % of the limit (registered_at → deadline_at); 绿 (green)
--   otherwise; NULL for a case without a deadline (not registered, or 无时限).
-- Parameters:
--   $prefix  scope short code (validated by Scope), starts_with(grid_code, $prefix)
--   $now     the moment (TIMESTAMP, the store's wall time)
-- Columns: id, case_no, category_code, major_name, minor_name, source, status, grid_code,
--   grid_name, reported_at, registered_at, deadline_at, light ('red' | 'yellow' | 'green'
--   | NULL), hours_left (deadline_at − $now in hours, negative when overdue; NULL without
--   a deadline).
-- DuckDB-only: starts_with (Spark: startswith).
SELECT i.id, i.case_no, i.category_code, c.major_name, c.minor_name, i.source, i.status,
       i.grid_code, g.name AS grid_name, i.reported_at, i.registered_at, i.deadline_at,
       CASE WHEN i.deadline_at IS NULL OR i.registered_at IS NULL
                 OR i.registered_at > $now THEN NULL
            WHEN i.deadline_at < $now THEN 'red'
            WHEN $now >= i.registered_at + (i.deadline_at - i.registered_at) * 0.8
                THEN 'yellow'
            ELSE 'green' END AS light,
       CASE WHEN i.deadline_at IS NULL THEN NULL
            ELSE (epoch(i.deadline_at) - epoch($now)) / 3600.0 END AS hours_left
FROM incidents AS i
LEFT JOIN categories AS c ON c.code = i.category_code
LEFT JOIN grids AS g ON g.code = i.grid_code
WHERE starts_with(i.grid_code, $prefix)
  AND i.reported_at <= $now
  AND NOT i.is_void
  AND (i.closed_at IS NULL OR i.closed_at > $now)
ORDER BY CASE light WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 ELSE 3 END,
         i.deadline_at NULLS LAST, i.reported_at, i.id
