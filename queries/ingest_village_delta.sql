-- ingest_village_delta: per village and day, new minus old flows and stock changes
--
-- Purpose: the change a load made to village_daily, as additive quantities: for flows the
--   difference of the day's values, for stocks the difference of the day's in-minus-out
--   (a stock row minus the village's previous row). Summed to a town, county or city these
--   are what that level's rows must change by (queries/ingest_apply_level_daily.sql).
--   Run after ingest_refresh_village_daily (reads its TEMP ingest_old_village).
-- Parameters: none. Reads TEMP ingest_villages, ingest_old_village.
-- Columns: none (creates TEMP ingest_village_delta and ingest_village_keys).
CREATE OR REPLACE TEMP TABLE ingest_village_delta AS
WITH signed AS (
    SELECT region, day,
           reported, void, registered, response_sec, handled, closed, closed_ontime, reworked,
           online, handle_n, handle_sec, sv_surveys, sv_rated, sv_satisfied_any, esc_to_town,
           esc_to_county, esc_to_city, esc_transfers, hz_found, hz_found_major, hz_rectified,
           hz_rectified_ontime, vs_due, vs_visited_ontime, al_alerts, al_handled, close_sec,
           closed_nodl,
           overdue_open - coalesce(lag(overdue_open) OVER w, 0) AS overdue_open,
           backlog - coalesce(lag(backlog) OVER w, 0) AS backlog,
           hz_open - coalesce(lag(hz_open) OVER w, 0) AS hz_open,
           hz_open_overdue - coalesce(lag(hz_open_overdue) OVER w, 0) AS hz_open_overdue,
           kp_listed - coalesce(lag(kp_listed) OVER w, 0) AS kp_listed,
           kp_living_alone_elderly - coalesce(lag(kp_living_alone_elderly) OVER w, 0) AS kp_living_alone_elderly,
           kp_empty_nest_elderly - coalesce(lag(kp_empty_nest_elderly) OVER w, 0) AS kp_empty_nest_elderly,
           kp_disabled - coalesce(lag(kp_disabled) OVER w, 0) AS kp_disabled,
           kp_minimum_subsistence - coalesce(lag(kp_minimum_subsistence) OVER w, 0) AS kp_minimum_subsistence,
           kp_left_behind_children - coalesce(lag(kp_left_behind_children) OVER w, 0) AS kp_left_behind_children,
           kp_children_in_difficulty - coalesce(lag(kp_children_in_difficulty) OVER w, 0) AS kp_children_in_difficulty,
           kp_severe_mental_disorder - coalesce(lag(kp_severe_mental_disorder) OVER w, 0) AS kp_severe_mental_disorder,
           kp_community_corrections - coalesce(lag(kp_community_corrections) OVER w, 0) AS kp_community_corrections,
           kp_released_prisoners - coalesce(lag(kp_released_prisoners) OVER w, 0) AS kp_released_prisoners,
           kp_drug_users - coalesce(lag(kp_drug_users) OVER w, 0) AS kp_drug_users,
           al_unhandled - coalesce(lag(al_unhandled) OVER w, 0) AS al_unhandled
    FROM village_daily
    WHERE region IN (SELECT region FROM ingest_villages)
    WINDOW w AS (PARTITION BY region ORDER BY day)
    UNION ALL
    SELECT region, day,
           -reported AS reported, -void AS void, -registered AS registered,
           -response_sec AS response_sec, -handled AS handled, -closed AS closed,
           -closed_ontime AS closed_ontime, -reworked AS reworked, -online AS online,
           -handle_n AS handle_n, -handle_sec AS handle_sec, -sv_surveys AS sv_surveys,
           -sv_rated AS sv_rated, -sv_satisfied_any AS sv_satisfied_any,
           -esc_to_town AS esc_to_town, -esc_to_county AS esc_to_county,
           -esc_to_city AS esc_to_city, -esc_transfers AS esc_transfers, -hz_found AS hz_found,
           -hz_found_major AS hz_found_major, -hz_rectified AS hz_rectified,
           -hz_rectified_ontime AS hz_rectified_ontime, -vs_due AS vs_due,
           -vs_visited_ontime AS vs_visited_ontime, -al_alerts AS al_alerts,
           -al_handled AS al_handled, -close_sec AS close_sec, -closed_nodl AS closed_nodl,
           coalesce(lag(overdue_open) OVER w, 0) - overdue_open AS overdue_open,
           coalesce(lag(backlog) OVER w, 0) - backlog AS backlog,
           coalesce(lag(hz_open) OVER w, 0) - hz_open AS hz_open,
           coalesce(lag(hz_open_overdue) OVER w, 0) - hz_open_overdue AS hz_open_overdue,
           coalesce(lag(kp_listed) OVER w, 0) - kp_listed AS kp_listed,
           coalesce(lag(kp_living_alone_elderly) OVER w, 0) - kp_living_alone_elderly AS kp_living_alone_elderly,
           coalesce(lag(kp_empty_nest_elderly) OVER w, 0) - kp_empty_nest_elderly AS kp_empty_nest_elderly,
           coalesce(lag(kp_disabled) OVER w, 0) - kp_disabled AS kp_disabled,
           coalesce(lag(kp_minimum_subsistence) OVER w, 0) - kp_minimum_subsistence AS kp_minimum_subsistence,
           coalesce(lag(kp_left_behind_children) OVER w, 0) - kp_left_behind_children AS kp_left_behind_children,
           coalesce(lag(kp_children_in_difficulty) OVER w, 0) - kp_children_in_difficulty AS kp_children_in_difficulty,
           coalesce(lag(kp_severe_mental_disorder) OVER w, 0) - kp_severe_mental_disorder AS kp_severe_mental_disorder,
           coalesce(lag(kp_community_corrections) OVER w, 0) - kp_community_corrections AS kp_community_corrections,
           coalesce(lag(kp_released_prisoners) OVER w, 0) - kp_released_prisoners AS kp_released_prisoners,
           coalesce(lag(kp_drug_users) OVER w, 0) - kp_drug_users AS kp_drug_users,
           coalesce(lag(al_unhandled) OVER w, 0) - al_unhandled AS al_unhandled
    FROM ingest_old_village
    WINDOW w AS (PARTITION BY region ORDER BY day)
)
SELECT region, day,
-- @include rollup_sums
FROM signed
GROUP BY region, day;

-- the (village, day) rows after the load, and those the load removed
CREATE OR REPLACE TEMP TABLE ingest_village_keys AS
SELECT region, day, true AS present FROM village_daily
WHERE region IN (SELECT region FROM ingest_villages)
UNION ALL
SELECT o.region, o.day, false FROM ingest_old_village AS o
ANTI JOIN village_daily AS v ON v.region = o.region AND v.day = o.day;
