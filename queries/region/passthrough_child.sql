-- region/passthrough_child: the children of a region whose next level is a pass-through slot
--
-- Purpose: a store with fewer than five levels keeps a pass-through region per parent in
--   each unused slot (dashboard/levels.py); the screens step over it to the units below.
-- Parameters:
--   $parent_code  12-digit code of the parent region
-- Columns: code, short_code; one row for a pass-through slot.
SELECT code, short_code
FROM regions
WHERE parent_code = $parent_code
ORDER BY code
