-- summary/schema: the summary tables of the store (pre-aggregates for overview KPIs)
--
-- Purpose: overview pages and the KPI engine read these small tables instead of scanning
--   raw facts. They are derived data: `dashboard.kpi.summaries.refresh_summaries` empties
--   and refills them from the raw tables (queries/summary_<table>.sql) when a store is
--   built; a load refreshes the grids and days its batch touched, in the batch's
--   transaction (queries/ingest_refresh_*.sql). docs/kpi.md explains every column.
-- Event-day attribution: a `day` column is the calendar day, in the store's own time zone
--   (meta `timezone`, default Asia/Shanghai; dashboard/clock.py), on which the
--   event a count stands for happened, column by column (a case reported on 1 March and
--   closed on 3 April adds `reported` to a 1 March row and `closed` to a 3 April row).
--   So every count sums over any set of days, and stocks at a day's end (open, overdue,
--   listed) are running sums of "in" minus "out" columns up to that day.
-- Parameters: none. Columns: see each table.
-- Row order (docs/schema.md, Clustering): a full refill writes the grid-level tables in
--   (grid_code, day) order, so a grid, village or town prefix reads only its own row
--   groups (DuckDB turns starts_with(grid_code, $prefix) into a range its zone maps
--   prune); the region rollups and area_survey_daily stay in day order.

CREATE TABLE incident_daily (
    grid_code         VARCHAR NOT NULL,
    day               DATE NOT NULL,
    category_code     VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    tier              VARCHAR NOT NULL,
    reported          BIGINT NOT NULL,  -- by reported_at day: all cases, void included
    void              BIGINT NOT NULL,  -- by reported_at day: is_void
    registered        BIGINT NOT NULL,  -- by registered_at day: non-void, registered
    response_sec      DOUBLE NOT NULL,  -- by registered_at day: sum(registered_at - reported_at)
    escalated         BIGINT NOT NULL,  -- by registered_at day: registered with escalations > 0
    dispatched        BIGINT NOT NULL,  -- by dispatched_at day: non-void, dispatched
    handled           BIGINT NOT NULL,  -- by handled_at day: non-void, dispatched and handled
    closed            BIGINT NOT NULL,  -- by closed_at day: non-void, closed
    closed_ontime     BIGINT NOT NULL,  -- by closed_at day: closed_at <= deadline_at
    closed_late       BIGINT NOT NULL,  -- by closed_at day: closed_at > deadline_at
    reworked          BIGINT NOT NULL,  -- by closed_at day: rework_count > 0
    extended          BIGINT NOT NULL,  -- by closed_at day: extended_hours > 0
    online            BIGINT NOT NULL,  -- by closed_at day: handled_online
    handle_n          BIGINT NOT NULL,  -- by closed_at day: registered_at and handled_at known
    handle_sec        DOUBLE NOT NULL,  -- by closed_at day: sum(handled_at - registered_at)
    due               BIGINT NOT NULL,  -- by deadline_at day: non-void with a deadline
    due_closed_ontime BIGINT NOT NULL,  -- by deadline_at day: closed_at <= deadline_at
    close_sec         DOUBLE NOT NULL,  -- by closed_at day: sum(closed_at - reported_at) (办结时长)
    closed_nodl       BIGINT NOT NULL   -- by closed_at day: closed without a deadline (无时限)
);

-- grid x month rollup of incident_daily (month = first day of the calendar month)
CREATE TABLE incident_monthly (
    grid_code         VARCHAR NOT NULL,
    month             DATE NOT NULL,
    category_code     VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    tier              VARCHAR NOT NULL,
    reported          BIGINT NOT NULL,
    void              BIGINT NOT NULL,
    registered        BIGINT NOT NULL,
    response_sec      DOUBLE NOT NULL,
    escalated         BIGINT NOT NULL,
    dispatched        BIGINT NOT NULL,
    handled           BIGINT NOT NULL,
    closed            BIGINT NOT NULL,
    closed_ontime     BIGINT NOT NULL,
    closed_late       BIGINT NOT NULL,
    reworked          BIGINT NOT NULL,
    extended          BIGINT NOT NULL,
    online            BIGINT NOT NULL,
    handle_n          BIGINT NOT NULL,
    handle_sec        DOUBLE NOT NULL,
    due               BIGINT NOT NULL,
    due_closed_ontime BIGINT NOT NULL,
    close_sec         DOUBLE NOT NULL,
    closed_nodl       BIGINT NOT NULL
);

-- hand-offs by the day they happened (grid of the case)
CREATE TABLE escalation_daily (
    grid_code   VARCHAR NOT NULL,
    day         DATE NOT NULL,      -- escalated_at day
    to_tier     VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- 上报上级 | 转派
    escalations BIGINT NOT NULL
);

-- 回访 by the day of the call (grid of the case)
CREATE TABLE survey_daily (
    grid_code       VARCHAR NOT NULL,
    day             DATE NOT NULL,  -- surveyed_at day
    channel         VARCHAR NOT NULL,
    surveys         BIGINT NOT NULL,
    rated           BIGINT NOT NULL,  -- rating IS NOT NULL (参评)
    satisfied       BIGINT NOT NULL,  -- 满意
    basic_satisfied BIGINT NOT NULL,  -- 基本满意
    unsatisfied     BIGINT NOT NULL   -- 不满意
);

CREATE TABLE hazard_daily (
    grid_code              VARCHAR NOT NULL,
    day                    DATE NOT NULL,
    type                   VARCHAR NOT NULL,
    risk_level             VARCHAR NOT NULL,
    found                  BIGINT NOT NULL,  -- by found_at day
    rectified              BIGINT NOT NULL,  -- by rectified_at day
    rectified_ontime       BIGINT NOT NULL,  -- by rectified_at day: rectified_at <= deadline_at
    rectified_late         BIGINT NOT NULL,  -- by rectified_at day: rectified_at > deadline_at
    due                    BIGINT NOT NULL,  -- by deadline_at day
    due_rectified_ontime   BIGINT NOT NULL   -- by deadline_at day: rectified_at <= deadline_at
);

CREATE TABLE key_person_daily (
    grid_code  VARCHAR NOT NULL,
    day        DATE NOT NULL,
    category   VARCHAR NOT NULL,
    risk_level VARCHAR NOT NULL,
    listed     BIGINT NOT NULL,  -- by registered_at day
    removed    BIGINT NOT NULL   -- by removed_at day
);

CREATE TABLE visit_daily (
    grid_code      VARCHAR NOT NULL,
    day            DATE NOT NULL,  -- due_date
    kind           VARCHAR NOT NULL,
    due            BIGINT NOT NULL,
    visited        BIGINT NOT NULL,  -- visited_at IS NOT NULL (at any time)
    visited_ontime BIGINT NOT NULL   -- visited on or before the due day
);

CREATE TABLE alert_daily (
    grid_code VARCHAR NOT NULL,
    day       DATE NOT NULL,
    level     VARCHAR NOT NULL,
    alerts    BIGINT NOT NULL,  -- by alerted_at day
    handled   BIGINT NOT NULL   -- by handled_at day
);

-- Every KPI measure per village (12-digit short code) x day: flows summed per day, stocks
-- (overdue_open, backlog, hz_open, hz_open_overdue, kp_listed, kp_<category>, al_unhandled)
-- at the day's end as running sums from the beginning of history. A row on every month
-- start after the village's first row (up to the month start after the data) bounds the
-- look-back of a stock lookup to one month. Flow columns: incident measures under their
-- incident_daily names (close_sec and closed_nodl after the other domains' flows), sv_
-- survey_daily, esc_ escalation_daily (to_town/county/city: 上报上级, transfers: 转派), hz_
-- hazard_daily (found_major: 重大), kp_ key_person_daily (one stock per registry
-- category), vs_ visit_daily, al_ alert_daily. The measure columns (names, types, sources,
-- flow or stock) are dashboard/kpi/registry.py ROLLUP_MEASURES, included here and in every
-- rollup query as generated lists (`-- @include measures`, dashboard/kpi/rollup_sql.py).
CREATE TABLE village_daily (
    region VARCHAR NOT NULL,
    day    DATE NOT NULL,
-- @include measures form=define
);

-- village_daily rolled up to town short codes (one table per level: a query reads one level)
CREATE TABLE town_daily (
    region VARCHAR NOT NULL,
    day    DATE NOT NULL,
-- @include measures form=define
);

-- village_daily rolled up to county short codes (one table per level: a query reads one level)
CREATE TABLE county_daily (
    region VARCHAR NOT NULL,
    day    DATE NOT NULL,
-- @include measures form=define
);

-- village_daily rolled up to city short codes (one table per level: a query reads one level)
CREATE TABLE city_daily (
    region VARCHAR NOT NULL,
    day    DATE NOT NULL,
-- @include measures form=define
);

-- 群众满意度测评 answers per area x day x respondent group: the KPI engine's area_survey
-- family reads it for any scope level by a prefix of area_code (a region's short code or a
-- grid code), so an answer about a town counts for the town and every region above it,
-- never for the villages below (it cannot be split). Not part of the region rollups.
CREATE TABLE area_survey_daily (
    area_code        VARCHAR NOT NULL,  -- short code (4/6/9/12) or grid code (15)
    day              DATE NOT NULL,     -- surveyed_at day
    respondent_group VARCHAR NOT NULL,  -- '' when the answer names none
    answers          BIGINT NOT NULL,   -- every answer (测评样本数)
    rated            BIGINT NOT NULL,   -- rating IS NOT NULL (有效评价)
    satisfied        BIGINT NOT NULL,   -- 满意
    basic_satisfied  BIGINT NOT NULL,   -- 基本满意
    unsatisfied      BIGINT NOT NULL    -- 不满意
);

-- The overview's live panels (docs/overview.md, Speed: purpose-built tables): small
-- tables of the cases a moment at or after case_window.since can need, refilled from
-- incidents whenever a refresh touches cases (summaries.refresh_case_tables). A moment
-- before it falls back to incidents (queries/overview/alerts.sql, overview/feed.sql).
CREATE TABLE case_window (
    since        TIMESTAMP NOT NULL,  -- day of the newest case report - 30 days (00:00)
    recent_since TIMESTAMP NOT NULL   -- since - 7 days: the feed's oldest report
);

-- non-void registered cases with a deadline that are open at some moment at or after
-- case_window.since (closed_at NULL or later): the alerts' 红灯/黄灯 candidates. Open
-- cases first, then the closed ones, each part in grid_code order.
CREATE TABLE open_cases (
    id            BIGINT NOT NULL,
    case_no       VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    grid_code     VARCHAR NOT NULL,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    deadline_at   TIMESTAMP NOT NULL,
    open_until    TIMESTAMP NOT NULL   -- closed_at; 'infinity' while open
);

-- every case reported at or after case_window.recent_since (void ones too): the feed's
-- rows, with the lifecycle times its status-at-a-moment needs; in report order.
CREATE TABLE recent_cases (
    id            BIGINT NOT NULL,
    case_no       VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    grid_code     VARCHAR NOT NULL,
    reported_at   TIMESTAMP NOT NULL,
    registered_at TIMESTAMP,
    dispatched_at TIMESTAMP,
    handled_at    TIMESTAMP,
    verified_at   TIMESTAMP,
    closed_at     TIMESTAMP,
    status        VARCHAR NOT NULL,
    is_void       BOOLEAN NOT NULL
);
