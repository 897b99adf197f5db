-- analysis/facets_schema: the 事件 page's facet counts per day and county (migration 017)
--
-- Purpose: a period of any length on a whole city or one county, without other case
--   filters (the 事件 page's default), reads these counts instead of every case of the
--   period (cases/facets_city.sql; cases/facets.sql otherwise): per report day (span
--   'day') or calendar month (span 'month', the sum of its days' rows) and county, the
--   cases under each value of one facet, with their status now. Exact counts, the same
--   rows as cases/facets.sql (tested). Derived data: refilled by dashboard/kpi/summaries.py
--   refresh_case_facets (queries/analysis/facets_fill.sql) with the analysis read tables.
-- Parameters: none.
-- Columns: none (creates the table).
CREATE TABLE IF NOT EXISTS case_facets_city (
    span    VARCHAR NOT NULL,  -- 'day' | 'month' (day = the month's first day)
    day     DATE NOT NULL,     -- the cases' report day
    county  VARCHAR NOT NULL,  -- left(grid_code, 6)
    facet   VARCHAR NOT NULL,  -- category (小类) | source | status | town (9 digits) | day
    key     VARCHAR NOT NULL,  -- its value ('' for day: the day's cases)
    n       BIGINT NOT NULL
);
