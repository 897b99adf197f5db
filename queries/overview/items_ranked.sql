-- overview/items_ranked: the rank order of open_items' lists, as a CTE (a block, included)
--
-- Purpose: the one definition of where a row stands in its region's lists, included inside
--   the WITH list of the full refill (overview/items_fill.sql: every list) and of the
--   incremental rerank (overview/items_rank.sql: the lists an import batch changed), so
--   the two cannot order a list differently. The lists, per level (city, county, town,
--   village, grid) and region:
--   - hazards and sensor alerts, each kind its own list: most urgent first (urgency, then
--     id), with the list's length (rank, total);
--   - the feed (listed cases): newest report first, then higher id (feed_rank; the
--     includers store it for the first $feed_ranks of each list only, NULL beyond: a
--     screen reads the first few, and a new case at the top of a list would otherwise
--     move every stored rank of it, tens of thousands of rows per intake batch at 10M);
--   - the critical items with a village: newest start first, then kind, then higher id
--     (alarm_rank).
--   A rank is never NULL in the list it belongs to.
-- Reads the includer's CTEs
--   levels   (kind, id, level, scope, urgency, start_at, reported_at, listed, alarm): a row
--            once per level, scope the first 4, 6, 9, 12 or 15 digits of its grid code;
--   to_rank  (part, level, scope): the lists to rank, part a kind ('major_hazard',
--            'iot'), 'feed' or 'alarm'.
-- Columns (CTE ranked): kind, id, level, rank, total, feed_rank, alarm_rank: one row per
--   row, level and list it is on (NULL in the other lists' columns).
ranked AS (
    SELECT v.kind, v.id, v.level,
           row_number() OVER (PARTITION BY v.level, v.scope, v.kind
                              ORDER BY v.urgency, v.id) AS rank,
           count(*) OVER (PARTITION BY v.level, v.scope, v.kind) AS total,
           NULL::BIGINT AS feed_rank, NULL::BIGINT AS alarm_rank
    FROM levels AS v
    SEMI JOIN to_rank AS p
        ON p.part = v.kind AND p.level = v.level AND p.scope = v.scope
    WHERE v.kind <> 'case'
    UNION ALL
    SELECT v.kind, v.id, v.level, NULL, NULL,
           row_number() OVER (PARTITION BY v.level, v.scope
                              ORDER BY v.reported_at DESC, v.id DESC), NULL
    FROM levels AS v
    SEMI JOIN to_rank AS p
        ON p.part = 'feed' AND p.level = v.level AND p.scope = v.scope
    WHERE v.listed
    UNION ALL
    SELECT v.kind, v.id, v.level, NULL, NULL, NULL,
           row_number() OVER (PARTITION BY v.level, v.scope
                              ORDER BY v.start_at DESC, v.kind, v.id DESC)
    FROM levels AS v
    SEMI JOIN to_rank AS p
        ON p.part = 'alarm' AND p.level = v.level AND p.scope = v.scope
    WHERE v.alarm
)
