-- analysis/facets_fill: refill case_facets_city for some counties from a day on (migration
-- 017)
--
-- Purpose: the rows of case_facets_city (queries/analysis/facets_schema.sql) of the
--   counties $counties (every county when NULL) from $since on (day rows of days >=
--   $since, month rows of months from $since's month) are deleted and computed again from
--   the cases reported since then, then the month rows from the day rows. A case's rows
--   lie on its report day; after an import batch $since is the earliest day the batch
--   touched through a case (any lifecycle day of an old or new version, so on or before
--   every touched case's old and new report day) and $counties the touched grids'
--   counties: the result equals a full refill (tested). Only cases whose 小类 is in
--   categories count, as cases/filtered.sql joins it.
-- Parameters: $counties  VARCHAR[] of 6-digit county codes, or NULL for all;
--   $since  DATE, the first day to recompute.
-- Columns: none.
DELETE FROM case_facets_city
WHERE ($counties IS NULL OR list_contains($counties, county))
  AND ((span = 'day' AND day >= $since)
       OR (span = 'month' AND day >= CAST(date_trunc('month', $since) AS DATE)));

INSERT INTO case_facets_city
WITH x AS (
    SELECT CAST(i.reported_at AS DATE) AS day, left(i.grid_code, 6) AS county,
           i.category_code, i.source, i.status, left(i.grid_code, 9) AS town
    FROM incidents AS i
    SEMI JOIN categories AS c ON c.code = i.category_code
    WHERE i.reported_at >= CAST($since AS TIMESTAMP)
      AND ($counties IS NULL OR list_contains($counties, left(i.grid_code, 6)))
)
SELECT 'day', day, county,
       CASE WHEN grouping(category_code) = 0 THEN 'category'
            WHEN grouping(source) = 0 THEN 'source'
            WHEN grouping(status) = 0 THEN 'status'
            WHEN grouping(town) = 0 THEN 'town'
            ELSE 'day' END AS facet,
       coalesce(category_code, source, status, town, '') AS key, count(*)
FROM x
GROUP BY GROUPING SETS ((day, county, category_code), (day, county, source),
                        (day, county, status), (day, county, town), (day, county))
ORDER BY 2, 3, 4, 5;

INSERT INTO case_facets_city
SELECT 'month', CAST(date_trunc('month', day) AS DATE), county, facet, key, sum(n)
FROM case_facets_city
WHERE span = 'day' AND day >= CAST(date_trunc('month', $since) AS DATE)
  AND ($counties IS NULL OR list_contains($counties, county))
GROUP BY ALL
ORDER BY 2, 3, 4, 5;
