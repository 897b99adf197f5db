-- foresight/batches: how far the stored at-risk scores and surge alerts have followed the
--   import log (dashboard/foresight/run.py, Rescorer).
--
-- Purpose: live intake rescores after a batch's answer, in the background; a writer killed
--   between a batch's commit and its rescoring finds here, when it starts again, that a
--   batch of incidents was never followed, and rescores then.
-- Parameters: none.
-- Columns: newest (BIGINT, the newest incidents batch that wrote a case; NULL when none),
--   followed (BIGINT, meta 'foresight_batch': the newest batch a rescoring covered; NULL
--   before the first).
SELECT
    (SELECT max(id) FROM import_batches
     WHERE kind = 'incidents' AND inserted + updated > 0) AS newest,
    (SELECT try_cast(value AS BIGINT) FROM meta WHERE key = 'foresight_batch') AS followed
