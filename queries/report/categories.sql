-- report/categories: cases reported per category in a month and the month before
--
-- Purpose: the 通报's top categories (with 环比), read from the summary table so a city-wide
--   report never scans raw incidents. Counts are 上报数 (void cases included), matching the
--   headline KPI, so the shares add up to it. A partial month (a store's first or last)
--   passes the days it covers and the same days of the month before.
-- Parameters:
--   $prefix       scope region short code; rows kept when starts_with(grid_code, $prefix)
--   $prev_start   first day of the base (the month before, or its same days) (DATE)
--   $prev_end     last day of the base, inclusive (DATE)
--   $month_start  first day of the month (or of the days covered) (DATE)
--   $month_end    last day of the month (or of the days covered), inclusive (DATE)
-- Columns: category_code, domain, major_name, minor_name, reported (in the month),
--   prev_reported (in the month before); categories with any case in either month.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()).
SELECT d.category_code,
       c.domain,
       c.major_name,
       c.minor_name,
       sum(CASE WHEN d.day >= $month_start THEN d.reported ELSE 0 END) AS reported,
       sum(CASE WHEN d.day <= $prev_end THEN d.reported ELSE 0 END) AS prev_reported
FROM incident_daily AS d
LEFT JOIN categories AS c ON c.code = d.category_code
WHERE starts_with(d.grid_code, $prefix)
  AND ((d.day >= $prev_start AND d.day <= $prev_end)
       OR (d.day >= $month_start AND d.day <= $month_end))
GROUP BY d.category_code, c.domain, c.major_name, c.minor_name
