-- analysis/schema: the analysis pages' read tables (四级联动, 满意度), migration 009
--
-- Purpose: the 四级联动 and 满意度 pages read a period's days of these instead of joining
--   raw escalations and surveys against every case. Each row carries the keys every
--   analyst filter selects on (the case's grid, 小类, source and current status), so every
--   filter of the pages is served from them exactly; rows are written in day order, so a
--   period reads only its row groups. Derived data: refilled with the summaries
--   (dashboard/kpi/summaries.py refresh_analysis_tables), kept current after every import
--   batch (refresh_analysis_incremental / refresh_analysis_additive). docs/schema.md.
-- Parameters: none.
-- Columns: none (creates the tables).

-- hand-offs (escalations rows) per day x case keys x kind x from/to tier and department
CREATE TABLE handoff_daily (
    day           DATE NOT NULL,     -- escalated_at day
    grid_code     VARCHAR NOT NULL,  -- the case's grid, 小类, source and status now
    category_code VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,  -- 上报上级 | 转派
    from_tier     VARCHAR NOT NULL,
    to_tier       VARCHAR NOT NULL,
    from_dept     VARCHAR,
    to_dept       VARCHAR,
    n             BIGINT NOT NULL
);

-- one row per stay at a tier of every closed, registered, not voided case, by closing day
CREATE TABLE closure_stays (
    day           DATE NOT NULL,     -- closed_at day
    grid_code     VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    final_tier    VARCHAR NOT NULL,  -- incidents.tier: the tier that finally handled it
    tier          VARCHAR NOT NULL,  -- the tier of this stay
    first         BOOLEAN NOT NULL,  -- the stay from 立案 (one per case: counts the case)
    hours         DOUBLE             -- arrival → next escalation or 结案
);

-- 回访 per day x case keys x department x rating x handling band, with the hours behind
CREATE TABLE survey_case_daily (
    day           DATE NOT NULL,     -- surveyed_at day
    grid_code     VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    dept_code     VARCHAR,
    rating        VARCHAR,           -- NULL: not rated (未参评)
    band          VARCHAR NOT NULL,  -- the case's 处置 − 立案 band (theme/satisfaction.sql)
    surveys       BIGINT NOT NULL,
    hours_sum     DOUBLE NOT NULL,   -- sum of 处置 − 立案 hours over the surveys' cases
    hours_n       BIGINT NOT NULL    -- surveys whose case has those hours
);
