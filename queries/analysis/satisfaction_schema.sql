-- analysis/satisfaction_schema: the 满意度 page's period table (migration 017)
--
-- Purpose: a period of any length on a whole city or one county, without other case
--   filters (the default 满意度 page of a city's or a county's leaders and analysts), reads
--   this instead of the period's rows of survey_case_daily (one row per survey at 10M):
--   per survey day (span 'day') or calendar month (span 'month', the sum of its days'
--   rows) and county, the follow-ups counted under each value of one facet, so a three-year
--   period reads its whole months and at most two partial months of days. Every figure is
--   a count or a sum, so the page's numbers are exactly those of survey_case_daily (tested
--   against pandas over the raw rows). Derived data: refilled per county from
--   survey_case_daily by dashboard/kpi/summaries.py refresh_satisfaction_city
--   (queries/analysis/satisfaction_fill.sql) whenever the analysis read tables change.
-- Parameters: none.
-- Columns: none (creates the table).
CREATE TABLE IF NOT EXISTS satisfaction_city (
    span        VARCHAR NOT NULL,  -- 'day' | 'month' (day = the month's first day)
    day         DATE NOT NULL,     -- the surveys' day (surveyed_at)
    county      VARCHAR NOT NULL,  -- left(grid_code, 6)
    facet       VARCHAR NOT NULL,  -- category | department | town | band | rating
    key         VARCHAR,           -- 小类 code, department code, left(grid_code, 9), band,
                                   -- rating (NULL: no department / not rated)
    surveys     BIGINT NOT NULL,
    rated       BIGINT NOT NULL,   -- of them with a rating
    satisfied   BIGINT NOT NULL,   -- 满意 or 基本满意
    unsatisfied BIGINT NOT NULL,   -- 不满意
    hours_sum   DOUBLE NOT NULL,   -- sum of 处置 − 立案 hours of the surveys' cases
    hours_n     BIGINT NOT NULL    -- surveys whose case has those hours
);
