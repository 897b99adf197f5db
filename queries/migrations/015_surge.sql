-- 015_surge: surge detection (异常预警, docs/foresight.md): the columns a surge alert
-- stores in foresight_scores (the day tested, its window, observed and expected counts,
-- the baseline per day, p- and q-value; NULL on the at-risk rows), then the refill below
-- fits the surge model (weekday, month and hour-of-day factors) and stores the alerts of
-- the store's current moment through the current code (dashboard/foresight/surge.py
-- refill); no other table changes.
-- @refill surge
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS day DATE;
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS window_days INTEGER;
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS observed BIGINT;
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS expected DOUBLE;
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS baseline_per_day DOUBLE;
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS p_value DOUBLE;
ALTER TABLE foresight_scores ADD COLUMN IF NOT EXISTS q_value DOUBLE;
