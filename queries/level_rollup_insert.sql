-- level_rollup_insert: add the rows of TEMP village_nets to a region rollup
--
-- Purpose: the insert step of every region level, shared by summary_village_daily.sql and
--   ingest_refresh_village_daily.sql (`-- @include level_rollup_insert level=village
--   digits=12`) and summary_level_daily.sql (town, county, city): flows summed per region
--   and day, stocks as running sums per region in day order.
-- @slot level: village town county city
-- @slot digits: 12 9 6 4
-- Parameters: none.
-- Columns: none (an INSERT).
INSERT INTO {{level}}_daily (
-- @include rollup_columns
)
SELECT substr(region, 1, {{digits}}) AS region, day,
-- @include rollup_flow_sums
       sum(sum(overdue_open)) OVER w AS overdue_open, sum(sum(backlog)) OVER w AS backlog,
       sum(sum(hz_open)) OVER w AS hz_open,
       sum(sum(hz_open_overdue)) OVER w AS hz_open_overdue,
       sum(sum(kp_listed)) OVER w AS kp_listed,
       sum(sum(kp_living_alone_elderly)) OVER w AS kp_living_alone_elderly,
       sum(sum(kp_empty_nest_elderly)) OVER w AS kp_empty_nest_elderly,
       sum(sum(kp_disabled)) OVER w AS kp_disabled,
       sum(sum(kp_minimum_subsistence)) OVER w AS kp_minimum_subsistence,
       sum(sum(kp_left_behind_children)) OVER w AS kp_left_behind_children,
       sum(sum(kp_children_in_difficulty)) OVER w AS kp_children_in_difficulty,
       sum(sum(kp_severe_mental_disorder)) OVER w AS kp_severe_mental_disorder,
       sum(sum(kp_community_corrections)) OVER w AS kp_community_corrections,
       sum(sum(kp_released_prisoners)) OVER w AS kp_released_prisoners,
       sum(sum(kp_drug_users)) OVER w AS kp_drug_users,
       sum(sum(al_unhandled)) OVER w AS al_unhandled
FROM village_nets
GROUP BY substr(region, 1, {{digits}}), day
WINDOW w AS (PARTITION BY substr(region, 1, {{digits}}) ORDER BY day ROWS UNBOUNDED PRECEDING)
ORDER BY day, region
