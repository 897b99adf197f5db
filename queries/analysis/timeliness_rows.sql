-- analysis/timeliness_rows: the 时效 page's additive rows of a set of cases (included)
--
-- Purpose: the one definition of what the 时效 page sums, used by the period table's fill
--   (queries/analysis/period_fill.sql, cases=period_cases: every case reported since a
--   day) and by the page's read of filtered cases (theme/timeliness_cases.sql, cases=f),
--   so both paths give the same numbers. Per report day and area, left(grid_code, the
--   digits slot): the county (6) for the period table, whose county rows a county reads
--   and whose sum over the counties a city reads; the city (4) for the filtered cases,
--   which the read sums over the period and its region anyway (fewer groups):
--   reached   key '1'..'6': cases that reached 上报 (every case), 立案 … 结案 (not voided);
--   stage     key '2'..'6': hours from the previous stage (not voided), by histogram bin;
--   duration  key response (上报→立案), handle (立案→处置, key2 = the case's tier; the
--             closed cases with both times, with n_dl / ontime: the tier boxes), close
--             (上报→结案 of closed cases), by histogram bin;
--   department, major, week (of closing): the closed cases with 立案 and 处置 times:
--             n, n_dl, ontime, hours_sum of their 处置 − 立案 hours;
--   light     the states that no longer change: 未立案, 无时限, 按期办结, 超期办结 (open
--             cases' states depend on now: open_case_keys at read time).
--   Assumes no stored time is after now (the loader quarantines future times; the as-of
--   day of a stale store is its last day), as the page's "now" is.
--   bin = floor(100 · log10(max(hours, 0.001))): 100 bins a decade (docs/analysis.md).
-- @slot cases: period_cases f
-- @slot digits: 6 4
-- Parameters: none.
-- Columns: day, area, facet, key, key2, bin, n, n_dl, ontime, hours_sum.
-- DuckDB-only: epoch, unnest of parallel lists, GROUP BY ALL.
WITH t AS (
    SELECT CAST(i.reported_at AS DATE) AS day, left(i.grid_code, {{digits}}) AS area,
           i.is_void, i.tier, i.dept_code, k.major_code, i.registered_at, i.dispatched_at,
           i.handled_at, i.verified_at, i.closed_at, i.deadline_at,
           (epoch(i.registered_at) - epoch(i.reported_at)) / 3600.0 AS h2,
           (epoch(i.dispatched_at) - epoch(i.registered_at)) / 3600.0 AS h3,
           (epoch(i.handled_at) - epoch(i.dispatched_at)) / 3600.0 AS h4,
           (epoch(i.verified_at) - epoch(i.handled_at)) / 3600.0 AS h5,
           (epoch(i.closed_at) - epoch(i.verified_at)) / 3600.0 AS h6,
           (epoch(i.closed_at) - epoch(i.reported_at)) / 3600.0 AS hc,
           (epoch(i.handled_at) - epoch(i.registered_at)) / 3600.0 AS hh,
           i.deadline_at IS NOT NULL AS dl, coalesce(i.closed_at <= i.deadline_at, FALSE) AS ok
    FROM {{cases}} AS i
    JOIN categories AS k ON k.code = i.category_code
),
live AS (
    SELECT * FROM t WHERE NOT is_void
),
done AS (
    -- closed cases with 立案 and 处置 times: the handling hours hh
    SELECT * FROM live WHERE closed_at IS NOT NULL AND hh IS NOT NULL
),
hours AS (
    -- the stage hours and the response and close durations, one row per value
    SELECT day, area, facet, key, hours
    FROM (
        SELECT day, area,
               unnest(['stage', 'stage', 'stage', 'stage', 'stage', 'duration',
                       'duration']) AS facet,
               unnest(['2', '3', '4', '5', '6', 'response', 'close']) AS key,
               unnest([h2, h3, h4, h5, h6, h2, hc]) AS hours
        FROM live
    )
    WHERE hours IS NOT NULL
),
reached AS (
    SELECT day, area, count(*) AS r1, count(registered_at) FILTER (WHERE NOT is_void) AS r2,
           count(dispatched_at) FILTER (WHERE NOT is_void) AS r3,
           count(handled_at) FILTER (WHERE NOT is_void) AS r4,
           count(verified_at) FILTER (WHERE NOT is_void) AS r5,
           count(closed_at) FILTER (WHERE NOT is_void) AS r6
    FROM t
    GROUP BY day, area
)
SELECT day, area, 'reached' AS facet, key, '' AS key2, NULL::SMALLINT AS bin, n,
       0::BIGINT AS n_dl, 0::BIGINT AS ontime, 0.0::DOUBLE AS hours_sum
FROM (
    SELECT day, area, unnest(['1', '2', '3', '4', '5', '6']) AS key,
           unnest([r1, r2, r3, r4, r5, r6]) AS n
    FROM reached
)
WHERE n > 0
UNION ALL
SELECT day, area, facet, key, '', CAST(floor(100 * log10(greatest(hours, 0.001))) AS SMALLINT),
       count(*), 0, 0, sum(hours)
FROM hours
GROUP BY ALL
UNION ALL
SELECT day, area, 'duration', 'handle', tier,
       CAST(floor(100 * log10(greatest(hh, 0.001))) AS SMALLINT), count(*),
       count(*) FILTER (WHERE dl), count(*) FILTER (WHERE ok), sum(hh)
FROM done
GROUP BY ALL
UNION ALL
SELECT day, area, 'department', dept_code, '', NULL, count(*), count(*) FILTER (WHERE dl),
       count(*) FILTER (WHERE ok), sum(hh)
FROM done
GROUP BY ALL
UNION ALL
SELECT day, area, 'major', major_code, '', NULL, count(*), count(*) FILTER (WHERE dl),
       count(*) FILTER (WHERE ok), sum(hh)
FROM done
GROUP BY ALL
UNION ALL
SELECT day, area, 'week', CAST(CAST(date_trunc('week', closed_at) AS DATE) AS VARCHAR), '',
       NULL, count(*), count(*) FILTER (WHERE dl), count(*) FILTER (WHERE ok), sum(hh)
FROM done
GROUP BY ALL
UNION ALL
SELECT day, area, 'light',
       CASE WHEN registered_at IS NULL THEN '未立案'
            WHEN deadline_at IS NULL THEN '无时限'
            WHEN closed_at <= deadline_at THEN '按期办结' ELSE '超期办结' END,
       '', NULL, count(*), 0, 0, 0.0
FROM live
WHERE registered_at IS NULL OR deadline_at IS NULL OR closed_at IS NOT NULL
GROUP BY ALL
