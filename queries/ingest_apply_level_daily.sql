-- ingest_apply_level_daily: apply a load's village deltas to town_daily, county_daily or city_daily
--
-- Purpose: the incremental form of queries/summary_level_daily.sql, one text for the three
--   levels (the slots below: the table and its short-code length, filled by
--   dashboard/kpi/summaries.py from dashboard/kpi/scope.py LEVEL_LENGTHS). Only the regions
--   (short codes of that many digits) above touched villages change, and only by the sum
--   of their villages' deltas (TEMP ingest_village_delta): a flow by the day's delta, a
--   stock (running sum) by the running sum of the deltas up to the day. A (region, day) row
--   exists exactly when one of its villages has a row that day, as in the full refresh:
--   new keys are added first carrying the previous row's stocks, keys no village has any
--   more are removed last. tests/unit/test_ingest_summaries.py checks the result equals a
--   full refresh.
-- @slot level: village town county city
-- @slot digits: 12 9 6 4
-- Parameters: none. Reads TEMP ingest_village_delta, ingest_village_keys.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_level_delta AS
SELECT substr(region, 1, {{digits}}) AS region, day,
-- @include rollup_sums
FROM ingest_village_delta
GROUP BY substr(region, 1, {{digits}}), day;

CREATE OR REPLACE TEMP TABLE ingest_level_new AS
SELECT DISTINCT substr(k.region, 1, {{digits}}) AS region, k.day
FROM ingest_village_keys AS k
ANTI JOIN {{level}}_daily AS l ON l.region = substr(k.region, 1, {{digits}}) AND l.day = k.day
WHERE k.present;

INSERT INTO {{level}}_daily (
-- @include rollup_columns
)
SELECT n.region, n.day,
       0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0,
       coalesce(p.overdue_open, 0), coalesce(p.backlog, 0), coalesce(p.hz_open, 0),
       coalesce(p.hz_open_overdue, 0), coalesce(p.kp_listed, 0),
       coalesce(p.kp_living_alone_elderly, 0), coalesce(p.kp_empty_nest_elderly, 0),
       coalesce(p.kp_disabled, 0), coalesce(p.kp_minimum_subsistence, 0),
       coalesce(p.kp_left_behind_children, 0), coalesce(p.kp_children_in_difficulty, 0),
       coalesce(p.kp_severe_mental_disorder, 0), coalesce(p.kp_community_corrections, 0),
       coalesce(p.kp_released_prisoners, 0), coalesce(p.kp_drug_users, 0),
       coalesce(p.al_unhandled, 0)
FROM ingest_level_new AS n
ASOF LEFT JOIN {{level}}_daily AS p ON p.region = n.region AND n.day > p.day;

UPDATE {{level}}_daily AS l
SET reported = l.reported + d.reported, void = l.void + d.void, registered = l.registered + d.registered, response_sec = l.response_sec + d.response_sec, handled = l.handled + d.handled, closed = l.closed + d.closed, closed_ontime = l.closed_ontime + d.closed_ontime, reworked = l.reworked + d.reworked, online = l.online + d.online, handle_n = l.handle_n + d.handle_n, handle_sec = l.handle_sec + d.handle_sec, sv_surveys = l.sv_surveys + d.sv_surveys, sv_rated = l.sv_rated + d.sv_rated, sv_satisfied_any = l.sv_satisfied_any + d.sv_satisfied_any, esc_to_town = l.esc_to_town + d.esc_to_town, esc_to_county = l.esc_to_county + d.esc_to_county, esc_to_city = l.esc_to_city + d.esc_to_city, esc_transfers = l.esc_transfers + d.esc_transfers, hz_found = l.hz_found + d.hz_found, hz_found_major = l.hz_found_major + d.hz_found_major, hz_rectified = l.hz_rectified + d.hz_rectified, hz_rectified_ontime = l.hz_rectified_ontime + d.hz_rectified_ontime, vs_due = l.vs_due + d.vs_due, vs_visited_ontime = l.vs_visited_ontime + d.vs_visited_ontime, al_alerts = l.al_alerts + d.al_alerts, al_handled = l.al_handled + d.al_handled, close_sec = l.close_sec + d.close_sec, closed_nodl = l.closed_nodl + d.closed_nodl
FROM ingest_level_delta AS d
WHERE l.region = d.region AND l.day = d.day;

CREATE OR REPLACE TEMP TABLE ingest_level_cum AS
SELECT region, day,
       sum(overdue_open) OVER w AS overdue_open, sum(backlog) OVER w AS backlog,
       sum(hz_open) OVER w AS hz_open, sum(hz_open_overdue) OVER w AS hz_open_overdue,
       sum(kp_listed) OVER w AS kp_listed,
       sum(kp_living_alone_elderly) OVER w AS kp_living_alone_elderly,
       sum(kp_empty_nest_elderly) OVER w AS kp_empty_nest_elderly,
       sum(kp_disabled) OVER w AS kp_disabled,
       sum(kp_minimum_subsistence) OVER w AS kp_minimum_subsistence,
       sum(kp_left_behind_children) OVER w AS kp_left_behind_children,
       sum(kp_children_in_difficulty) OVER w AS kp_children_in_difficulty,
       sum(kp_severe_mental_disorder) OVER w AS kp_severe_mental_disorder,
       sum(kp_community_corrections) OVER w AS kp_community_corrections,
       sum(kp_released_prisoners) OVER w AS kp_released_prisoners,
       sum(kp_drug_users) OVER w AS kp_drug_users, sum(al_unhandled) OVER w AS al_unhandled
FROM ingest_level_delta
WINDOW w AS (PARTITION BY region ORDER BY day ROWS UNBOUNDED PRECEDING);

UPDATE {{level}}_daily AS l
SET overdue_open = l.overdue_open + x.overdue_open, backlog = l.backlog + x.backlog, hz_open = l.hz_open + x.hz_open, hz_open_overdue = l.hz_open_overdue + x.hz_open_overdue, kp_listed = l.kp_listed + x.kp_listed, kp_living_alone_elderly = l.kp_living_alone_elderly + x.kp_living_alone_elderly, kp_empty_nest_elderly = l.kp_empty_nest_elderly + x.kp_empty_nest_elderly, kp_disabled = l.kp_disabled + x.kp_disabled, kp_minimum_subsistence = l.kp_minimum_subsistence + x.kp_minimum_subsistence, kp_left_behind_children = l.kp_left_behind_children + x.kp_left_behind_children, kp_children_in_difficulty = l.kp_children_in_difficulty + x.kp_children_in_difficulty, kp_severe_mental_disorder = l.kp_severe_mental_disorder + x.kp_severe_mental_disorder, kp_community_corrections = l.kp_community_corrections + x.kp_community_corrections, kp_released_prisoners = l.kp_released_prisoners + x.kp_released_prisoners, kp_drug_users = l.kp_drug_users + x.kp_drug_users, al_unhandled = l.al_unhandled + x.al_unhandled
FROM (
    SELECT t.region, t.day, c.overdue_open, c.backlog, c.hz_open, c.hz_open_overdue, c.kp_listed, c.kp_living_alone_elderly, c.kp_empty_nest_elderly, c.kp_disabled, c.kp_minimum_subsistence, c.kp_left_behind_children, c.kp_children_in_difficulty, c.kp_severe_mental_disorder, c.kp_community_corrections, c.kp_released_prisoners, c.kp_drug_users, c.al_unhandled
    FROM {{level}}_daily AS t
    ASOF JOIN ingest_level_cum AS c ON c.region = t.region AND t.day >= c.day
) AS x
WHERE l.region = x.region AND l.day = x.day;

DELETE FROM {{level}}_daily AS l
USING (
    SELECT DISTINCT substr(k.region, 1, {{digits}}) AS region, k.day
    FROM ingest_village_keys AS k
    WHERE NOT k.present
) AS gone
WHERE l.region = gone.region AND l.day = gone.day
  AND NOT EXISTS (SELECT 1 FROM village_daily AS v
                  WHERE substr(v.region, 1, {{digits}}) = gone.region AND v.day = gone.day);
