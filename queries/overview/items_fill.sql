-- overview/items_fill: refill open_items and open_items_asof from the raw tables
--
-- Purpose: see queries/overview/items_schema.sql. valid_from is the newest event time of
--   the store (any lifecycle time of a case, a hazard found or rectified, a sensor alert
--   raised or handled), so at any moment after it "open" is "never closed", every item
--   has started, and a case's status is its stored one (closed: 已结案). The rows are
--   overview/items_rows.sql over every incident; each is then ranked once per level, in
--   the order overview/items_ranked.sql defines (shared with overview/items_rank.sql).
--   The full refill (dashboard/open_items.py refresh: a full summary refresh, the demo
--   build, migration 014); an import batch updates the table in place instead
--   (overview/items_update.sql), to the same rows.
-- Parameters:
--   $valid_from  the store's newest event (overview/items_newest.sql; NULL: empty store)
--   $feed_ranks  the feed ranks kept per list (overview/items_ranked.sql)
-- Columns: none (a script).
DELETE FROM open_items;

DELETE FROM open_items_asof;

INSERT INTO open_items_asof (valid_from) VALUES (CAST($valid_from AS TIMESTAMP));

INSERT INTO open_items
WITH
-- @include overview/items_rows cases=incidents others=true
-- each row once per level (city, county, town, village, grid: the first 4, 6, 9, 12, 15
-- digits of its grid code), ranked inside that region
levels AS (
    SELECT p.kind, p.id, l.level, left(p.grid_code, l.digits) AS scope,
           p.urgency, p.start_at, p.reported_at, p.listed, p.alarm
    FROM placed AS p
    CROSS JOIN (VALUES (1, 4), (2, 6), (3, 9), (4, 12), (5, 15)) AS l(level, digits)
),
-- every list the rows are on (overview/items_ranked.sql reads levels and to_rank)
to_rank AS (
    SELECT DISTINCT kind AS part, level, scope FROM levels WHERE kind <> 'case'
    UNION
    SELECT 'feed', level, scope FROM levels WHERE listed
    UNION
    SELECT 'alarm', level, scope FROM levels WHERE alarm
),
-- @include overview/items_ranked
,
lists AS (
    -- each level's element in its own column (a list aggregate with ORDER BY would
    -- sort every row); a feed rank is kept for the first $feed_ranks of a list
    -- (items_ranked.sql)
    SELECT kind, id,
           max(rank) FILTER (level = 1) AS rank_1,
           max(rank) FILTER (level = 2) AS rank_2,
           max(rank) FILTER (level = 3) AS rank_3,
           max(rank) FILTER (level = 4) AS rank_4,
           max(rank) FILTER (level = 5) AS rank_5,
           max(total) FILTER (level = 1) AS total_1,
           max(total) FILTER (level = 2) AS total_2,
           max(total) FILTER (level = 3) AS total_3,
           max(total) FILTER (level = 4) AS total_4,
           max(total) FILTER (level = 5) AS total_5,
           max(feed_rank) FILTER (level = 1 AND feed_rank <= $feed_ranks) AS feed_rank_1,
           max(feed_rank) FILTER (level = 2 AND feed_rank <= $feed_ranks) AS feed_rank_2,
           max(feed_rank) FILTER (level = 3 AND feed_rank <= $feed_ranks) AS feed_rank_3,
           max(feed_rank) FILTER (level = 4 AND feed_rank <= $feed_ranks) AS feed_rank_4,
           max(feed_rank) FILTER (level = 5 AND feed_rank <= $feed_ranks) AS feed_rank_5,
           max(alarm_rank) FILTER (level = 1) AS alarm_rank_1,
           max(alarm_rank) FILTER (level = 2) AS alarm_rank_2,
           max(alarm_rank) FILTER (level = 3) AS alarm_rank_3,
           max(alarm_rank) FILTER (level = 4) AS alarm_rank_4,
           max(alarm_rank) FILTER (level = 5) AS alarm_rank_5
    FROM (
        SELECT kind, id, level, rank, total, feed_rank, alarm_rank FROM ranked
        UNION ALL
        -- a row on no list (a case neither listed nor critical) keeps NULLs
        SELECT kind, id, 1, NULL, NULL, NULL, NULL FROM placed
    ) AS r
    GROUP BY kind, id
)
SELECT p.kind, p.id, p.ref, p.title, p.major, p.source, p.status, p.is_void, p.grid_code,
       p.grid, p.village_code, p.village, p.town_code, p.town, p.county_code, p.county,
       p.lon, p.lat, p.reported_at, p.start_at, p.due_at, p.warn_at, p.urgency, p.alerting,
       p.listed, p.critical, r.* EXCLUDE (kind, id)
FROM placed AS p
JOIN lists AS r ON r.kind = p.kind AND r.id = p.id
ORDER BY p.grid_code, p.kind, p.id;
