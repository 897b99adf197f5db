-- incidents_by_county: cases reported in a time window per county-level region of a city
--
-- Purpose: the overview choropleth and ranking. Every county-level region of the city is
--   listed, with 0 when it had no case, so the map colours and the ranking cover them all.
--   Void cases (作废: duplicates, false reports) are not workload and are left out.
-- Parameters:
--   $city_prefix  the city's short code (4 digits, e.g. '3206'); scope, from the server side
--   $since        window start, inclusive (TIMESTAMP, Asia/Shanghai wall clock)
--   $until        window end, exclusive
-- Columns: code (12 digits), short_code (6 digits), name, incidents (BIGINT);
--   ordered by incidents descending, then code.
WITH counts AS (
    SELECT substr(grid_code, 1, 6) AS short_code, count(*) AS incidents
    FROM incidents
    WHERE reported_at >= $since
      AND reported_at < $until
      AND NOT is_void
      AND grid_code LIKE $city_prefix || '%'
    GROUP BY substr(grid_code, 1, 6)
)
SELECT r.code, r.short_code, r.name, coalesce(c.incidents, 0) AS incidents
FROM regions AS r
LEFT JOIN counts AS c ON c.short_code = r.short_code
WHERE r.level = 'county'
  AND r.short_code LIKE $city_prefix || '%'
ORDER BY incidents DESC, r.code
