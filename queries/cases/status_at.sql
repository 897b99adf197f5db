-- cases/status_at: a case's status as it stood at $now (an expression, included by queries
--   on `incidents AS i`)
--
-- Purpose: a screen shown as of a past moment (dashboard/asof.py) must not call a case
--   closed that was closed later. When nothing happened to the case after $now its
--   stored status stands; otherwise the status is read from the last lifecycle time not
--   after $now. A void case stays void (the store keeps no time of voiding).
-- Parameters:
--   $now  the moment (TIMESTAMP, the store's wall time)
-- Columns: one expression, status (VARCHAR).
CASE
    WHEN i.is_void THEN i.status
    WHEN i.closed_at <= $now THEN '已结案'
    WHEN greatest(i.registered_at, i.dispatched_at, i.handled_at, i.verified_at,
                  i.closed_at) IS NULL
      OR greatest(i.registered_at, i.dispatched_at, i.handled_at, i.verified_at,
                  i.closed_at) <= $now THEN i.status
    WHEN i.verified_at <= $now THEN '待结案'
    WHEN i.handled_at <= $now THEN '待核查'
    WHEN i.dispatched_at <= $now THEN '处置中'
    WHEN i.registered_at <= $now THEN '已立案'
    ELSE '待立案'
END
