-- summary/survey_daily: refill survey_daily (回访 per grid x day x channel)
--
-- Purpose: 满意率 and 参评率 without reading surveys rows (its rows: summary/survey_daily_rows.sql).
-- Parameters: none.
-- Columns: row_count (rows in the table after the refill, which runs in grid_code, day
--   order so a grid prefix prunes row groups: docs/schema.md, Clustering).
DELETE FROM survey_daily;

INSERT INTO survey_daily (
    grid_code, day, channel, surveys, rated, satisfied, basic_satisfied, unsatisfied
)
WITH
    -- @include summary/survey_daily_rows rows=surveys
SELECT * FROM daily
ORDER BY grid_code, day, channel;

SELECT count(*) AS row_count FROM survey_daily;
