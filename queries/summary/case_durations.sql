-- summary/case_durations: refill case_durations (the quantile KPIs' durations) from incidents
--
-- Purpose: queries/kpi/incident_quantiles.sql ranks the handling time (立案 → 处置) and the
--   closing time (上报 → 结案) of the non-void cases closed in a period; this table holds
--   them per closed case, with the expressions that query used on raw incidents (the same
--   doubles, so the same quantiles), in (closed_day, grid_code) order so a period reads
--   only its own row groups. The key-wise and additive refreshes use
--   summary/durations_touched.sql and summary/durations_new_cases.sql.
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill).
DELETE FROM case_durations;

INSERT INTO case_durations (grid_code, closed_day, handle_hours, close_hours)
-- @include summary/durations_of_cases
FROM incidents
WHERE NOT is_void AND closed_at IS NOT NULL
ORDER BY closed_day, grid_code;

SELECT count(*) AS row_count FROM case_durations;
