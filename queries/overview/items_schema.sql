-- overview/items_schema: the overview's open-items table (migration 014; docs/overview.md,
-- Speed: the open-items table)
--
-- Purpose: one small table that answers every case panel of a live screen (the alerts with
--   their at-risk items, the critical alert, the feed) in one statement
--   (queries/overview/panel_items.sql), with no join to a raw table and none for names
--   (but the English names of the listed cases' 小类 and hazards' types, from the small
--   reference tables categories and taxonomy).
--   open_items_asof holds the moment from which it answers: the newest closing time
--   (case closed, hazard rectified, sensor alert handled) or report time in the store. At
--   any moment $now at or after it, an item open at $now was never closed, and the seven
--   days of reports before $now lie after valid_from - 7 days, so the table holds:
--     case    every case not void, registered, with a deadline and never closed (the
--             alerts' 超期/临期 candidates), and every case reported at or after
--             valid_from - 7 days, void and closed ones too (the feed's);
--     hazard  every 重大 hazard never rectified (the alerts' 重大隐患, the critical alert);
--     alert   every sensor alert never handled (物联告警; 严重 ones are critical).
--   Names are taken at the refill (categories and regions change only with a refresh:
--   categories are insert-only, new boundaries build a new store). The region codes of
--   every level are prefixes of grid_code (4/6/9/12 digits, a grid 15), so a scope is one
--   starts_with; village_code, town_code and county_code are the 12-digit codes of the
--   grid's regions (NULL where a join found none, as the old queries' inner joins
--   dropped such rows). An as-of moment before valid_from (a day picked in the past, future
--   times in the data) reads the case tables and the raw tables as before.
--   Derived data, created if missing; refilled by dashboard/open_items.py refresh with a
--   full summary refresh, and updated in place by open_items.update after every import or
--   intake batch that touches cases or hazards (dashboard/kpi/summaries.py
--   refresh_overview_tables; overview/items_update.sql, items_rank.sql), to the same
--   rows. A refill writes them in grid_code order, so a scope's rows are contiguous; the
--   update appends the rows it changes (the table is small: one or two row groups).
-- Parameters: none.
CREATE TABLE IF NOT EXISTS open_items (
    kind          VARCHAR NOT NULL,  -- case | major_hazard | iot (a sensor alert)
    id            BIGINT NOT NULL,   -- incidents.id | hazards.id | sensor_alerts.id
    ref           VARCHAR NOT NULL,  -- case_no | hazard_no | the sensor's code
    title         VARCHAR NOT NULL,  -- 小类 | type || '隐患' | sensor type || '告警'
    major         VARCHAR,           -- 大类 (cases)
    source        VARCHAR,           -- cases
    status        VARCHAR,           -- cases: the status at any moment after valid_from
    is_void       BOOLEAN NOT NULL,
    grid_code     VARCHAR NOT NULL,
    grid          VARCHAR,           -- the grid's name
    village_code  VARCHAR,           -- 12 digits: the grid's village (grids.village_code)
    village       VARCHAR,
    town_code     VARCHAR,           -- 12 digits: the village's parent
    town          VARCHAR,
    county_code   VARCHAR,           -- 12 digits: the town's parent
    county        VARCHAR,
    lon           DOUBLE NOT NULL,   -- the case's or hazard's point, the sensor's place
    lat           DOUBLE NOT NULL,
    reported_at   TIMESTAMP,         -- cases
    start_at      TIMESTAMP,         -- registered_at | found_at | alerted_at
    due_at        TIMESTAMP,         -- cases: deadline_at
    warn_at       TIMESTAMP,         -- cases: registered_at + 80 % of the time limit (临期)
    urgency       DOUBLE,            -- the alert list's order: epoch(due_at) for cases,
                                     -- -epoch(start_at) otherwise (newest first)
    alerting      BOOLEAN NOT NULL,  -- open: an alert candidate (a case not void,
                                     -- registered, with a deadline; every hazard, alert)
    listed        BOOLEAN NOT NULL,  -- a case of the feed's slice with its regions found
    critical      BOOLEAN NOT NULL,  -- major hazards; sensor alerts of level 严重
    -- per level (1 city, 2 county, 3 town, 4 village, 5 grid: the region of the first 4,
    -- 6, 9, 12, 15 digits of grid_code), what does not move with the clock after
    -- valid_from, so a screen reads a few rows instead of ranking them all. One scalar
    -- column per level, not a list per row (migration 022): a screen filters on its own
    -- level's column, and a scan of five INTEGER[] lists cost 10-15 ms a list at 100M
    -- (880k rows) where the column costs 1-2 ms.
    -- rank_N: a hazard's or sensor alert's place in its region's list (urgency, id); NULL
    --         for cases
    rank_1        INTEGER, rank_2 INTEGER, rank_3 INTEGER, rank_4 INTEGER, rank_5 INTEGER,
    -- total_N: how many of its kind its region has; NULL for cases
    total_1       INTEGER, total_2 INTEGER, total_3 INTEGER, total_4 INTEGER,
    total_5       INTEGER,
    -- feed_rank_N: a listed case's place in its region's feed (newest report first), for
    --              the first open_items.FEED_RANKS of the list; NULL otherwise
    feed_rank_1   INTEGER, feed_rank_2 INTEGER, feed_rank_3 INTEGER, feed_rank_4 INTEGER,
    feed_rank_5   INTEGER,
    -- alarm_rank_N: a critical item's place among its region's critical items with a
    --               village (newest first); else NULL
    alarm_rank_1  INTEGER, alarm_rank_2 INTEGER, alarm_rank_3 INTEGER,
    alarm_rank_4  INTEGER, alarm_rank_5 INTEGER
);

CREATE TABLE IF NOT EXISTS open_items_asof (
    valid_from TIMESTAMP   -- open_items answers a moment at or after it; NULL: empty store
);
