-- village_nets_incidents: the incident measures of village_nets, per village and day
--
-- Purpose: the incident branch of village_nets.sql (flows under the event-day attribution,
--   stock changes as the day's in-minus-out, the other domains' measures 0), one text for
--   the full and key-wise refresh (daily=incident_daily) and for the additive refresh of a
--   load that only inserted cases (daily=ingest_incident_delta: the new cases'
--   incident_daily rows, dashboard/kpi/summaries.py refresh_additive).
-- @slot daily: incident_daily ingest_incident_delta
-- Parameters: none. Reads TEMP village_scope(region).
-- Columns: region, day, then the rollup measures (as village_nets).
    SELECT substr(grid_code, 1, 12) AS region, day, reported, void, registered, response_sec,
          handled, closed, closed_ontime, reworked, online, handle_n, handle_sec,
          0 AS sv_surveys, 0 AS sv_rated, 0 AS sv_satisfied_any, 0 AS esc_to_town,
          0 AS esc_to_county, 0 AS esc_to_city, 0 AS esc_transfers, 0 AS hz_found,
          0 AS hz_found_major, 0 AS hz_rectified, 0 AS hz_rectified_ontime, 0 AS vs_due,
          0 AS vs_visited_ontime, 0 AS al_alerts, 0 AS al_handled, close_sec, closed_nodl,
          due - due_closed_ontime - closed_late AS overdue_open,
          dispatched - handled AS backlog, 0 AS hz_open, 0 AS hz_open_overdue, 0 AS kp_listed,
          0 AS kp_living_alone_elderly, 0 AS kp_empty_nest_elderly, 0 AS kp_disabled,
          0 AS kp_minimum_subsistence, 0 AS kp_left_behind_children,
          0 AS kp_children_in_difficulty, 0 AS kp_severe_mental_disorder,
          0 AS kp_community_corrections, 0 AS kp_released_prisoners, 0 AS kp_drug_users,
          0 AS al_unhandled
    FROM {{daily}}
    WHERE substr(grid_code, 1, 12) IN (SELECT region FROM village_scope)
