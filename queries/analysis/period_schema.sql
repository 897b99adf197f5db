-- analysis/period_schema: the 时效 and 四级联动 pages' period tables (migration 011)
--
-- Purpose: a period of any length on a whole city or one county, without other case
--   filters (the default page of a city's or a county's leaders and analysts), reads these
--   instead of the period's cases (a county its own rows, the city the sum over its
--   counties; migration 012 added the county key):
--   the sums and log-binned duration histograms of one day (span 'day') or one calendar
--   month (span 'month', the sum of its days' rows), so a three-year period reads its
--   whole months and at most two partial months of days. Quantiles come from the
--   histograms (dashboard/thematic_data.py hist_quantile; docs/analysis.md states the bin
--   error). open_case_keys holds every case open now with the keys the case filters use
--   (the 在办 panel and the 时效 lights of open cases, for every filter). Derived data:
--   refilled by dashboard/kpi/summaries.py refresh_period_tables (queries/
--   analysis/period_fill.sql), kept current after every import batch.
-- Parameters: none.
-- Columns: none (creates the tables).

-- 时效: per report day (or month) and county, the cohort's rows by facet (analysis/timeliness_rows)
CREATE TABLE timeliness_city (
    span      VARCHAR NOT NULL,   -- 'day' | 'month' (day = the month's first day)
    day       DATE NOT NULL,      -- the cases' report day
    county    VARCHAR NOT NULL,   -- left(grid_code, 6): the county's short code
    facet     VARCHAR NOT NULL,   -- reached | stage | duration | department | major | week | light
    key       VARCHAR,
    key2      VARCHAR NOT NULL,
    bin       SMALLINT,           -- histogram bin of the hours (stage, duration), else NULL
    n         BIGINT NOT NULL,
    n_dl      BIGINT NOT NULL,    -- of them with a deadline
    ontime    BIGINT NOT NULL,    -- of them closed by the deadline
    hours_sum DOUBLE NOT NULL     -- sum of the exact hours behind n
);

-- 四级联动: per day (or month) and county, hand-offs, closings and stays at a tier
CREATE TABLE linkage_city (
    span      VARCHAR NOT NULL,   -- 'day' | 'month'
    day       DATE NOT NULL,      -- the hand-off's day, or the case's closing day
    county    VARCHAR NOT NULL,   -- left(grid_code, 6)
    facet     VARCHAR NOT NULL,   -- flow | transfer | final | dwell
    key       VARCHAR,            -- from tier, from department code, final tier, tier
    key2      VARCHAR,            -- to tier, to department code, '' otherwise
    bin       SMALLINT,           -- dwell: histogram bin of the stay's hours
    n         BIGINT NOT NULL,
    hours_sum DOUBLE NOT NULL
);

-- every case open now (not voided, registered, not closed), with its case keys
CREATE TABLE open_case_keys (
    id            BIGINT NOT NULL,
    reported_at   TIMESTAMP NOT NULL,
    grid_code     VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    tier          VARCHAR,
    registered_at TIMESTAMP NOT NULL,
    deadline_at   TIMESTAMP
);
