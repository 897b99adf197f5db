-- overview/alerts: what needs attention now in a scope (预警), counts and newest items
--
-- Purpose: the overview's alert list at a moment ($now: now, or the as-of moment of a
--   store shown as of a past day, dashboard/asof.py). Everything is as it stood then: a
--   case closed, a hazard rectified or an alert handled after $now is still open at $now,
--   and nothing reported after it exists yet. Four kinds, after the 80 % / 100 %
--   time-limit rule of grid case handling:
--     overdue       红灯: open case (not void, not closed by $now) past its deadline_at
--     due_soon      黄灯: open case not yet overdue whose elapsed time since 立案 has
--                   reached 80 % of its time limit (registered_at → deadline_at)
--     major_hazard  open hazard (not rectified) of risk level 重大
--     iot           unhandled sensor alert (level 一般 or 严重)
--   Each row carries the kind's total count so one query fills both the counters and the
--   list. Items are ordered most urgent first: overdue and due_soon by deadline, hazards
--   and sensor alerts newest first; `critical` marks major hazards and 严重 sensor alerts,
--   which a kiosk screen jumps to when a new one arrives.
-- Parameters:
--   $prefix  scope short code (validated by Scope)
--   $now     the moment (TIMESTAMP, the store's wall time)
--   $n       items per kind
--   $tables  BOOLEAN: open_cases covers $now (queries/cases/window_at.sql, column alerts)
-- Columns: kind, total (BIGINT, all items of the kind), id, ref (case or hazard number,
--   sensor code), at (deadline for cases, found or alerted time otherwise), title,
--   grid_code, village, village_code (12 digits), lon, lat, critical (BOOLEAN), title_en
--   (the store's English name of a case's 小类, by its 大类 and 小类 names as on the live
--   path, overview/feed_names; or of a hazard's type; NULL where it has none; the caller
--   words the title in English with it, dashboard/foresight/explain.py).
-- Source of the cases: for $now at or after case_window.since (the live screen, a stale
--   store's last data day, a day of the last 30 days of data) the small open_cases table,
--   which holds every case open at such a moment (queries/summary/open_cases.sql); before
--   it, raw incidents reported by $now. The caller binds $tables from cases/window_at.sql,
--   so the planner drops the branch that is not read.
--   Hazards and sensor alerts likewise: open_hazards / open_alerts (migration 010) for
--   such a moment, raw hazards / sensor_alerts before it (queries/overview/open_items.sql).
-- DuckDB-only: starts_with (Spark: startswith), 'infinity' timestamps.
WITH
-- @include overview/feed_names
candidates AS (
    SELECT id, case_no, category_code, grid_code, lon, lat, registered_at, deadline_at
    FROM open_cases
    WHERE starts_with(grid_code, $prefix)
      AND open_until > $now
      AND registered_at <= $now
      AND $tables
    UNION ALL
    SELECT id, case_no, category_code, grid_code, lon, lat, registered_at, deadline_at
    FROM incidents
    WHERE starts_with(grid_code, $prefix)
      -- implied by registered_at <= $now (ingest rule registered_before_reported); lets
      -- the zone maps of incidents (report order) skip what was reported after $now
      AND reported_at <= $now
      AND NOT is_void
      AND (closed_at IS NULL OR closed_at > $now)
      AND deadline_at IS NOT NULL
      AND registered_at <= $now
      AND NOT $tables
),
-- @include overview/open_items
open_cases AS (
    SELECT *,
           CASE WHEN deadline_at < $now THEN 'overdue'
                WHEN $now >= registered_at + (deadline_at - registered_at) * 0.8
                    THEN 'due_soon' END AS kind
    FROM candidates
),
items AS (
    SELECT o.kind, o.id, o.case_no AS ref, o.deadline_at AS at, c.minor_name AS title,
           o.grid_code, o.lon, o.lat, FALSE AS critical, epoch(o.deadline_at) AS urgency,
           fe.name_en AS title_en
    FROM open_cases AS o
    JOIN categories AS c ON c.code = o.category_code
    LEFT JOIN feed_en AS fe ON fe.major_name = c.major_name AND fe.minor_name = c.minor_name
    WHERE o.kind IS NOT NULL
    UNION ALL
    SELECT 'major_hazard', h.id, h.hazard_no, h.found_at, h.type || '隐患', h.grid_code,
           h.lon, h.lat, TRUE, -epoch(h.found_at), x.name_en
    FROM hazards_open AS h
    LEFT JOIN taxonomy AS x ON x.field = 'hazard_type' AND x.code = h.type
    WHERE h.risk_level = '重大'
    UNION ALL
    SELECT 'iot', id, sensor_code, alerted_at, sensor_type || '告警', grid_code, lon, lat,
           level = '严重', -epoch(alerted_at), CAST(NULL AS VARCHAR)
    FROM alerts_open
),
ranked AS (
    SELECT *,
           count(*) OVER (PARTITION BY kind) AS total,
           row_number() OVER (PARTITION BY kind ORDER BY urgency, id) AS rn
    FROM items
)
SELECT r.kind, r.total, r.id, r.ref, r.at, r.title, r.grid_code, v.name AS village,
       v.code AS village_code, r.lon, r.lat, r.critical, r.title_en
FROM ranked AS r
JOIN grids AS g ON g.code = r.grid_code
JOIN regions AS v ON v.code = g.village_code
WHERE r.rn <= $n
ORDER BY r.kind, r.rn
