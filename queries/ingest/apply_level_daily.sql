-- ingest/apply_level_daily: apply a load's village deltas to a region rollup
--
-- Purpose: the incremental form of queries/summary/level_daily.sql, one text for the
--   levels (village_daily in the additive refresh; town, county and city in both; the
--   slots below: the table and its short-code length, filled by
--   dashboard/kpi/summaries.py from dashboard/kpi/scope.py LEVEL_LENGTHS). Only the regions
--   (short codes of that many digits) above touched villages change, and only by the sum
--   of their villages' deltas (TEMP ingest_village_delta): a flow by the day's delta, a
--   stock (running sum) by the running sum of the deltas up to the day. A (region, day) row
--   exists exactly when one of its villages has a row that day, as in the full refresh:
--   new keys are added first carrying the previous row's stocks, keys no village has any
--   more are removed last. Every statement reads only the rows a delta can reach: its
--   regions' rows from its first day on (the table is stored by region, then day, since
--   migration 016, so the region bound skips row groups); the cost follows the batch, not
--   the table (docs/ingest.md, "The region levels"). tests/unit/test_ingest_summaries.py checks the result equals a
--   full refresh.
-- Column lists generated from dashboard/kpi/registry.py ROLLUP_MEASURES (rollup_sql.py).
-- @slot level: village town county city
-- @slot digits: 12 9 6 4
-- Parameters: none. Reads TEMP ingest_village_delta, ingest_village_keys.
-- Columns: none.
CREATE OR REPLACE TEMP TABLE ingest_level_delta AS
SELECT substr(region, 1, {{digits}}) AS region, day,
-- @include measures form=sum
FROM ingest_village_delta
GROUP BY substr(region, 1, {{digits}}), day;

CREATE OR REPLACE TEMP TABLE ingest_level_new AS
SELECT DISTINCT substr(k.region, 1, {{digits}}) AS region, k.day
FROM ingest_village_keys AS k
ANTI JOIN (
    SELECT region, day FROM {{level}}_daily
    WHERE day >= (SELECT min(day) FROM ingest_village_keys WHERE present)
) AS l ON l.region = substr(k.region, 1, {{digits}}) AND l.day = k.day
WHERE k.present;

INSERT INTO {{level}}_daily (
    region, day,
-- @include measures
)
SELECT n.region, n.day,
-- @include measures part=flows form=zero
       ,
-- @include measures part=stocks form=carry
FROM ingest_level_new AS n
ASOF LEFT JOIN (
    -- the previous row of a new key: every region has a row on each month start after its
    -- first row, so it lies in the key's month or the one before (or there is none)
    SELECT * FROM {{level}}_daily
    WHERE region IN (SELECT region FROM ingest_level_new)
      AND day >= (SELECT CAST(date_trunc('month', min(day)) - INTERVAL 1 MONTH AS DATE)
                  FROM ingest_level_new)
) AS p ON p.region = n.region AND n.day > p.day;

-- flows by the day's delta, stocks by the running sum of the deltas up to the day: one
-- UPDATE over the rows a delta reaches (its regions', from its first day on)
UPDATE {{level}}_daily AS l
SET
-- @include measures form=add_x
FROM (
    SELECT t.region, t.day,
-- @include measures part=flows form=carry_m
           ,
-- @include measures part=stocks form=of_c
    FROM (
        SELECT region, day FROM {{level}}_daily
        WHERE region IN (SELECT region FROM ingest_level_delta)
          AND day >= (SELECT min(day) FROM ingest_level_delta)
    ) AS t
    ASOF JOIN (
        SELECT region, day,
-- @include measures part=stocks form=cumulative
        FROM ingest_level_delta
        WINDOW w AS (PARTITION BY region ORDER BY day ROWS UNBOUNDED PRECEDING)
    ) AS c ON c.region = t.region AND t.day >= c.day
    LEFT JOIN ingest_level_delta AS m ON m.region = t.region AND m.day = t.day
) AS x
WHERE l.region = x.region AND l.day = x.day
  AND l.day >= (SELECT min(day) FROM ingest_level_delta);

DELETE FROM {{level}}_daily AS l
USING (
    SELECT DISTINCT substr(k.region, 1, {{digits}}) AS region, k.day
    FROM ingest_village_keys AS k
    WHERE NOT k.present
) AS gone
WHERE l.region = gone.region AND l.day = gone.day
  AND NOT EXISTS (SELECT 1 FROM village_daily AS v
                  WHERE substr(v.region, 1, {{digits}}) = gone.region AND v.day = gone.day);
