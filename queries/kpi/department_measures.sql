-- kpi/department_measures: per handling department, the KPI measures of a scope and period
--
-- Purpose: the inputs of dashboard.kpi.evaluation.score_departments. The summary tables
--   have no department dimension, so this reads raw rows, scoped by the grid of each row
--   (a case's or a hazard's; a survey through its case): a city bureau seen from a county
--   scope is judged on that county's rows only. Every measure is the registry's
--   (docs/kpi.md, the flags of queries/kpi_drill_*.sql), per department:
--   cases: incidents.dept_code, non-void; surveys: the dept_code of the surveyed case;
--   hazards: hazards.dept_code. Rows without a department are no department's record.
--   A department is listed when it had cases of the scope to close in the period: closed in
--   it, or open past their deadline at its end (closed_due > 0).
-- Parameters:
--   $prefix  scope region short code (validated by Scope); starts_with(grid_code, $prefix)
--   $start   period start, inclusive (TIMESTAMP, Asia/Shanghai: date_from 00:00)
--   $end     period end, exclusive (TIMESTAMP: date_to + 1 day 00:00)
-- Columns: dept_code, name (department name, the code when unknown), tier (NULL when
--   unknown), then counts named as the engine measures: closed, closed_ontime, closed_late,
--   overdue_open, closed_due (closed + overdue_open), closed_dl (closed with a deadline:
--   cases without one, 无时限, are out of the on-time denominators), closed_dl_due
--   (closed_dl + overdue_open), reworked, online, handle_n,
--   handle_hours (Σ handled_at − registered_at over handle_n cases, hours), registered,
--   response_hours (Σ registered_at − reported_at, hours), handled, backlog, handled_due;
--   surveys, rated, satisfied_any; rectified, rectified_ontime, hz_open, hz_open_overdue,
--   rectify_due, ontime_due. Ordered by dept_code.
-- DuckDB-only: starts_with() (Spark 3.3+: startswith()), epoch() (Spark: unix_micros/1e6).
WITH cases AS (
    SELECT dept_code,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end THEN 1 ELSE 0 END) AS closed,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end
                     AND closed_at <= deadline_at THEN 1 ELSE 0 END) AS closed_ontime,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end
                     AND closed_at > deadline_at THEN 1 ELSE 0 END) AS closed_late,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end
                     AND deadline_at IS NOT NULL THEN 1 ELSE 0 END) AS closed_dl,
           sum(CASE WHEN deadline_at < $end AND (closed_at IS NULL OR closed_at >= $end)
                    THEN 1 ELSE 0 END) AS overdue_open,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end
                     AND rework_count > 0 THEN 1 ELSE 0 END) AS reworked,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end
                     AND handled_online THEN 1 ELSE 0 END) AS online,
           sum(CASE WHEN closed_at >= $start AND closed_at < $end AND handled_at IS NOT NULL
                     AND registered_at IS NOT NULL THEN 1 ELSE 0 END) AS handle_n,
           coalesce(sum(CASE WHEN closed_at >= $start AND closed_at < $end
                             THEN epoch(handled_at) - epoch(registered_at) END), 0)
               / 3600.0 AS handle_hours,
           sum(CASE WHEN registered_at >= $start AND registered_at < $end
                    THEN 1 ELSE 0 END) AS registered,
           coalesce(sum(CASE WHEN registered_at >= $start AND registered_at < $end
                             THEN epoch(registered_at) - epoch(reported_at) END), 0)
               / 3600.0 AS response_hours,
           sum(CASE WHEN dispatched_at IS NOT NULL AND handled_at >= $start
                     AND handled_at < $end THEN 1 ELSE 0 END) AS handled,
           sum(CASE WHEN dispatched_at < $end AND (handled_at IS NULL OR handled_at >= $end)
                    THEN 1 ELSE 0 END) AS backlog
    FROM incidents
    WHERE starts_with(grid_code, $prefix)
      AND NOT is_void
      AND dept_code IS NOT NULL
      AND reported_at < $end
    GROUP BY dept_code
),
survey AS (
    SELECT i.dept_code,
           count(*) AS surveys,
           count(s.rating) AS rated,
           sum(CASE WHEN s.rating IN ('满意', '基本满意') THEN 1 ELSE 0 END) AS satisfied_any
    FROM surveys AS s
    JOIN incidents AS i ON i.id = s.incident_id
    WHERE starts_with(i.grid_code, $prefix)
      AND i.dept_code IS NOT NULL
      AND s.surveyed_at >= $start
      AND s.surveyed_at < $end
    GROUP BY i.dept_code
),
hazard AS (
    SELECT dept_code,
           sum(CASE WHEN rectified_at >= $start AND rectified_at < $end
                    THEN 1 ELSE 0 END) AS rectified,
           sum(CASE WHEN rectified_at >= $start AND rectified_at < $end
                     AND rectified_at <= deadline_at THEN 1 ELSE 0 END) AS rectified_ontime,
           sum(CASE WHEN rectified_at IS NULL OR rectified_at >= $end
                    THEN 1 ELSE 0 END) AS hz_open,
           sum(CASE WHEN deadline_at < $end AND (rectified_at IS NULL OR rectified_at >= $end)
                    THEN 1 ELSE 0 END) AS hz_open_overdue
    FROM hazards
    WHERE starts_with(grid_code, $prefix)
      AND dept_code IS NOT NULL
      AND found_at < $end
    GROUP BY dept_code
)
SELECT c.dept_code,
       coalesce(d.name, c.dept_code) AS name,
       d.tier,
       c.closed, c.closed_ontime, c.closed_late, c.overdue_open,
       c.closed + c.overdue_open AS closed_due,
       c.closed_dl, c.closed_dl + c.overdue_open AS closed_dl_due,
       c.reworked, c.online, c.handle_n, c.handle_hours, c.registered, c.response_hours,
       c.handled, c.backlog, c.handled + c.backlog AS handled_due,
       coalesce(s.surveys, 0) AS surveys,
       coalesce(s.rated, 0) AS rated,
       coalesce(s.satisfied_any, 0) AS satisfied_any,
       coalesce(h.rectified, 0) AS rectified,
       coalesce(h.rectified_ontime, 0) AS rectified_ontime,
       coalesce(h.hz_open, 0) AS hz_open,
       coalesce(h.hz_open_overdue, 0) AS hz_open_overdue,
       coalesce(h.rectified, 0) + coalesce(h.hz_open, 0) AS rectify_due,
       coalesce(h.rectified, 0) + coalesce(h.hz_open_overdue, 0) AS ontime_due
FROM cases AS c
LEFT JOIN survey AS s ON s.dept_code = c.dept_code
LEFT JOIN hazard AS h ON h.dept_code = c.dept_code
LEFT JOIN departments AS d ON d.code = c.dept_code
WHERE c.closed + c.overdue_open > 0
ORDER BY c.dept_code
