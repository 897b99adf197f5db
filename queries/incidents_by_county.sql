-- incidents_by_county: cases reported in a window of whole days per county-level region
--
-- Purpose: the overview choropleth and ranking. Reads the incident_daily summary, never raw
--   incidents. Every county-level region of the city is listed, with 0 when it had no case,
--   so the map colours and the ranking cover them all. Void cases (作废: duplicates, false
--   reports) are not workload and are left out.
-- Parameters:
--   $city_prefix  the city's short code (4 digits, e.g. '3206'); scope, from the server side
--   $since        first day of the window, inclusive (DATE or midnight TIMESTAMP, Asia/Shanghai)
--   $until        day after the window, exclusive
-- Columns: code (12 digits), short_code (6 digits), name, incidents (BIGINT);
--   ordered by incidents descending, then code.
-- DuckDB-only: starts_with (Spark: startswith).
WITH counts AS (
    SELECT substr(grid_code, 1, 6) AS short_code, sum(reported - void) AS incidents
    FROM incident_daily
    WHERE day >= CAST($since AS DATE)
      AND day < CAST($until AS DATE)
      AND starts_with(grid_code, $city_prefix)
    GROUP BY substr(grid_code, 1, 6)
)
SELECT r.code, r.short_code, r.name, CAST(coalesce(c.incidents, 0) AS BIGINT) AS incidents
FROM regions AS r
LEFT JOIN counts AS c ON c.short_code = r.short_code
WHERE r.level = 'county'
  AND starts_with(r.short_code, $city_prefix)
ORDER BY incidents DESC, r.code
