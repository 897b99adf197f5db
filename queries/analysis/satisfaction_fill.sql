-- analysis/satisfaction_fill: refill satisfaction_city for some counties from a day on
-- (migration 017)
--
-- Purpose: the rows of satisfaction_city (queries/analysis/satisfaction_schema.sql) of the
--   counties $counties (every county when NULL) from $since on (day rows of days >=
--   $since, month rows of months from $since's month) are deleted and computed again from
--   survey_case_daily: per survey day, county and facet value the summed follow-ups, then
--   the month rows from the day rows. After an import batch $counties and $since are the
--   counties and the earliest day of the survey_case_daily rows the batch changed
--   (queries/analysis/surveys_changed.sql, or surveys_new.sql for new cases), so the
--   refill reads only the recent days a batch of recent surveys or cases changed, and the
--   result equals a full refill (tested). Only surveys of cases whose 小类 is in
--   categories count, as theme/satisfaction.sql joins it.
-- Parameters: $counties  VARCHAR[] of 6-digit county codes, or NULL for all;
--   $since  DATE, the first day to recompute.
-- Columns: none.
DELETE FROM satisfaction_city
WHERE ($counties IS NULL OR list_contains($counties, county))
  AND ((span = 'day' AND day >= $since)
       OR (span = 'month' AND day >= CAST(date_trunc('month', $since) AS DATE)));

INSERT INTO satisfaction_city
WITH x AS (
    SELECT x.day, left(x.grid_code, 6) AS county, x.category_code, x.dept_code,
           left(x.grid_code, 9) AS town, x.band, x.rating, x.surveys, x.hours_sum,
           x.hours_n
    FROM survey_case_daily AS x
    SEMI JOIN categories AS c ON c.code = x.category_code
    WHERE x.day >= $since
      AND ($counties IS NULL OR list_contains($counties, left(x.grid_code, 6)))
)
SELECT 'day', day, county,
       CASE WHEN grouping(category_code) = 0 THEN 'category'
            WHEN grouping(dept_code) = 0 THEN 'department'
            WHEN grouping(town) = 0 THEN 'town'
            WHEN grouping(band) = 0 THEN 'band'
            ELSE 'rating' END AS facet,
       CASE WHEN grouping(category_code) = 0 THEN category_code
            WHEN grouping(dept_code) = 0 THEN dept_code
            WHEN grouping(town) = 0 THEN town
            WHEN grouping(band) = 0 THEN band
            ELSE rating END AS key,
       CAST(sum(surveys) AS BIGINT),
       CAST(coalesce(sum(surveys) FILTER (WHERE rating IS NOT NULL), 0) AS BIGINT),
       CAST(coalesce(sum(surveys) FILTER (WHERE rating IN ('满意', '基本满意')), 0) AS BIGINT),
       CAST(coalesce(sum(surveys) FILTER (WHERE rating = '不满意'), 0) AS BIGINT),
       sum(hours_sum), CAST(sum(hours_n) AS BIGINT)
FROM x
GROUP BY GROUPING SETS ((day, county, category_code), (day, county, dept_code),
                        (day, county, town), (day, county, band), (day, county, rating))
ORDER BY 2, 3, 4, 5;

INSERT INTO satisfaction_city
SELECT 'month', CAST(date_trunc('month', day) AS DATE), county, facet, key, sum(surveys),
       sum(rated), sum(satisfied), sum(unsatisfied), sum(hours_sum), sum(hours_n)
FROM satisfaction_city
WHERE span = 'day' AND day >= CAST(date_trunc('month', $since) AS DATE)
  AND ($counties IS NULL OR list_contains($counties, county))
GROUP BY ALL
ORDER BY 2, 3, 4, 5;
