-- village_daily_insert: add the rows of TEMP village_nets to village_daily
--
-- Purpose: the insert step shared (`-- @include village_daily_insert`) by
--   summary_village_daily.sql and ingest_refresh_village_daily.sql: flows summed per village
--   and day, stocks as running sums per village in day order.
-- Parameters: none.
-- Columns: none (an INSERT).
INSERT INTO village_daily (
    region, day, reported, void, registered, response_sec, handled, closed, closed_ontime,
    reworked, online, handle_n, handle_sec, sv_surveys, sv_rated, sv_satisfied_any,
    esc_to_town, esc_to_county, esc_to_city, esc_transfers, hz_found, hz_found_major,
    hz_rectified, hz_rectified_ontime, vs_due, vs_visited_ontime, al_alerts, al_handled,
    overdue_open, backlog, hz_open, hz_open_overdue, kp_listed, kp_living_alone_elderly,
    kp_empty_nest_elderly, kp_disabled, kp_minimum_subsistence, kp_left_behind_children,
    kp_children_in_difficulty, kp_severe_mental_disorder, kp_community_corrections,
    kp_released_prisoners, kp_drug_users, al_unhandled
)
SELECT region, day,
       sum(reported) AS reported, sum(void) AS void, sum(registered) AS registered,
       sum(response_sec) AS response_sec, sum(handled) AS handled, sum(closed) AS closed,
       sum(closed_ontime) AS closed_ontime, sum(reworked) AS reworked, sum(online) AS online,
       sum(handle_n) AS handle_n, sum(handle_sec) AS handle_sec, sum(sv_surveys) AS sv_surveys,
       sum(sv_rated) AS sv_rated, sum(sv_satisfied_any) AS sv_satisfied_any,
       sum(esc_to_town) AS esc_to_town, sum(esc_to_county) AS esc_to_county,
       sum(esc_to_city) AS esc_to_city, sum(esc_transfers) AS esc_transfers,
       sum(hz_found) AS hz_found, sum(hz_found_major) AS hz_found_major,
       sum(hz_rectified) AS hz_rectified, sum(hz_rectified_ontime) AS hz_rectified_ontime,
       sum(vs_due) AS vs_due, sum(vs_visited_ontime) AS vs_visited_ontime,
       sum(al_alerts) AS al_alerts, sum(al_handled) AS al_handled,
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
GROUP BY region, day
WINDOW w AS (PARTITION BY region ORDER BY day ROWS UNBOUNDED PRECEDING)
ORDER BY day, region
