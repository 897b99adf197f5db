-- rollup_flow_sums: the flow measures of the region rollups, summed under their own names
--
-- Purpose: the first part of a select list over per-village rows, written once and
--   included by rollup_sums.sql (flows and stock changes summed alike) and
--   level_rollup_insert.sql (flows summed, stocks as running sums). Ends with a comma: the
--   stock columns follow in the including query.
-- Parameters: none.
-- Columns: reported ... al_handled, close_sec, closed_nodl.
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
       sum(close_sec) AS close_sec, sum(closed_nodl) AS closed_nodl,
