-- overview/items_rows: the rows of open_items without their per-level lists, as CTEs
--
-- Purpose: the one definition of what open_items holds (queries/overview/items_schema.sql),
--   included inside the WITH list of the full refill (overview/items_fill.sql, cases from
--   every incident) and of the incremental update (overview/items_update.sql, cases from
--   the TEMP view items_incidents: the incidents of the grids an import batch touched). A
--   block, not a query of its own. Cases: every case not void, registered, with a deadline
--   and never closed (alerting), and every case reported at or after $valid_from - 7 days
--   (the feed's week: report order, the newest row groups of incidents; two scans, not one
--   with an OR, so each can skip row groups by its zone maps); every 重大 hazard never
--   rectified; every sensor alert never handled. Names and the region codes come from
--   categories, grids and regions by left joins (a row without them keeps NULLs; the panel
--   query drops it where the old inner joins did). {{others}} false leaves the hazards
--   and sensor alerts out (the update after a batch that changed neither).
-- @slot cases: incidents items_incidents
-- @slot others: true false
-- Parameters: $valid_from (the store's newest event, overview/items_newest.sql).
-- Columns: items (one row per item: kind, id, …, the base columns of open_items and
--   recent); placed (items with the grid's names and region codes, listed, alarm).
open_cases AS (
    SELECT i.*, TRUE AS alerting
    FROM {{cases}} AS i
    WHERE i.closed_at IS NULL
      AND NOT i.is_void
      AND i.registered_at IS NOT NULL
      AND i.deadline_at IS NOT NULL
),
cases AS (
    SELECT i.*, c.minor_name, c.major_name,
           i.reported_at >= CAST($valid_from AS TIMESTAMP) - INTERVAL 7 DAY AS recent
    FROM (
        SELECT * FROM open_cases
        UNION ALL
        -- the feed's week (report order: the newest row groups), less the open ones above
        SELECT i.*, FALSE
        FROM {{cases}} AS i
        WHERE i.reported_at >= CAST($valid_from AS TIMESTAMP) - INTERVAL 7 DAY
          AND NOT (i.closed_at IS NULL AND NOT i.is_void AND i.registered_at IS NOT NULL
                   AND i.deadline_at IS NOT NULL)
    ) AS i
    JOIN categories AS c ON c.code = i.category_code
),
items AS (
    SELECT 'case' AS kind, id, case_no AS ref, minor_name AS title, major_name AS major,
           source,
           CASE WHEN is_void THEN status WHEN closed_at IS NOT NULL THEN '已结案'
                ELSE status END AS status,
           is_void, grid_code, lon, lat, reported_at, registered_at AS start_at,
           deadline_at AS due_at,
           registered_at + (deadline_at - registered_at) * 0.8 AS warn_at,
           epoch(deadline_at) AS urgency, alerting, recent, FALSE AS critical
    FROM cases
    UNION ALL
    SELECT 'major_hazard', id, hazard_no, type || '隐患', NULL, NULL, NULL, FALSE,
           grid_code, lon, lat, NULL, found_at, NULL, NULL, -epoch(found_at), TRUE, FALSE,
           TRUE
    FROM hazards
    WHERE rectified_at IS NULL
      AND risk_level = '重大'
      AND {{others}}
    UNION ALL
    SELECT 'iot', a.id, s.code, s.type || '告警', NULL, NULL, NULL, FALSE, a.grid_code,
           s.lon, s.lat, NULL, a.alerted_at, NULL, NULL, -epoch(a.alerted_at), TRUE, FALSE,
           a.level = '严重'
    FROM sensor_alerts AS a
    JOIN sensors AS s ON s.id = a.sensor_id
    WHERE a.handled_at IS NULL
      AND {{others}}
),
placed AS (
    SELECT o.*, g.name AS grid, v.code AS village_code, v.name AS village,
           t.code AS town_code, t.name AS town, cn.code AS county_code, cn.name AS county,
           o.recent AND cn.code IS NOT NULL AS listed,
           o.critical AND v.code IS NOT NULL AS alarm
    FROM items AS o
    LEFT JOIN grids AS g ON g.code = o.grid_code
    LEFT JOIN regions AS v ON v.code = g.village_code
    LEFT JOIN regions AS t ON t.code = v.parent_code
    LEFT JOIN regions AS cn ON cn.code = t.parent_code
),
