-- ingest/add_incident_sums: add TEMP ingest_incident_delta to incident_daily or incident_monthly
--
-- Purpose: the additive refresh's merge (dashboard/kpi/summaries.py refresh_additive): the
--   rows at the delta's keys (grid, day or month, category, source, tier) become the stored
--   row plus the delta, keys not stored yet are appended, in time order. One text for
--   both tables (the slots below).
-- @slot table: incident_daily incident_monthly
-- @slot period: day month
-- Parameters: none. Reads TEMP ingest_incident_delta.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_sums_delta AS
SELECT grid_code, CAST(date_trunc('{{period}}', day) AS DATE) AS {{period}}, category_code,
       source, tier, reported, void, registered, response_sec, escalated, dispatched, handled,
       closed, closed_ontime, closed_late, reworked, extended, online, handle_n, handle_sec,
       due, due_closed_ontime, close_sec, closed_nodl
FROM ingest_incident_delta;

CREATE OR REPLACE TEMP TABLE ingest_sums_merged AS
SELECT grid_code, {{period}}, category_code, source, tier,
       sum(reported) AS reported, sum(void) AS void, sum(registered) AS registered,
       sum(response_sec) AS response_sec, sum(escalated) AS escalated,
       sum(dispatched) AS dispatched, sum(handled) AS handled, sum(closed) AS closed,
       sum(closed_ontime) AS closed_ontime, sum(closed_late) AS closed_late,
       sum(reworked) AS reworked, sum(extended) AS extended, sum(online) AS online,
       sum(handle_n) AS handle_n, sum(handle_sec) AS handle_sec, sum(due) AS due,
       sum(due_closed_ontime) AS due_closed_ontime, sum(close_sec) AS close_sec,
       sum(closed_nodl) AS closed_nodl
FROM (
    SELECT s.grid_code, s.{{period}}, s.category_code, s.source, s.tier, s.reported, s.void,
           s.registered, s.response_sec, s.escalated, s.dispatched, s.handled, s.closed,
           s.closed_ontime, s.closed_late, s.reworked, s.extended, s.online, s.handle_n,
           s.handle_sec, s.due, s.due_closed_ontime, s.close_sec, s.closed_nodl
    FROM {{table}} AS s
    SEMI JOIN ingest_sums_delta AS d
        ON d.grid_code = s.grid_code AND d.{{period}} = s.{{period}}
       AND d.category_code = s.category_code AND d.source = s.source AND d.tier = s.tier
    UNION ALL
    SELECT * FROM ingest_sums_delta
) AS x
GROUP BY grid_code, {{period}}, category_code, source, tier;

DELETE FROM {{table}} AS s
USING ingest_sums_merged AS m
WHERE s.grid_code = m.grid_code AND s.{{period}} = m.{{period}}
  AND s.category_code = m.category_code AND s.source = m.source AND s.tier = m.tier;

INSERT INTO {{table}} (
    grid_code, {{period}}, category_code, source, tier, reported, void, registered,
    response_sec, escalated, dispatched, handled, closed, closed_ontime, closed_late,
    reworked, extended, online, handle_n, handle_sec, due, due_closed_ontime, close_sec,
    closed_nodl
)
SELECT * FROM ingest_sums_merged
ORDER BY {{period}};

DROP TABLE ingest_sums_delta;

DROP TABLE ingest_sums_merged;
