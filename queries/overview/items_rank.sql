-- overview/items_rank: rank again the per-level lists of open_items that changed
--
-- Purpose: the second step of the incremental update (overview/items_update.sql, whose
--   TEMP items_gone and items_new it reads; dashboard/open_items.py update runs it when
--   they hold a row). A row's list element at a level is its place in its region's list
--   of one kind: hazards and sensor alerts each (rank and count, by urgency, id), the feed
--   (listed cases, newest report first), the critical items with a village (newest
--   first). It changes only when that list gains or loses a row, so only the lists (kind
--   of list, level, region) of the rows deleted or inserted are ranked again
--   (items_parts), in the order overview/items_ranked.sql defines (the block the full
--   refill, overview/items_fill.sql, includes too), over every row that carries
--   such a rank, once per level whose list changed; the other elements keep their stored
--   values, and only rows whose lists differ are written (items_ranks). A new case of the
--   newest hour moves every listed case of its city one place down the city's feed: those
--   rows are most of what this writes.
-- Parameters: $feed_ranks  the feed ranks kept per list (overview/items_ranked.sql).
--   Reads TEMP items_gone, items_new. Runs inside the caller's
--   transaction.
-- Columns: none (a script; leaves TEMP items_parts and items_ranks: kind, id and the new
--   elements of every level, rank_N, total_N, feed_rank_N, alarm_rank_N).
CREATE OR REPLACE TEMP TABLE items_parts AS
WITH changed AS (
    SELECT grid_code, kind, listed, critical AND village_code IS NOT NULL AS alarm
    FROM items_gone
    UNION ALL
    SELECT grid_code, kind, listed, critical AND village_code IS NOT NULL
    FROM items_new
),
parts AS (
    SELECT grid_code, kind AS part FROM changed WHERE kind <> 'case'
    UNION ALL
    SELECT grid_code, 'feed' FROM changed WHERE listed
    UNION ALL
    SELECT grid_code, 'alarm' FROM changed WHERE alarm
)
SELECT DISTINCT p.part, l.level, left(p.grid_code, l.digits) AS scope
FROM parts AS p
CROSS JOIN (VALUES (1, 4), (2, 6), (3, 9), (4, 12), (5, 15)) AS l(level, digits);

CREATE OR REPLACE TEMP TABLE items_ranks AS
WITH levels AS NOT MATERIALIZED (
    -- each row that carries a rank once per level (city, county, town, village, grid: the
    -- first 4, 6, 9, 12, 15 digits of its grid code)
    SELECT o.kind, o.id, l.level, left(o.grid_code, l.digits) AS scope, o.urgency,
           o.start_at, o.reported_at, o.listed,
           o.critical AND o.village_code IS NOT NULL AS alarm
    FROM open_items AS o
    CROSS JOIN (VALUES (1, 4), (2, 6), (3, 9), (4, 12), (5, 15)) AS l(level, digits)
    WHERE o.kind <> 'case' OR o.listed
),
to_rank AS (
    SELECT part, level, scope FROM items_parts
),
-- the lists that changed, ranked again (overview/items_ranked.sql: the one rank order)
-- @include overview/items_ranked
,
news AS (
    -- one row per item: its new element of each list at each level (NULL: not ranked
    -- again, the stored element stands)
    SELECT kind, id,
           max(rank) FILTER (level = 1) AS r1,
           max(rank) FILTER (level = 2) AS r2,
           max(rank) FILTER (level = 3) AS r3,
           max(rank) FILTER (level = 4) AS r4,
           max(rank) FILTER (level = 5) AS r5,
           max(total) FILTER (level = 1) AS t1,
           max(total) FILTER (level = 2) AS t2,
           max(total) FILTER (level = 3) AS t3,
           max(total) FILTER (level = 4) AS t4,
           max(total) FILTER (level = 5) AS t5,
           max(feed_rank) FILTER (level = 1) AS f1,
           max(feed_rank) FILTER (level = 2) AS f2,
           max(feed_rank) FILTER (level = 3) AS f3,
           max(feed_rank) FILTER (level = 4) AS f4,
           max(feed_rank) FILTER (level = 5) AS f5,
           max(alarm_rank) FILTER (level = 1) AS a1,
           max(alarm_rank) FILTER (level = 2) AS a2,
           max(alarm_rank) FILTER (level = 3) AS a3,
           max(alarm_rank) FILTER (level = 4) AS a4,
           max(alarm_rank) FILTER (level = 5) AS a5
    FROM ranked
    GROUP BY kind, id
),
new AS (
    SELECT n.kind, n.id,
           -- a feed list ranked again keeps the first $feed_ranks (items_ranked.sql): a
           -- case pushed past them loses its stored rank
           coalesce(n.r1, o.rank_1) AS rank_1,
           coalesce(n.r2, o.rank_2) AS rank_2,
           coalesce(n.r3, o.rank_3) AS rank_3,
           coalesce(n.r4, o.rank_4) AS rank_4,
           coalesce(n.r5, o.rank_5) AS rank_5,
           coalesce(n.t1, o.total_1) AS total_1,
           coalesce(n.t2, o.total_2) AS total_2,
           coalesce(n.t3, o.total_3) AS total_3,
           coalesce(n.t4, o.total_4) AS total_4,
           coalesce(n.t5, o.total_5) AS total_5,
           CASE WHEN n.f1 IS NULL THEN o.feed_rank_1
                WHEN n.f1 <= $feed_ranks THEN n.f1 END AS feed_rank_1,
           CASE WHEN n.f2 IS NULL THEN o.feed_rank_2
                WHEN n.f2 <= $feed_ranks THEN n.f2 END AS feed_rank_2,
           CASE WHEN n.f3 IS NULL THEN o.feed_rank_3
                WHEN n.f3 <= $feed_ranks THEN n.f3 END AS feed_rank_3,
           CASE WHEN n.f4 IS NULL THEN o.feed_rank_4
                WHEN n.f4 <= $feed_ranks THEN n.f4 END AS feed_rank_4,
           CASE WHEN n.f5 IS NULL THEN o.feed_rank_5
                WHEN n.f5 <= $feed_ranks THEN n.f5 END AS feed_rank_5,
           coalesce(n.a1, o.alarm_rank_1) AS alarm_rank_1,
           coalesce(n.a2, o.alarm_rank_2) AS alarm_rank_2,
           coalesce(n.a3, o.alarm_rank_3) AS alarm_rank_3,
           coalesce(n.a4, o.alarm_rank_4) AS alarm_rank_4,
           coalesce(n.a5, o.alarm_rank_5) AS alarm_rank_5,
           -- the stored elements, as one row to compare
           (o.rank_1, o.rank_2, o.rank_3, o.rank_4, o.rank_5, o.total_1, o.total_2,
            o.total_3, o.total_4, o.total_5, o.feed_rank_1, o.feed_rank_2, o.feed_rank_3,
            o.feed_rank_4, o.feed_rank_5, o.alarm_rank_1, o.alarm_rank_2, o.alarm_rank_3,
            o.alarm_rank_4, o.alarm_rank_5) AS stored
    FROM news AS n
    JOIN open_items AS o ON o.kind = n.kind AND o.id = n.id
)
SELECT kind, id,
       rank_1, rank_2, rank_3, rank_4, rank_5, total_1, total_2, total_3, total_4, total_5,
       feed_rank_1, feed_rank_2, feed_rank_3, feed_rank_4, feed_rank_5, alarm_rank_1,
       alarm_rank_2, alarm_rank_3, alarm_rank_4, alarm_rank_5
FROM new
WHERE (rank_1, rank_2, rank_3, rank_4, rank_5, total_1, total_2, total_3, total_4, total_5,
       feed_rank_1, feed_rank_2, feed_rank_3, feed_rank_4, feed_rank_5, alarm_rank_1,
       alarm_rank_2, alarm_rank_3, alarm_rank_4, alarm_rank_5)
      IS DISTINCT FROM stored;

UPDATE open_items AS o
SET rank_1 = r.rank_1, rank_2 = r.rank_2, rank_3 = r.rank_3, rank_4 = r.rank_4,
    rank_5 = r.rank_5, total_1 = r.total_1, total_2 = r.total_2, total_3 = r.total_3,
    total_4 = r.total_4, total_5 = r.total_5, feed_rank_1 = r.feed_rank_1,
    feed_rank_2 = r.feed_rank_2, feed_rank_3 = r.feed_rank_3, feed_rank_4 = r.feed_rank_4,
    feed_rank_5 = r.feed_rank_5, alarm_rank_1 = r.alarm_rank_1,
    alarm_rank_2 = r.alarm_rank_2, alarm_rank_3 = r.alarm_rank_3,
    alarm_rank_4 = r.alarm_rank_4, alarm_rank_5 = r.alarm_rank_5
FROM items_ranks AS r
WHERE o.kind = r.kind AND o.id = r.id;
