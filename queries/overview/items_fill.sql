-- overview/items_fill: refill open_items and open_items_asof from the raw tables
--
-- Purpose: see queries/overview/items_schema.sql. valid_from is the newest event time of
--   the store (any lifecycle time of a case, a hazard found or rectified, a sensor alert
--   raised or handled), so at any moment after it "open" is "never closed", every item
--   has started, and a case's status is its stored one (closed: 已结案). The open part is
--   read by `IS NULL` (zone maps of the closed columns), the feed's part from
--   valid_from - 7 days (incidents are in report order: their newest row groups). Names
--   and the region codes come from categories, grids and regions by left joins (a row
--   without them keeps NULLs; the panel query drops it where the old inner joins did).
--   Run after the raw tables changed (dashboard/open_items.py refresh).
-- Parameters: none.
-- Columns: row_count (rows in open_items after the refill).
DELETE FROM open_items;

DELETE FROM open_items_asof;

INSERT INTO open_items_asof (valid_from)
SELECT greatest(
    (SELECT greatest(max(reported_at), max(registered_at), max(dispatched_at),
                     max(handled_at), max(verified_at), max(closed_at)) FROM incidents),
    (SELECT greatest(max(found_at), max(rectified_at)) FROM hazards),
    (SELECT greatest(max(alerted_at), max(handled_at)) FROM sensor_alerts));

INSERT INTO open_items
WITH cases AS (
    SELECT i.*, c.minor_name, c.major_name,
           i.closed_at IS NULL AND NOT i.is_void AND i.registered_at IS NOT NULL
               AND i.deadline_at IS NOT NULL AS alerting,
           i.reported_at >= w.valid_from - INTERVAL 7 DAY AS recent
    FROM incidents AS i
    JOIN categories AS c ON c.code = i.category_code
    CROSS JOIN open_items_asof AS w
    WHERE (i.closed_at IS NULL AND NOT i.is_void AND i.registered_at IS NOT NULL
           AND i.deadline_at IS NOT NULL)
       OR i.reported_at >= w.valid_from - INTERVAL 7 DAY
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
    SELECT kind, id, list(rank ORDER BY level) AS ranks, list(total ORDER BY level) AS totals,
           list(feed_rank ORDER BY level) AS feed_ranks,
           list(alarm_rank ORDER BY level) AS alarm_ranks
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

SELECT count(*) AS row_count FROM open_items;
