-- ingest/additive_incidents: the incident_daily rows of the cases a load inserted
--
-- Purpose: the first step of the additive refresh of a batch that only inserted cases
--   (dashboard/kpi/summaries.py refresh_additive). Every incident summary measure is a sum
--   of per-case event rows (summary/incident_daily_rows.sql), so the new cases' own rows, added to
--   the stored ones (ingest/add_incident_sums.sql), give what a recomputation of the
--   touched grids from all their cases would, without reading those cases.
-- Parameters: none. Reads TEMP ingest_clean and ingest_diff (dashboard/ingest/load.py).
-- Columns: none (creates TEMP ingest_incident_delta, shaped as incident_daily).
CREATE OR REPLACE TEMP VIEW ingest_incident_new AS
SELECT c.* FROM ingest_clean AS c
SEMI JOIN ingest_diff AS d ON d.case_no = c.case_no AND d.op = 'insert';

CREATE OR REPLACE TEMP TABLE ingest_incident_delta AS
SELECT * FROM incident_daily LIMIT 0;

INSERT INTO ingest_incident_delta (
    grid_code, day, category_code, source, tier, reported, void, registered, response_sec,
    escalated, dispatched, handled, closed, closed_ontime, closed_late, reworked, extended,
    online, handle_n, handle_sec, due, due_closed_ontime, close_sec, closed_nodl
)
WITH
    -- @include summary/incident_daily_rows rows=ingest_incident_new
SELECT * FROM daily;

DROP VIEW ingest_incident_new;
