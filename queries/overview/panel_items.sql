-- overview/panel_items: the alerts, the at-risk items, the critical alert and the feed of
-- a live screen, in one statement over open_items
--
-- Purpose: the overview's case panels at a moment $now at or after
--   open_items_asof.valid_from (the live screen; a stale store shown as of its last data
--   day), where open_items holds every item they can show with what does not move with
--   the clock ranked per region (queries/overview/items_schema.sql). Same rules, order and
--   rows as overview/alerts.sql with foresight/risk_alerts.sql, overview/critical.sql and
--   overview/feed.sql, which answer any other moment from the case tables and the raw
--   tables (tests/unit/test_open_items.py holds both to pandas over raw rows):
--     overdue, due_soon  the scope's open cases past their deadline / past 80 % of their
--                        time limit at $now: the only part ranked here (by deadline, id)
--     major_hazard, iot  the scope's first $n by their stored rank (newest first), with
--                        the stored count
--     at_risk            stored foresight scores (probability >= $threshold, scored by $now,
--                        deadline after it), the most likely first
--     critical           the newest critical item of the user's jurisdiction
--     feed               the scope's $feed_n newest reports of the seven days up to $now
--   Items are picked by their rowid on narrow columns first; their names are read for the
--   picked rows only.
-- Parameters:
--   $prefix      scope short code of the region in view (validated by Scope)
--   $user        the user's jurisdiction (the critical alert: wherever it arises in it)
--   $now         the moment (TIMESTAMP, the store's wall time), >= valid_from
--   $since       the feed's first report time ($now - 7 days)
--   $n           alert items per kind
--   $feed_n      feed rows
--   $threshold   at-risk probability threshold
-- Columns: panel ('alerts' | 'critical' | 'feed'), kind (alert kind; the critical
--   item's 'major_hazard' | 'iot'; NULL for the feed), total (items of the kind), id, ref
--   (case, hazard number, sensor code; the feed: case_no), at (deadline for cases and
--   at-risk items, found or alerted time otherwise; the feed: reported_at), title (the
--   feed: category; an at-risk item: its 小类, worded with minor_en and probability per
--   language by dashboard/foresight/explain.py risk_title), grid_code, village, village_code, lon, lat, critical, unplaced (an
--   at-risk case not in open_items: the caller reads its point from incidents, as
--   risk_alerts.sql does), status, is_void, source, major, grid, town, county (the feed),
--   part, rn, minor_en (the 小类's English name), probability (at-risk items only),
--   title_en (an overdue or due-soon case's 小类, a major hazard's type: the store's English
--   name, NULL where it has none; open_items keeps the names, not the code, so a case's
--   小类, listed or in the feed, is found by its 大类 and 小类 names, overview/feed_names,
--   as feed.sql words it),
--   source_en (a feed row's source: taxonomy incident_source's English name, NULL where
--   none); ordered by part (alerts, at-risk, critical, feed), kind, rn.
-- Slots: {{level}} the level of $prefix, {{user_level}} that of $user (1 city … 5 grid:
--   4, 6, 9, 12, 15 digits): which of open_items' per-level columns are read (rank_N,
--   total_N, feed_rank_N, alarm_rank_N; one column per level, migration 022).
-- @slot level: 1 2 3 4 5
-- @slot user_level: 1 2 3 4 5
-- DuckDB-only: starts_with (Spark: startswith), rowid, min_by(…, n).
WITH cases AS (
    SELECT rowid AS rid, {'u': urgency, 'i': id} AS urgency,
           CASE WHEN due_at < $now THEN 'overdue' ELSE 'due_soon' END AS kind
    FROM open_items
    WHERE kind = 'case'
      AND alerting
      AND starts_with(grid_code, $prefix)
      AND (due_at < $now OR warn_at <= $now)
),
case_pick AS (
    SELECT kind, count(*) AS total, min_by(rid, urgency, $n) AS rids
    FROM cases
    GROUP BY kind
),
picked AS (
    SELECT kind, total, unnest(rids) AS rid, unnest(range(1, len(rids) + 1)) AS rn
    FROM case_pick
    UNION ALL
    SELECT kind, total_{{level}}, rowid, rank_{{level}}
    FROM open_items
    WHERE kind <> 'case'
      AND starts_with(grid_code, $prefix)
      AND rank_{{level}} <= $n
    UNION ALL
    SELECT 'feed', NULL, rowid, feed_rank_{{level}}
    FROM open_items
    WHERE listed
      AND starts_with(grid_code, $prefix)
      AND feed_rank_{{level}} <= $feed_n
      AND reported_at >= $since
    UNION ALL
    SELECT 'critical', 1, rowid, 1
    FROM open_items
    WHERE alarm_rank_{{user_level}} = 1
      AND starts_with(grid_code, $user)
),
-- @include overview/feed_names
risk AS (
    SELECT s.case_id AS id, s.case_no AS ref, s.deadline_at AS at_,
           coalesce(c.minor_name, s.category_code) AS title, c.name_en AS minor_en,
           s.probability, s.grid_code, count(*) OVER () AS total,
           row_number() OVER (ORDER BY s.probability DESC, s.deadline_at, s.case_id) AS rn
    FROM foresight_scores AS s
    LEFT JOIN categories AS c ON c.code = s.category_code
    WHERE s.kind = 'risk'
      AND starts_with(s.grid_code, $prefix)
      AND s.probability >= $threshold
      AND s.asof_at <= $now
      AND s.deadline_at > $now
    QUALIFY rn <= $n
)
SELECT CASE p.kind WHEN 'feed' THEN 'feed' WHEN 'critical' THEN 'critical'
                   ELSE 'alerts' END AS panel,
       CASE p.kind WHEN 'feed' THEN NULL WHEN 'critical' THEN o.kind ELSE p.kind END
           AS kind,
       p.total, o.id, o.ref,
       CASE WHEN p.kind = 'feed' THEN o.reported_at WHEN o.kind = 'case' THEN o.due_at
            ELSE o.start_at END AS at,
       o.title, o.grid_code, o.village, o.village_code, o.lon, o.lat, o.critical,
       FALSE AS unplaced, o.status, o.is_void, o.source, o.major, o.grid, o.town, o.county,
       CASE p.kind WHEN 'feed' THEN 3 WHEN 'critical' THEN 2 ELSE 0 END AS part, p.rn,
       CAST(NULL AS VARCHAR) AS minor_en, CAST(NULL AS DOUBLE) AS probability,
       coalesce(fe.name_en, x.name_en) AS title_en, s.name_en AS source_en
FROM picked AS p
JOIN open_items AS o ON o.rowid = p.rid
LEFT JOIN feed_en AS fe ON p.kind IN ('feed', 'overdue', 'due_soon')
                       AND fe.major_name = o.major AND fe.minor_name = o.title
LEFT JOIN taxonomy AS s ON p.kind = 'feed' AND s.field = 'incident_source'
                       AND s.code = o.source
LEFT JOIN taxonomy AS x ON p.kind = 'major_hazard' AND x.field = 'hazard_type'
                       AND x.code || '隐患' = o.title
WHERE p.kind IN ('feed', 'critical') OR o.village_code IS NOT NULL
UNION ALL
SELECT 'alerts', 'at_risk', r.total, r.id, r.ref, r.at_, r.title, r.grid_code, v.name,
       v.code, o.lon, o.lat, FALSE, o.id IS NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       1, r.rn, r.minor_en, r.probability, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM risk AS r
JOIN grids AS g ON g.code = r.grid_code
JOIN regions AS v ON v.code = g.village_code
LEFT JOIN open_items AS o ON o.kind = 'case' AND o.id = r.id
ORDER BY part, kind, rn
