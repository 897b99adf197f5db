-- rollup_sums: every region-rollup measure summed under its own name
--
-- Purpose: the select list of a GROUP BY over per-village measure rows (flows and stock
--   changes alike), written once and included (`-- @include rollup_sums`) by
--   village_nets.sql, ingest_village_delta.sql and ingest_apply_level_daily.sql.
-- Parameters: none.
-- Columns: reported ... al_unhandled (the rollup columns after region and day).
-- @include rollup_flow_sums
       sum(overdue_open) AS overdue_open, sum(backlog) AS backlog, sum(hz_open) AS hz_open,
       sum(hz_open_overdue) AS hz_open_overdue, sum(kp_listed) AS kp_listed,
       sum(kp_living_alone_elderly) AS kp_living_alone_elderly,
       sum(kp_empty_nest_elderly) AS kp_empty_nest_elderly, sum(kp_disabled) AS kp_disabled,
       sum(kp_minimum_subsistence) AS kp_minimum_subsistence,
       sum(kp_left_behind_children) AS kp_left_behind_children,
       sum(kp_children_in_difficulty) AS kp_children_in_difficulty,
       sum(kp_severe_mental_disorder) AS kp_severe_mental_disorder,
       sum(kp_community_corrections) AS kp_community_corrections,
       sum(kp_released_prisoners) AS kp_released_prisoners,
       sum(kp_drug_users) AS kp_drug_users, sum(al_unhandled) AS al_unhandled
