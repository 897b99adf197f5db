-- overview/playback_hour_units: reports per map unit and hour, for the hourly replay
--
-- Purpose: the map frames of 态势回放 by hour (dashboard/playback.py hourly_frames): the
--   cases reported in each hour of [$start, $end) per unit of the map (the first $len
--   characters of the grid code), void cases included (as the KPI 上报数). The replay sums
--   24 of them per frame. A window of days: incidents are stored in report order, so the
--   reported_at range reads a few row groups.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $len     length of the map units' codes (9 town, 12 village, 15 grid, ...)
--   $start   first hour (TIMESTAMP, on the hour)
--   $end     end of the last hour (TIMESTAMP, exclusive)
-- Columns: unit, hour (TIMESTAMP, the hour's start), reported (BIGINT).
-- DuckDB-only: starts_with, date_trunc.
SELECT substr(grid_code, 1, $len) AS unit,
       date_trunc('hour', reported_at) AS hour,
       count(*) AS reported
FROM incidents
WHERE starts_with(grid_code, $prefix)
  AND reported_at >= $start AND reported_at < $end
GROUP BY ALL
