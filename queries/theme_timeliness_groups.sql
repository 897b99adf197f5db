-- theme_timeliness_groups: time-limit states and handling-time distributions of the
-- filtered cases
--
-- Purpose: the 时效 page's traffic lights, distributions and on-time trend in one scan.
--   light: every registered, not voided case by its state now — 按期办结, 超期办结, and for
--   open cases 正常 (< 80 % of its time limit used), 临期 (80–100 %), 超期 (past the
--   deadline); cases not yet registered are 未立案, registered cases without a deadline
--   (no time limit in their source or category) 无时限, open or closed: they are neither
--   on time nor late. duration: the three case durations with the registry's per-case
--   definitions (docs/kpi.md) over the page's cases: response 上报 → 立案 (registered
--   cases), handle 立案 → 处置 (closed cases with both times), close 上报 → 结案 (closed
--   cases). The other facets cover the closed cases with 立案 and 处置 times: handling
--   hours (处置 − 立案, as 平均处置时长) by tier, department and 大类, and closures per week
--   with those with a deadline (n_dl) and those closed by it (按期).
-- Parameters: $prefix, $start, $end, $majors, $minors, $sources, $statuses, $grids as in
--   cases_filtered.sql (included); $now current time
-- Columns: facet ('light' | 'duration' | 'tier' | 'department' | 'major' | 'week'), key,
--   label, n, n_dl (of them with a deadline), ontime (closed by the deadline), mean_hours,
--   p10, p25, p50, p75, p90 (hours; NULL for 'light').
--   Every group's five quantiles come from one sort (quantile_cont with a list); the
--   three durations are columns of one aggregate row, not a row per case and duration.
-- DuckDB-only: starts_with, list_contains, epoch, quantile_cont, GROUPING SETS.
WITH f AS (
    -- @include cases_filtered
),
c AS (
    SELECT f.tier, coalesce(d.name, '（未指定）') AS department, f.major_code, f.major,
           CAST(date_trunc('week', f.closed_at) AS DATE) AS week,
           f.closed_at <= f.deadline_at AS ontime, f.deadline_at IS NOT NULL AS limited,
           (epoch(f.handled_at) - epoch(f.registered_at)) / 3600.0 AS hours
    FROM f LEFT JOIN departments AS d ON d.code = f.dept_code
    WHERE NOT f.is_void AND f.closed_at IS NOT NULL AND f.closed_at <= $now
      AND f.registered_at IS NOT NULL AND f.handled_at IS NOT NULL
),
g AS (
    SELECT CASE WHEN grouping(tier) = 0 THEN 'tier'
                WHEN grouping(department) = 0 THEN 'department'
                WHEN grouping(major_code) = 0 THEN 'major'
                ELSE 'week' END AS facet,
           coalesce(tier, department, major_code, CAST(week AS VARCHAR)) AS key,
           coalesce(tier, department, major, CAST(week AS VARCHAR)) AS label,
           count(*) AS n, count(*) FILTER (WHERE limited) AS n_dl,
           count(*) FILTER (WHERE ontime) AS ontime, avg(hours) AS mean_hours,
           quantile_cont(hours, [0.1, 0.25, 0.5, 0.75, 0.9]) AS q
    FROM c
    GROUP BY GROUPING SETS ((tier), (department), (major_code, major), (week))
),
d AS (
    -- the three durations as columns of one aggregate row (no row per case and duration)
    SELECT count(response) AS n_response, avg(response) AS m_response,
           quantile_cont(response, [0.1, 0.25, 0.5, 0.75, 0.9]) AS q_response,
           count(handle) AS n_handle, avg(handle) AS m_handle,
           quantile_cont(handle, [0.1, 0.25, 0.5, 0.75, 0.9]) AS q_handle,
           count(close) AS n_close, avg(close) AS m_close,
           quantile_cont(close, [0.1, 0.25, 0.5, 0.75, 0.9]) AS q_close
    FROM (
        SELECT CASE WHEN registered_at <= $now
                    THEN (epoch(registered_at) - epoch(reported_at)) / 3600.0 END AS response,
               CASE WHEN closed_at <= $now
                    THEN (epoch(handled_at) - epoch(registered_at)) / 3600.0 END AS handle,
               CASE WHEN closed_at <= $now
                    THEN (epoch(closed_at) - epoch(reported_at)) / 3600.0 END AS close
        FROM f
        WHERE NOT is_void
    )
),
du AS (
    SELECT unnest([
        {'key': 'response', 'label': '响应时长（上报→立案）', 'n': n_response,
         'mean': m_response, 'q': q_response},
        {'key': 'handle', 'label': '处置时长（立案→处置）', 'n': n_handle, 'mean': m_handle,
         'q': q_handle},
        {'key': 'close', 'label': '办结时长（上报→结案）', 'n': n_close, 'mean': m_close,
         'q': q_close}
    ]) AS u
    FROM d
),
l AS (
    SELECT CASE WHEN registered_at IS NULL THEN '未立案'
                WHEN deadline_at IS NULL THEN '无时限'
                WHEN closed_at IS NOT NULL AND closed_at <= $now
                    THEN CASE WHEN closed_at <= deadline_at THEN '按期办结' ELSE '超期办结' END
                WHEN deadline_at < $now THEN '超期'
                WHEN epoch($now) - epoch(registered_at)
                     >= 0.8 * (epoch(deadline_at) - epoch(registered_at)) THEN '临期'
                ELSE '正常' END AS state
    FROM f
    WHERE NOT is_void
)
SELECT facet, key, label, n, n_dl, ontime, mean_hours, q[1] AS p10, q[2] AS p25,
       q[3] AS p50, q[4] AS p75, q[5] AS p90
FROM g
UNION ALL
SELECT 'duration', u.key, u.label, u.n, NULL, NULL, u.mean, u.q[1], u.q[2], u.q[3], u.q[4],
       u.q[5]
FROM du
WHERE u.n > 0
UNION ALL
SELECT 'light', state, state, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM l GROUP BY state
ORDER BY facet, key
