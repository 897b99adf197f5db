-- 004_area_surveys: 群众满意度测评, periodic satisfaction surveys of an area tied to no case
-- (record kind area_surveys, docs/ingest.md), and their summary table area_survey_daily
-- (queries/summary_schema.sql). Both start empty: an older store has no such answers, so
-- the other summary tables need no rebuild.
CREATE TABLE IF NOT EXISTS area_surveys (
    id               BIGINT NOT NULL,
    survey_no        VARCHAR NOT NULL,
    area_code        VARCHAR NOT NULL,
    surveyed_at      TIMESTAMP NOT NULL,
    rating           VARCHAR,
    respondent_group VARCHAR,
    channel          VARCHAR,
    batch_id         BIGINT
);
CREATE TABLE IF NOT EXISTS area_survey_daily (
    area_code        VARCHAR NOT NULL,
    day              DATE NOT NULL,
    respondent_group VARCHAR NOT NULL,
    answers          BIGINT NOT NULL,
    rated            BIGINT NOT NULL,
    satisfied        BIGINT NOT NULL,
    basic_satisfied  BIGINT NOT NULL,
    unsatisfied      BIGINT NOT NULL
);
