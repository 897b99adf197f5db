-- ingest_refresh_village_daily: recompute village_daily for the villages a load touched
--
-- Purpose: the incremental form of queries/summary_village_daily.sql (same expressions):
--   every row of the villages in TEMP ingest_villages is deleted and recomputed from the
--   grid-level daily tables of those villages. Stocks are running sums, so a change on one
--   day changes every later row of the village: the whole village is recomputed. The
--   month-start rows span the store's whole history ($first_day .. $last_day, the first
--   and last day of the grid-level tables), exactly as the full refresh spans it; when a
--   load moves that span, dashboard/kpi/summaries.py refreshes these tables in full.
--   Leaves TEMP ingest_old_village (the villages' rows before) for
--   queries/ingest_village_delta.sql.
-- Parameters: first_day, last_day (DATE).
-- Columns: none.
-- DuckDB-only: generate_series over dates (Spark: sequence()), CREATE TEMP TABLE.
CREATE OR REPLACE TEMP TABLE ingest_village_nets AS
WITH nets AS (
    SELECT substr(grid_code, 1, 12) AS region, day, reported, void, registered, response_sec,
          handled, closed, closed_ontime, reworked, online, handle_n, handle_sec,
          0 AS sv_surveys, 0 AS sv_rated, 0 AS sv_satisfied_any, 0 AS esc_to_town,
          0 AS esc_to_county, 0 AS esc_to_city, 0 AS esc_transfers, 0 AS hz_found,
          0 AS hz_found_major, 0 AS hz_rectified, 0 AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled,
          due - due_closed_ontime - closed_late AS overdue_open,
          dispatched - handled AS backlog, 0 AS hz_open, 0 AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM incident_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, surveys AS sv_surveys,
          rated AS sv_rated, satisfied + basic_satisfied AS sv_satisfied_any, 0 AS esc_to_town,
          0 AS esc_to_county, 0 AS esc_to_city, 0 AS esc_transfers, 0 AS hz_found,
          0 AS hz_found_major, 0 AS hz_rectified, 0 AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, 0 AS overdue_open,
          0 AS backlog, 0 AS hz_open, 0 AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM survey_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
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
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, 0 AS overdue_open,
          0 AS backlog, 0 AS hz_open, 0 AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM escalation_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, found AS hz_found,
          CASE WHEN risk_level = '重大' THEN found ELSE 0 END AS hz_found_major,
          rectified AS hz_rectified, rectified_ontime AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, 0 AS overdue_open,
          0 AS backlog, found - rectified AS hz_open,
          due - due_rectified_ontime - rectified_late AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM hazard_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, 0 AS hz_found, 0 AS hz_found_major, 0 AS hz_rectified,
          0 AS hz_rectified_ontime, 0 AS vs_due, 0 AS vs_visited_ontime, 0 AS al_alerts,
          0 AS al_handled, 0 AS overdue_open, 0 AS backlog, 0 AS hz_open, 0 AS hz_open_overdue,
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
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, 0 AS hz_found, 0 AS hz_found_major, 0 AS hz_rectified,
          0 AS hz_rectified_ontime, due AS vs_due, visited_ontime AS vs_visited_ontime,
          0 AS al_alerts, 0 AS al_handled, 0 AS overdue_open, 0 AS backlog, 0 AS hz_open,
          0 AS hz_open_overdue, 0 AS kp_listed, 0 AS kp_living_alone_elderly,
          0 AS kp_empty_nest_elderly, 0 AS kp_disabled, 0 AS kp_minimum_subsistence,
          0 AS kp_left_behind_children, 0 AS kp_children_in_difficulty,
          0 AS kp_severe_mental_disorder, 0 AS kp_community_corrections,
          0 AS kp_released_prisoners, 0 AS kp_drug_users, 0 AS al_unhandled
    FROM visit_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
    UNION ALL
    SELECT substr(grid_code, 1, 12) AS region, day, 0 AS reported, 0 AS void, 0 AS registered,
          0.0 AS response_sec, 0 AS handled, 0 AS closed, 0 AS closed_ontime, 0 AS reworked,
          0 AS online, 0 AS handle_n, 0.0 AS handle_sec, 0 AS sv_surveys, 0 AS sv_rated,
          0 AS sv_satisfied_any, 0 AS esc_to_town, 0 AS esc_to_county, 0 AS esc_to_city,
          0 AS esc_transfers, 0 AS hz_found, 0 AS hz_found_major, 0 AS hz_rectified,
          0 AS hz_rectified_ontime, 0 AS vs_due, 0 AS vs_visited_ontime, alerts AS al_alerts,
          handled AS al_handled, 0 AS overdue_open, 0 AS backlog, 0 AS hz_open,
          0 AS hz_open_overdue, 0 AS kp_listed, 0 AS kp_living_alone_elderly,
          0 AS kp_empty_nest_elderly, 0 AS kp_disabled, 0 AS kp_minimum_subsistence,
          0 AS kp_left_behind_children, 0 AS kp_children_in_difficulty,
          0 AS kp_severe_mental_disorder, 0 AS kp_community_corrections,
          0 AS kp_released_prisoners, 0 AS kp_drug_users, alerts - handled AS al_unhandled
    FROM alert_daily
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM ingest_villages)
),
per_day AS (
    SELECT region, day, sum(reported) AS reported, sum(void) AS void,
           sum(registered) AS registered, sum(response_sec) AS response_sec,
           sum(handled) AS handled, sum(closed) AS closed, sum(closed_ontime) AS closed_ontime,
           sum(reworked) AS reworked, sum(online) AS online, sum(handle_n) AS handle_n,
           sum(handle_sec) AS handle_sec, sum(sv_surveys) AS sv_surveys,
           sum(sv_rated) AS sv_rated, sum(sv_satisfied_any) AS sv_satisfied_any,
           sum(esc_to_town) AS esc_to_town, sum(esc_to_county) AS esc_to_county,
           sum(esc_to_city) AS esc_to_city, sum(esc_transfers) AS esc_transfers,
           sum(hz_found) AS hz_found, sum(hz_found_major) AS hz_found_major,
           sum(hz_rectified) AS hz_rectified, sum(hz_rectified_ontime) AS hz_rectified_ontime,
           sum(vs_due) AS vs_due, sum(vs_visited_ontime) AS vs_visited_ontime,
           sum(al_alerts) AS al_alerts, sum(al_handled) AS al_handled,
           sum(overdue_open) AS overdue_open, sum(backlog) AS backlog, sum(hz_open) AS hz_open,
           sum(hz_open_overdue) AS hz_open_overdue, sum(kp_listed) AS kp_listed,
           sum(kp_living_alone_elderly) AS kp_living_alone_elderly,
           sum(kp_empty_nest_elderly) AS kp_empty_nest_elderly,
           sum(kp_disabled) AS kp_disabled,
           sum(kp_minimum_subsistence) AS kp_minimum_subsistence,
           sum(kp_left_behind_children) AS kp_left_behind_children,
           sum(kp_children_in_difficulty) AS kp_children_in_difficulty,
           sum(kp_severe_mental_disorder) AS kp_severe_mental_disorder,
           sum(kp_community_corrections) AS kp_community_corrections,
           sum(kp_released_prisoners) AS kp_released_prisoners,
           sum(kp_drug_users) AS kp_drug_users, sum(al_unhandled) AS al_unhandled
    FROM nets
    GROUP BY region, day
),
month_starts AS (
    SELECT CAST(m AS DATE) AS day
    FROM generate_series(
        CAST(date_trunc('month', CAST($first_day AS DATE)) AS TIMESTAMP),
        CAST(date_trunc('month', CAST($last_day AS DATE)) AS TIMESTAMP) + INTERVAL 1 MONTH,
        INTERVAL 1 MONTH) AS t(m)
),
firsts AS (
    SELECT region, min(day) AS first_day FROM per_day GROUP BY region
)
SELECT * FROM per_day
UNION ALL
SELECT f.region, m.day, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM firsts AS f
JOIN month_starts AS m ON m.day > f.first_day;

CREATE OR REPLACE TEMP TABLE ingest_old_village AS
SELECT * FROM village_daily WHERE region IN (SELECT region FROM ingest_villages);

DELETE FROM village_daily WHERE region IN (SELECT region FROM ingest_villages);

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
FROM ingest_village_nets
GROUP BY region, day
WINDOW w AS (PARTITION BY region ORDER BY day ROWS UNBOUNDED PRECEDING)
ORDER BY day, region;
