-- village_nets: per village and day, every KPI measure as the day's in-minus-out values
--
-- Purpose: the one body of the village rollup, included (`-- @include village_nets`) by
--   summary_village_daily.sql (all villages) and ingest_refresh_village_daily.sql (the
--   villages a load touched), so the full and the incremental refresh cannot drift apart.
--   Rows come from the grid-level daily tables of the villages in the session's TEMP table
--   village_scope(region); flows under the same event-day attribution, stock columns as
--   the day's net change (running sums are taken by level_rollup_insert.sql). Every
--   village also gets a zero row on each month's first day after its first row, up to the
--   first month start after the store's last day of data.
-- Parameters: none.
-- Columns: region (12-digit village short code), day, then the village_daily columns.
-- DuckDB-only: generate_series over dates (Spark: sequence()).
WITH nets AS (
-- @include village_nets_incidents daily=incident_daily
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, surveys AS sv_surveys,
          rated AS sv_rated, satisfied + basic_satisfied AS sv_satisfied_any, 0 AS esc_to_town,
          0 AS esc_to_county, 0 AS esc_to_city, 0 AS esc_transfers, 0 AS hz_found,
          0 AS hz_found_major, 0 AS hz_rectified, 0 AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, 0.0 AS close_sec, 0 AS closed_nodl, 0 AS overdue_open,
          0 AS backlog, 0 AS hz_open, 0 AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM survey_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any,
          CASE WHEN kind = '上报上级' AND to_tier = 'town' THEN escalations ELSE 0 END AS esc_to_town,
          CASE WHEN kind = '上报上级' AND to_tier = 'county' THEN escalations ELSE 0 END AS esc_to_county,
          CASE WHEN kind = '上报上级' AND to_tier = 'city' THEN escalations ELSE 0 END AS esc_to_city,
          CASE WHEN kind = '转派' THEN escalations ELSE 0 END AS esc_transfers, 0 AS hz_found,
          0 AS hz_found_major, 0 AS hz_rectified, 0 AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, 0.0 AS close_sec, 0 AS closed_nodl, 0 AS overdue_open,
          0 AS backlog, 0 AS hz_open, 0 AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM escalation_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, found AS hz_found,
          CASE WHEN risk_level = '重大' THEN found ELSE 0 END AS hz_found_major,
          rectified AS hz_rectified, rectified_ontime AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, 0.0 AS close_sec, 0 AS closed_nodl, 0 AS overdue_open,
          0 AS backlog, found - rectified AS hz_open,
          due - due_rectified_ontime - rectified_late AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM hazard_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, 0 AS hz_found, 0 AS hz_found_major, 0 AS hz_rectified,
          0 AS hz_rectified_ontime, 0 AS vs_due, 0 AS vs_visited_ontime, 0 AS al_alerts,
          0 AS al_handled, 0.0 AS close_sec, 0 AS closed_nodl, 0 AS overdue_open, 0 AS backlog, 0 AS hz_open, 0 AS hz_open_overdue,
          listed - removed AS kp_listed,
          CASE WHEN category = '独居老人' THEN listed - removed ELSE 0 END AS kp_living_alone_elderly,
          CASE WHEN category = '空巢老人' THEN listed - removed ELSE 0 END AS kp_empty_nest_elderly,
          CASE WHEN category = '残疾人' THEN listed - removed ELSE 0 END AS kp_disabled,
          CASE WHEN category = '低保对象' THEN listed - removed ELSE 0 END AS kp_minimum_subsistence,
          CASE WHEN category = '留守儿童' THEN listed - removed ELSE 0 END AS kp_left_behind_children,
          CASE WHEN category = '困境儿童' THEN listed - removed ELSE 0 END AS kp_children_in_difficulty,
          CASE WHEN category = '严重精神障碍患者' THEN listed - removed ELSE 0 END AS kp_severe_mental_disorder,
          CASE WHEN category = '社区矫正对象' THEN listed - removed ELSE 0 END AS kp_community_corrections,
          CASE WHEN category = '刑满释放人员' THEN listed - removed ELSE 0 END AS kp_released_prisoners,
          CASE WHEN category = '吸毒人员' THEN listed - removed ELSE 0 END AS kp_drug_users,
          0 AS al_unhandled
    FROM key_person_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, 0 AS hz_found, 0 AS hz_found_major, 0 AS hz_rectified,
          0 AS hz_rectified_ontime, due AS vs_due, visited_ontime AS vs_visited_ontime,
          0 AS al_alerts, 0 AS al_handled, 0.0 AS close_sec, 0 AS closed_nodl, 0 AS overdue_open, 0 AS backlog, 0 AS hz_open,
          0 AS hz_open_overdue, 0 AS kp_listed, 0 AS kp_living_alone_elderly,
          0 AS kp_empty_nest_elderly, 0 AS kp_disabled, 0 AS kp_minimum_subsistence,
          0 AS kp_left_behind_children, 0 AS kp_children_in_difficulty,
          0 AS kp_severe_mental_disorder, 0 AS kp_community_corrections,
          0 AS kp_released_prisoners, 0 AS kp_drug_users, 0 AS al_unhandled
    FROM visit_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, 0 AS hz_found, 0 AS hz_found_major, 0 AS hz_rectified,
          0 AS hz_rectified_ontime, 0 AS vs_due, 0 AS vs_visited_ontime, alerts AS al_alerts,
          handled AS al_handled, 0.0 AS close_sec, 0 AS closed_nodl, 0 AS overdue_open, 0 AS backlog, 0 AS hz_open,
          0 AS hz_open_overdue, 0 AS kp_listed, 0 AS kp_living_alone_elderly,
          0 AS kp_empty_nest_elderly, 0 AS kp_disabled, 0 AS kp_minimum_subsistence,
          0 AS kp_left_behind_children, 0 AS kp_children_in_difficulty,
          0 AS kp_severe_mental_disorder, 0 AS kp_community_corrections,
          0 AS kp_released_prisoners, 0 AS kp_drug_users, alerts - handled AS al_unhandled
    FROM alert_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
),
per_day AS (
    SELECT region, day,
-- @include rollup_sums
    FROM nets
    GROUP BY region, day
),
-- @include month_starts
,
firsts AS (
    SELECT region, min(day) AS first_day FROM per_day GROUP BY region
)
SELECT * FROM per_day
UNION ALL
SELECT f.region, m.day, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       0, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM firsts AS f
JOIN month_starts AS m ON m.day > f.first_day
