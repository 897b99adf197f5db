-- overview/playback_hour_cards: the region's cards of the hourly replay, hour by hour
--
-- Purpose: the frame cards of 态势回放 by hour (dashboard/playback.py hourly_frames), with
--   the KPI registry's definitions at an hour instead of a day: 上报 (reported in the hour,
--   void included), 结案 (non-void cases closed in the hour), 超期未结 (non-void cases with
--   a deadline before the hour's end not closed by it) and 未整改隐患 (hazards found before
--   the hour's end not rectified by it). The stocks are counted over the few rows that can
--   be in them during the window: cases with a deadline before its end that were still open
--   at its start, hazards found before its end still open at its start.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $start   first hour (TIMESTAMP, on the hour)
--   $end     end of the last hour (TIMESTAMP, exclusive)
-- Columns: hour (TIMESTAMP, the hour's start), reported, closed, overdue, open_hazards
--   (BIGINT); one row per hour of the window, in order.
-- DuckDB-only: starts_with, date_trunc, generate_series.
WITH hours AS (
    SELECT unnest(generate_series($start, $end - INTERVAL 1 HOUR, INTERVAL 1 HOUR)) AS hour
),
flow AS (
    SELECT date_trunc('hour', reported_at) AS hour, count(*) AS reported
    FROM incidents
    WHERE starts_with(grid_code, $prefix) AND reported_at >= $start AND reported_at < $end
    GROUP BY 1
),
done AS (
    SELECT date_trunc('hour', closed_at) AS hour, count(*) AS closed
    FROM incidents
    WHERE starts_with(grid_code, $prefix) AND NOT is_void
      AND closed_at >= $start AND closed_at < $end
    GROUP BY 1
),
due AS (
    SELECT deadline_at, closed_at
    FROM incidents
    WHERE starts_with(grid_code, $prefix) AND NOT is_void
      AND deadline_at < $end AND (closed_at IS NULL OR closed_at >= $start)
),
haz AS (
    SELECT found_at, rectified_at
    FROM hazards
    WHERE starts_with(grid_code, $prefix)
      AND found_at < $end AND (rectified_at IS NULL OR rectified_at >= $start)
)
SELECT h.hour,
       coalesce(f.reported, 0) AS reported,
       coalesce(d.closed, 0) AS closed,
       (SELECT count(*) FROM due
        WHERE deadline_at < h.hour + INTERVAL 1 HOUR
          AND (closed_at IS NULL OR closed_at >= h.hour + INTERVAL 1 HOUR)) AS overdue,
       (SELECT count(*) FROM haz
        WHERE found_at < h.hour + INTERVAL 1 HOUR
          AND (rectified_at IS NULL OR rectified_at >= h.hour + INTERVAL 1 HOUR)) AS open_hazards
FROM hours AS h
LEFT JOIN flow AS f USING (hour)
LEFT JOIN done AS d USING (hour)
ORDER BY h.hour
