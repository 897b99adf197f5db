-- summary/visit_daily: refill visit_daily (due 走访 per grid x due day x kind)
--
-- Purpose: 走访率 without reading visits rows. A visit is on schedule when it was made on
--   or before its due day (early visits count).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM visit_daily;

INSERT INTO visit_daily (grid_code, day, kind, due, visited, visited_ontime)
SELECT grid_code, due_date AS day, kind,
       count(*),
       sum(CASE WHEN visited_at IS NOT NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN CAST(visited_at AS DATE) <= due_date THEN 1 ELSE 0 END)
FROM visits
GROUP BY grid_code, due_date, kind
ORDER BY grid_code, day, kind;

SELECT count(*) AS row_count FROM visit_daily;
