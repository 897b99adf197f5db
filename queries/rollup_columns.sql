-- rollup_columns: the columns of village_daily, town_daily, county_daily and city_daily
--
-- Purpose: the column list of an INSERT into a region rollup, written once and included
--   (`-- @include rollup_columns`) where a query names them all.
-- Parameters: none.
-- Columns: none (a column list).
    region, day, reported, void, registered, response_sec, handled, closed, closed_ontime,
    reworked, online, handle_n, handle_sec, sv_surveys, sv_rated, sv_satisfied_any,
    esc_to_town, esc_to_county, esc_to_city, esc_transfers, hz_found, hz_found_major,
    hz_rectified, hz_rectified_ontime, vs_due, vs_visited_ontime, al_alerts, al_handled,
    close_sec, closed_nodl,
    overdue_open, backlog, hz_open, hz_open_overdue, kp_listed, kp_living_alone_elderly,
    kp_empty_nest_elderly, kp_disabled, kp_minimum_subsistence, kp_left_behind_children,
    kp_children_in_difficulty, kp_severe_mental_disorder, kp_community_corrections,
    kp_released_prisoners, kp_drug_users, al_unhandled
