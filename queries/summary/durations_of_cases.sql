-- summary/durations_of_cases: the SELECT list of a case_durations row (a block, not a query)
--
-- Purpose: included by summary/case_durations.sql, summary/durations_touched.sql and
--   summary/durations_new_cases.sql (and frozen in migration 010), so every path computes the
--   durations with the expressions kpi/incident_quantiles.sql used on raw incidents.
-- Parameters: none. Reads an incidents row (unqualified column names).
SELECT grid_code, CAST(closed_at AS DATE) AS closed_day,
       CASE WHEN handled_at IS NOT NULL AND registered_at IS NOT NULL
            THEN (epoch(handled_at) - epoch(registered_at)) / 3600.0 END AS handle_hours,
       (epoch(closed_at) - epoch(reported_at)) / 3600.0 AS close_hours
