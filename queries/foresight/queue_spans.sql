-- foresight/queue_spans: when each dispatched, non-void case entered its department's
-- queue (dispatched_at) and left it (handled_at, else closed_at; both NULL while it
-- waits), for the cases open at some moment of [$since, $until]; the queues of the
-- at-risk model (per county and department kind, dashboard/foresight/model.py Queues).
SELECT grid_code, dept_code, dispatched_at, handled_at, closed_at
FROM incidents
WHERE NOT is_void
  AND dept_code IS NOT NULL
  AND dispatched_at IS NOT NULL
  AND dispatched_at <= $until
  AND (closed_at IS NULL OR closed_at >= $since)
