-- store/schema: the GridCommand store (one DuckDB file)
--
-- Time zone: every TIMESTAMP column holds wall-clock time in the store's own zone (meta
-- `timezone`, set by `gridcmd import boundaries --timezone`; Asia/Shanghai, UTC+8 without
-- daylight saving, by default). Imports convert times that carry an offset to it. Columns
-- are plain TIMESTAMP, not TIMESTAMPTZ, so the same tables read the same on Spark
-- (TIMESTAMP_NTZ) later. DATE columns are calendar days in that zone.
--
-- Codes: region codes are the 12-digit 2023 statistical division codes, zero padded
-- (city 320600000000, county 320613000000, town 320613001000, village 320613001001);
-- `short_code` is the significant prefix (4/6/9/12 digits) and jurisdiction filters by it.
-- Grid codes extend the 12-digit village code by a 3-digit sequence (15 digits), so
-- substr(grid_code, 1, 6) is the county, 1..9 the town, 1..12 the village.
--
-- Geometry: WKB blobs in EPSG:4326 (CGCS2000 treated as WGS84), so no extension is needed
-- to read the store and the columns carry over to GeoParquet.
--
-- Uniqueness of the large fact tables is guaranteed by the loaders (ids are assigned in
-- order) rather than by index constraints, which would cost memory and insert speed at
-- 10M+ rows; small dimension tables declare primary keys.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,  -- schema_version, timezone, city, seed, built_at, ...
    value VARCHAR NOT NULL
);

CREATE TABLE regions (
    code        VARCHAR PRIMARY KEY,  -- 12-digit statistical code
    short_code  VARCHAR NOT NULL,     -- significant prefix: 4 city, 6 county, 9 town, 12 village
    level       VARCHAR NOT NULL,     -- city | county | town | village
    parent_code VARCHAR,              -- 12-digit code of the parent, NULL for the city
    name        VARCHAR NOT NULL,     -- official name, e.g. 崇川区, 和平桥街道, 德民社区居委会
    kind        VARCHAR NOT NULL,     -- 地级市 市辖区 县 县级市 功能区 街道 镇 乡 社区 村
    urban       BOOLEAN NOT NULL,     -- streets and communities are urban; towns and villages rural
    area_km2    DOUBLE NOT NULL,      -- computed in EPSG:32651
    population  INTEGER NOT NULL,     -- residents; equals the sum over children
    households  INTEGER NOT NULL,
    lon         DOUBLE NOT NULL,      -- a representative point inside the polygon
    lat         DOUBLE NOT NULL,
    geometry    BLOB NOT NULL         -- WKB, EPSG:4326
);

CREATE TABLE grids (
    code         VARCHAR PRIMARY KEY, -- 15 digits: village code + sequence
    village_code VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,    -- e.g. 德民社区第3网格
    worker_name  VARCHAR NOT NULL,    -- 网格员 (staff contact, not a resident)
    worker_phone VARCHAR NOT NULL,
    population   INTEGER NOT NULL,
    households   INTEGER NOT NULL,
    urban        BOOLEAN NOT NULL,
    area_km2     DOUBLE NOT NULL,
    lon          DOUBLE NOT NULL,
    lat          DOUBLE NOT NULL,
    geometry     BLOB NOT NULL
);

-- Classification after GB/T 30428.2 (部件/事件 大类-小类) plus the social-governance
-- classes of grid work (社会治理: 矛盾纠纷, 治安隐患, 安全生产, 消防安全, 环境卫生, 民生服务 ...).
-- The built-in list (dashboard/reference/categories.csv) is loaded into every new store; a
-- city's own categories come from `gridcmd import taxonomy --field category` or are added
-- by a mapping (docs/ingest.md#reference-data).
CREATE TABLE categories (
    code           VARCHAR PRIMARY KEY, -- e.g. S0101; domain letter + major + minor
    domain         VARCHAR NOT NULL,    -- 事件 | 部件 | 社会治理
    major_code     VARCHAR NOT NULL,
    major_name     VARCHAR NOT NULL,    -- 大类
    minor_name     VARCHAR NOT NULL,    -- 小类
    name_en        VARCHAR,             -- English name of the 小类 (NULL: none)
    deadline_hours INTEGER,             -- standard handling time limit from 立案; NULL: 无时限
    dept_kind      VARCHAR NOT NULL,    -- kind of department that handles it (see departments.kind)
    major_name_en  VARCHAR              -- English name of the 大类 (NULL: none)
);

-- Reference lists (vocabularies) other than categories and departments: what a record's
-- source, hazard type, key-person category, survey channel ... may hold. Records store the
-- `code`; screens show `name` (`name_en` in English mode where set). The built-in national
-- lists (dashboard/reference/taxonomy.csv, builtin = true) are loaded into every new store;
-- a city adds its own with `gridcmd import taxonomy` or a mapping's [taxonomy] add_unknown.
-- Workflow values (status, tier, risk levels, ratings) stay in code (docs/ingest.md).
CREATE TABLE taxonomy (
    field   VARCHAR NOT NULL,   -- incident_source | hazard_type | hazard_source |
                                -- key_person_category | survey_channel | visit_kind |
                                -- area_survey_group
    code    VARCHAR NOT NULL,   -- the value records hold
    name    VARCHAR NOT NULL,   -- display name (Chinese, or the city's own word)
    name_en VARCHAR,            -- English display name (NULL: show name)
    parent  VARCHAR,            -- code of a grouping value of the same field (informational)
    sort    INTEGER NOT NULL,   -- display order
    builtin BOOLEAN NOT NULL,   -- from the built-in reference list
    PRIMARY KEY (field, code)
);

CREATE TABLE departments (
    code        VARCHAR PRIMARY KEY,    -- D + region short code + '-' + kind
    name        VARCHAR NOT NULL,       -- e.g. 崇川区城市管理局, 和平桥街道综合执法局
    tier        VARCHAR NOT NULL,       -- city | county | town | village
    region_code VARCHAR NOT NULL,       -- 12-digit code of the region it serves
    kind        VARCHAR NOT NULL        -- 城管 公安 应急 消防 生态环境 住建 民政 卫健 水务 市场监管 司法 综治 村居
);

-- A case (案件). Lifecycle: 上报 reported_at → 立案 registered_at → 派遣 dispatched_at →
-- 处置 handled_at → 核查 verified_at → 结案 closed_at → 回访 (surveys). Later stages are
-- NULL until reached; a void case (作废) stops after reporting or registration.
CREATE TABLE incidents (
    id              BIGINT NOT NULL,    -- ascending with reported_at
    case_no         VARCHAR NOT NULL,   -- natural key, e.g. NT2025031400012345
    source          VARCHAR NOT NULL,   -- 网格员巡查 | 群众随手拍 | 12345热线 | 物联感知 | 视频AI
    category_code   VARCHAR NOT NULL,
    grid_code       VARCHAR NOT NULL,
    lon             DOUBLE NOT NULL,
    lat             DOUBLE NOT NULL,
    reported_at     TIMESTAMP NOT NULL,
    registered_at   TIMESTAMP,
    dispatched_at   TIMESTAMP,
    handled_at      TIMESTAMP,
    verified_at     TIMESTAMP,
    closed_at       TIMESTAMP,
    deadline_at     TIMESTAMP,          -- registered_at + category limit (+ extension)
    status          VARCHAR NOT NULL,   -- 待立案 已立案 处置中 待核查 待结案 已结案 已作废
    is_void         BOOLEAN NOT NULL,   -- 作废 (duplicate, not our business, false report)
    rework_count    INTEGER NOT NULL,   -- times 核查 sent it back to 处置 (返工)
    extended_hours  INTEGER NOT NULL,   -- approved extension (延期), 0 if none
    tier            VARCHAR NOT NULL,   -- tier that finally handled it: village town county city
    dept_code       VARCHAR,            -- department that handled it
    escalations     INTEGER NOT NULL,   -- number of rows in `escalations` for this case
    handled_online  BOOLEAN NOT NULL,   -- resolved without an on-site visit (线上处置)
    batch_id        BIGINT, -- import that last wrote the row (import_batches.id); NULL: not imported
    point_quality   VARCHAR DEFAULT ''  -- '' | grid_centre | placed_by_region | placeholder
                                        -- (docs/schema.md: where lon/lat come from)
);

-- One row per hand-off between tiers or departments (四级联动).
CREATE TABLE escalations (
    incident_id BIGINT NOT NULL,
    seq         INTEGER NOT NULL,       -- 1, 2, ... per incident
    escalated_at TIMESTAMP NOT NULL,
    from_tier   VARCHAR NOT NULL,
    to_tier     VARCHAR NOT NULL,
    from_dept   VARCHAR,
    to_dept     VARCHAR,
    kind        VARCHAR NOT NULL        -- 上报上级 (escalate) | 转派 (transfer between departments)
);

CREATE TABLE hazards (
    id            BIGINT NOT NULL,
    hazard_no     VARCHAR NOT NULL,
    type          VARCHAR NOT NULL,     -- 消防 燃气 防汛 危房 安全生产 道路交通
    risk_level    VARCHAR NOT NULL,     -- 一般 | 较大 | 重大
    grid_code     VARCHAR NOT NULL,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    source        VARCHAR NOT NULL,     -- 网格员巡查 | 部门检查 | 物联感知 | 群众举报
    found_at      TIMESTAMP NOT NULL,
    deadline_at   TIMESTAMP NOT NULL,   -- rectification deadline
    rectified_at  TIMESTAMP,            -- NULL while open
    dept_code     VARCHAR,
    batch_id      BIGINT, -- import that last wrote the row (import_batches.id); NULL: not imported
    point_quality VARCHAR DEFAULT ''    -- as incidents.point_quality
);

-- Key populations (重点人群). What screens may show lives here; clear personal fields live
-- apart in key_person_pii, read only by detail views for cleared roles.
CREATE TABLE key_persons (
    id                  BIGINT PRIMARY KEY,
    grid_code           VARCHAR NOT NULL,
    category            VARCHAR NOT NULL, -- 独居老人 空巢老人 残疾人 社区矫正对象 刑满释放人员
                                          -- 严重精神障碍患者 吸毒人员 留守儿童 困境儿童 低保对象
    risk_level          VARCHAR NOT NULL, -- 低 | 中 | 高 (关注等级)
    gender              VARCHAR NOT NULL, -- 男 | 女
    birth_year          INTEGER NOT NULL,
    visit_interval_days INTEGER NOT NULL, -- visits due every N days
    registered_at       TIMESTAMP NOT NULL,
    removed_at          TIMESTAMP,        -- 注销 (moved, died, term ended); NULL while listed
    batch_id            BIGINT, -- import that last wrote the row (import_batches.id); NULL: not imported
    point_quality       VARCHAR DEFAULT '' -- as incidents.point_quality (the source point's)
);

CREATE TABLE key_person_pii (
    person_id BIGINT PRIMARY KEY,
    name      VARCHAR NOT NULL,
    id_number VARCHAR NOT NULL,           -- 18-digit 居民身份证号 with a valid check digit
    phone     VARCHAR NOT NULL,
    address   VARCHAR NOT NULL,
    batch_id  BIGINT  -- import that last wrote the row (import_batches.id); NULL: not imported
);

-- Scheduled visits (走访) of key persons: one row per due visit; visited_at NULL if missed.
CREATE TABLE visits (
    id          BIGINT NOT NULL,
    person_id   BIGINT NOT NULL,
    grid_code   VARCHAR NOT NULL,
    due_date    DATE NOT NULL,
    visited_at  TIMESTAMP,
    kind        VARCHAR NOT NULL,         -- 上门走访 | 电话随访 | 视频随访
    batch_id    BIGINT  -- import that last wrote the row (import_batches.id); NULL: not imported
);

CREATE TABLE sensors (
    id           BIGINT PRIMARY KEY,
    code         VARCHAR NOT NULL,
    type         VARCHAR NOT NULL,        -- 烟感 燃气 水位 井盖位移 电气火灾 高空抛物
    grid_code    VARCHAR NOT NULL,
    lon          DOUBLE NOT NULL,
    lat          DOUBLE NOT NULL,
    unit         VARCHAR NOT NULL,
    threshold    DOUBLE NOT NULL,         -- alert when a reading reaches it
    installed_at TIMESTAMP NOT NULL
);

-- Recent readings (the last days, hourly) for live views; history is kept as alerts.
CREATE TABLE sensor_readings (
    sensor_id BIGINT NOT NULL,
    read_at   TIMESTAMP NOT NULL,
    value     DOUBLE NOT NULL,
    batch_id  BIGINT  -- import that last wrote the row (import_batches.id); NULL: not imported
);

CREATE TABLE sensor_alerts (
    id          BIGINT NOT NULL,
    sensor_id   BIGINT NOT NULL,
    grid_code   VARCHAR NOT NULL,
    alerted_at  TIMESTAMP NOT NULL,
    value       DOUBLE NOT NULL,
    threshold   DOUBLE NOT NULL,
    level       VARCHAR NOT NULL,         -- 一般 | 严重
    handled_at  TIMESTAMP,                -- NULL while unhandled
    incident_id BIGINT                    -- case opened from the alert, if any
);

-- 回访评价: one row per closed case followed up; rating NULL when the resident could not be
-- reached or declined (未参评).
CREATE TABLE surveys (
    incident_id BIGINT NOT NULL,
    surveyed_at TIMESTAMP NOT NULL,
    channel     VARCHAR NOT NULL,         -- 电话 | 短信 | 小程序
    rating      VARCHAR,                  -- 满意 | 基本满意 | 不满意 | NULL
    batch_id    BIGINT  -- import that last wrote the row (import_batches.id); NULL: not imported
);

-- 群众满意度测评: periodic satisfaction surveys of an area (a grid, a village, or a region
-- above), one row per answer, tied to no case. Natural key survey_no: the response number
-- of the export, or `<area_code>@<surveyed_at>#<n>` (the n-th answer of that area and
-- moment in the file) when it has none (docs/ingest.md).
CREATE TABLE area_surveys (
    id               BIGINT NOT NULL,   -- ascending in load order
    survey_no        VARCHAR NOT NULL,  -- natural key (see above)
    area_code        VARCHAR NOT NULL,  -- region short code (4/6/9/12 digits) or grid code (15)
    surveyed_at      TIMESTAMP NOT NULL,
    rating           VARCHAR,           -- 满意 | 基本满意 | 不满意 | NULL (answered, no rating)
    respondent_group VARCHAR,           -- taxonomy area_survey_group (居民 商户 ...), NULL: none
    channel          VARCHAR,           -- taxonomy survey_channel, NULL: not given
    batch_id         BIGINT             -- import that last wrote the row (import_batches.id); NULL: not imported
);

-- Import log (docs/ingest.md): one row per batch a loader committed, written in the same
-- transaction as the batch's rows, so a batch is in the log exactly when its rows are in
-- the store. rows_in = inserted + updated + unchanged + quarantined, always.
CREATE TABLE import_batches (
    id           BIGINT PRIMARY KEY,    -- ascending
    kind         VARCHAR NOT NULL,      -- incidents hazards key_persons visits surveys sensor_readings area_surveys
    source_file  VARCHAR NOT NULL,      -- file name, or 'http:<client>' for the intake endpoint
    file_sha256  VARCHAR NOT NULL,      -- of the whole source file (of the body for HTTP)
    batch_no     INTEGER NOT NULL,      -- 1, 2, ... within the file
    first_line   BIGINT NOT NULL,       -- line range of the batch in the file
    last_line    BIGINT NOT NULL,
    rows_in      BIGINT NOT NULL,
    inserted     BIGINT NOT NULL,
    updated      BIGINT NOT NULL,       -- natural key present with different values
    unchanged    BIGINT NOT NULL,       -- natural key present with the same values
    quarantined  BIGINT NOT NULL,
    outside_grid BIGINT NOT NULL,       -- kept, but no grid contains the point (grid_code '')
    via          VARCHAR NOT NULL,      -- cli | http
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP NOT NULL,
    -- idempotence key with file_sha256 (NULL in batches logged before schema version 6):
    mapping_sha256   VARCHAR,           -- SHA-256 of the canonical column map (Mapping.sha256)
    rules_version    INTEGER,           -- validate.RULES_VERSION the batch was checked with
    -- time zones of the batch's loaded rows (docs/ingest.md#time-zones):
    tz_offset_values BIGINT,            -- time values with an offset (or epoch), converted
    tz_naive_values  BIGINT,            -- time values without one, taken as tz_assumed
    tz_assumed       VARCHAR,           -- IANA zone naive values were taken in
    placeholder_rows BIGINT DEFAULT 0,  -- loaded rows whose point was a placeholder point
    placed_rows  BIGINT DEFAULT 0,      -- of those, placed by a grid or region column
    no_deadline  BIGINT DEFAULT 0       -- loaded registered cases without a deadline_at
);

-- Placeholder points (docs/ingest.md): one row per batch and point of a placeholder
-- coordinate its rows sat at (a geocoder's default point, e.g. the city hall), written in
-- the batch's transaction. The distinct points are the store's known placeholders: a
-- later file is checked against them too.
CREATE TABLE import_placeholders (
    batch_id    BIGINT NOT NULL,        -- import_batches.id
    kind        VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    lon         DOUBLE NOT NULL,        -- WGS-84, rounded to 1e-5 degree
    lat         DOUBLE NOT NULL,
    reason      VARCHAR NOT NULL,       -- share | mapping | known
    file_rows   BIGINT NOT NULL,        -- rows of the whole file at the point
    file_located BIGINT NOT NULL,       -- rows of the whole file with a point in the area
    rows        BIGINT NOT NULL,        -- rows of this batch at the point, loaded
    placed      BIGINT NOT NULL,        -- of them, placed by a grid or region column
    unplaced    BIGINT NOT NULL         -- of them, attributed to the whole area only
);

-- Summary keys a multi-batch load committed but has not refreshed yet (docs/ingest.md): its
-- batches append here in their own transactions; the refresh after the last batch consumes
-- the rows in one transaction. Rows left by an interrupted load are refreshed by the next
-- load or `gridcmd import repair`. kind 'all' (no grid, no day): a full refresh is due.
CREATE TABLE import_pending (
    kind      VARCHAR NOT NULL,         -- incidents hazards key_persons visits surveys | all
    grid_code VARCHAR,
    day       DATE,
    updated   BOOLEAN
);

-- Rejected input rows with the reason; never silently dropped. One row per rejected row
-- (the first rule it broke, in the order of docs/ingest.md).
CREATE TABLE quarantine (
    batch_id     BIGINT NOT NULL,       -- import_batches.id
    kind         VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    line         BIGINT NOT NULL,       -- 1-based line in the file (header = 1), row for xlsx
    rule         VARCHAR NOT NULL,      -- e.g. unparseable_time, duplicate_key, ragged_row
    column_name  VARCHAR,               -- target field the rule looked at, if one
    value        VARCHAR,               -- the offending value (or the raw line)
    record       VARCHAR                -- the whole input row as JSON, when parsed
);

-- The foresight models' stored results (migration 013, docs/foresight.md).
-- @include foresight/schema
