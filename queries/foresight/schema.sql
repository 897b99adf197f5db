-- foresight/schema: the stored results of the foresight models (docs/foresight.md)
-- Created by migration 013 and by a fresh store (store/schema.sql includes this file).
--
-- foresight_models: one row per fitted model; `active` marks the one scoring uses.
-- `kind` is 'risk' (即将超期风险) or 'surge' (异常预警: weekday, month and hour-of-day
-- factors in params).
-- `params` is JSON: shifts, usual queues, calibration, training info (model.py).
CREATE TABLE IF NOT EXISTS foresight_models (
    model_version VARCHAR PRIMARY KEY,  -- 'risk-YYYYmmddHHMMSS-<rows>'
    kind          VARCHAR NOT NULL,     -- risk | (later) surge
    fitted_at     TIMESTAMP NOT NULL,   -- store time of the fit
    train_from    TIMESTAMP NOT NULL,   -- snapshots taken in [train_from, train_to)
    train_to      TIMESTAMP NOT NULL,
    n_rows        BIGINT NOT NULL,      -- training snapshots
    active        BOOLEAN NOT NULL,
    params        VARCHAR NOT NULL      -- JSON
);

-- foresight_strata: the model's conditional distributions of the remaining time: per
-- level of detail and stratum key, the number of training snapshots and the shrunk CDF of
-- log hours on the model's grid.
CREATE TABLE IF NOT EXISTS foresight_strata (
    model_version VARCHAR NOT NULL,
    level         INTEGER NOT NULL,     -- 0 stage|share used … 3 … |tier|小类
    key           VARCHAR NOT NULL,
    n             BIGINT NOT NULL,
    cdf           DOUBLE[] NOT NULL
);

-- foresight_scores: what the screens read. For kind 'risk' one row per open case with a
-- deadline that is not yet past it, as of `asof_at`; rewritten after every import or
-- intake batch and by `gridcmd foresight`. A surge alert (kind 'surge', 异常预警) is a
-- row with case_id NULL, its region (town or village code) in grid_code, its 大类 code in
-- category_code, its level ('town' | 'village') in stage, probability = 1 - q_value, the
-- evidence in reasons; rewritten by the same runs (dashboard/foresight/surge.py).
CREATE TABLE IF NOT EXISTS foresight_scores (
    kind            VARCHAR NOT NULL,   -- risk | surge
    case_id         BIGINT,             -- incidents.id
    case_no         VARCHAR,
    grid_code       VARCHAR NOT NULL,   -- region codes: county = 1..6, town 1..9, village 1..12
    category_code   VARCHAR,
    dept_code       VARCHAR,
    stage           VARCHAR,            -- registered | dispatched | handled | verified
    deadline_at     TIMESTAMP,
    asof_at         TIMESTAMP NOT NULL, -- the moment scored
    probability     DOUBLE NOT NULL,    -- calibrated P(closed after deadline_at)
    remaining_hours DOUBLE,             -- model's median remaining time to closure
    queue           BIGINT,             -- the department's open cases at asof_at
    reasons         VARCHAR NOT NULL,   -- plain Chinese, from the model's inputs (reason_parts worded)
    model_version   VARCHAR NOT NULL,
    -- surge alerts (kind 'surge', migration 015; NULL for 'risk'): the day tested, the
    -- window of days ending on it, the cases in the window, the baseline's expected count
    -- in it and per full day, the p-value and the Benjamini-Hochberg q-value
    day              DATE,
    window_days      INTEGER,
    observed         BIGINT,
    expected         DOUBLE,
    baseline_per_day DOUBLE,
    p_value          DOUBLE,
    q_value          DOUBLE,
    -- the reasons' structured parts (migration 020; NULL in rows stored before it, which
    -- read as `reasons`): JSON, worded per language at read time
    -- (dashboard/foresight/explain.py)
    reason_parts     VARCHAR
);
