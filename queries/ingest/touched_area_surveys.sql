-- ingest/touched_area_surveys: the (area, day) keys of area_survey_daily rows a batch can
-- change
--
-- Purpose: as ingest_touched_surveys, for 群众满意度测评: the area code goes in the
--   grid_code column of TEMP ingest_touched (kind 'area_surveys'; dashboard/kpi/summaries.py
--   refreshes only area_survey_daily for those keys). Run before the write for the old
--   versions of updated rows and after it for the new ones.
-- Parameters: none. Reads TEMP ingest_diff.
-- Columns: none (inserts grid_code, day, kind, updated).
INSERT INTO ingest_touched
SELECT DISTINCT a.area_code, CAST(a.surveyed_at AS DATE) AS day, 'area_surveys' AS kind,
       x.op = 'update' AS updated
FROM area_surveys AS a
JOIN ingest_diff AS x ON x.survey_no = a.survey_no AND x.op <> 'same';
