-- overview/items_fill: refill open_items and open_items_asof from the raw tables
--
-- Purpose: see queries/overview/items_schema.sql. valid_from is the newest event time of
--   the store (any lifecycle time of a case, a hazard found or rectified, a sensor alert
--   raised or handled), so at any moment after it "open" is "never closed", every item
--   has started, and a case's status is its stored one (closed: 已结案). The open part is
--   read by `IS NULL`, the feed's part from valid_from - 7 days (incidents are in report
--   order: their newest row groups; two scans, not one with an OR, so each can skip row
--   groups by its zone maps). Names
--   and the region codes come from categories, grids and regions by left joins (a row
--   without them keeps NULLs; the panel query drops it where the old inner joins did).
--   Run after the raw tables changed (dashboard/open_items.py refresh).
-- Parameters:
--   $valid_from  the store's newest event (overview/items_newest.sql; NULL: empty store)
-- Columns: none (a script).
DELETE FROM open_items;

DELETE FROM open_items_asof;

INSERT INTO open_items_asof (valid_from) VALUES (CAST($valid_from AS TIMESTAMP));

INSERT INTO open_items
WITH open_cases AS (
    SELECT i.*, TRUE AS alerting
    FROM incidents AS i
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
        FROM incidents AS i
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
    UNION ALL
    SELECT 'iot', a.id, s.code, s.type || '告警', NULL, NULL, NULL, FALSE, a.grid_code,
           s.lon, s.lat, NULL, a.alerted_at, NULL, NULL, -epoch(a.alerted_at), TRUE, FALSE,
           a.level = '严重'
    FROM sensor_alerts AS a
    JOIN sensors AS s ON s.id = a.sensor_id
    WHERE a.handled_at IS NULL
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
-- each row once per level (city, county, town, village, grid: the first 4, 6, 9, 12, 15
-- digits of its grid code), ranked inside that region
levels AS (
    SELECT p.kind, p.id, l.level, left(p.grid_code, l.digits) AS scope,
           p.urgency, p.start_at, p.reported_at, p.listed, p.alarm
    FROM placed AS p
    CROSS JOIN (VALUES (1, 4), (2, 6), (3, 9), (4, 12), (5, 15)) AS l(level, digits)
),
ranked AS (
    SELECT kind, id, level,
           CASE WHEN kind <> 'case' THEN row_number() OVER (
               PARTITION BY scope, kind ORDER BY urgency, id) END AS rank,
           CASE WHEN kind <> 'case' THEN count(*) OVER (
               PARTITION BY scope, kind) END AS total,
           CASE WHEN listed THEN row_number() OVER (
               PARTITION BY scope, listed ORDER BY reported_at DESC, id DESC) END AS feed_rank,
           CASE WHEN alarm THEN row_number() OVER (
               PARTITION BY scope, alarm ORDER BY start_at DESC, kind, id DESC) END
               AS alarm_rank
    FROM levels
),
lists AS (
    -- the five levels in order (a list aggregate with ORDER BY would sort every row)
    SELECT kind, id,
           [max(rank) FILTER (level = 1), max(rank) FILTER (level = 2),
            max(rank) FILTER (level = 3), max(rank) FILTER (level = 4),
            max(rank) FILTER (level = 5)] AS ranks,
           [max(total) FILTER (level = 1), max(total) FILTER (level = 2),
            max(total) FILTER (level = 3), max(total) FILTER (level = 4),
            max(total) FILTER (level = 5)] AS totals,
           [max(feed_rank) FILTER (level = 1), max(feed_rank) FILTER (level = 2),
            max(feed_rank) FILTER (level = 3), max(feed_rank) FILTER (level = 4),
            max(feed_rank) FILTER (level = 5)] AS feed_ranks,
           [max(alarm_rank) FILTER (level = 1), max(alarm_rank) FILTER (level = 2),
            max(alarm_rank) FILTER (level = 3), max(alarm_rank) FILTER (level = 4),
            max(alarm_rank) FILTER (level = 5)] AS alarm_ranks
    FROM ranked
    GROUP BY kind, id
)
SELECT p.kind, p.id, p.ref, p.title, p.major, p.source, p.status, p.is_void, p.grid_code,
       p.grid, p.village_code, p.village, p.town_code, p.town, p.county_code, p.county,
       p.lon, p.lat, p.reported_at, p.start_at, p.due_at, p.warn_at, p.urgency, p.alerting,
       p.listed, p.critical, r.ranks, r.totals, r.feed_ranks, r.alarm_ranks
FROM placed AS p
JOIN lists AS r ON r.kind = p.kind AND r.id = p.id
ORDER BY p.grid_code, p.kind, p.id;
