"""Personal data of key populations: masked by default, clear only when cleared, audited.

Key persons (重点人群: elderly living alone, people with severe mental illness, people under
community correction ...) are sensitive personal information (PIPL Art. 28), and what an
interface displays should be de-identified (GB/T 35273 §7.2). The rules here:

- Every person-level read goes through :func:`list_persons`, :func:`person_detail` or
  :func:`export_persons`, which take the caller's :class:`~dashboard.kpi.scope.Scope`
  (from the session) and bind it as ``starts_with(grid_code, $prefix)``.
- Values are masked (:func:`mask_name`, :func:`mask_id`, :func:`mask_phone`,
  :func:`mask_address`) unless the user holds ``pii_clearance`` *and* asks for the clear
  values of one person in a detail view. Lists and exports are always masked.
- Every person-level response writes an audit row (who, role, scope, when, what, ids)
  before it is returned; if the audit write fails, nothing is returned.
- Counts of sensitive categories between 1 and 4 at grid or village level become ``"<5"``
  for users without clearance (:func:`suppress_small`), so a small count plus local
  knowledge does not identify a person.
"""

from __future__ import annotations

import re

from dashboard.access import Forbidden
from dashboard.kpi.scope import Scope
from queries import names as Q
from queries import run

SMALL = 5
SMALL_LEVELS = {"village", "grid"}
MAX_LIST = 500
_DIGIT = re.compile(r"[0-9０-９]")


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``张三丰`` → ``张**``: the surname only."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id(id_number: str) -> str:
    """``320612198001011234`` → ``3****************4``: first and last character only."""
    if not id_number:
        return ""
    if len(id_number) <= 2:
        return "*" * len(id_number)
    return id_number[0] + "*" * (len(id_number) - 2) + id_number[-1]


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_address(address: str, village: str | None = None) -> str:
    """The address cut to the village: ``金沙街道东市社区3组12号`` → ``金沙街道东市社区``.

    With the village's name the cut is exact; without it, everything from the first digit
    on (组, 号, 栋, 室 numbers) is dropped.
    """
    if not address:
        return ""
    if village and village in address:
        return address[: address.index(village) + len(village)]
    m = _DIGIT.search(address)
    return (address[: m.start()] if m else address).rstrip() or "*"


def suppress_small(count: int, level: str, cleared: bool) -> int | str:
    """``"<5"`` for counts 1..4 at grid or village level unless the user is cleared."""
    if not cleared and level in SMALL_LEVELS and 0 < int(count) < SMALL:
        return f"<{SMALL}"
    return int(count)


def _public(row: dict) -> dict:
    return {
        "id": int(row["id"]),
        "grid_code": row["grid_code"],
        "grid_name": row["grid_name"],
        "village": row["village_name"],
        "category": row["category"],
        "risk_level": row["risk_level"],
        "gender": row["gender"],
        "birth_year": int(row["birth_year"]),
    }


def masked(row: dict) -> dict:
    """A person row for display: the public fields plus masked personal fields."""
    return {
        **_public(row),
        "name": mask_name(row["name"]),
        "id_number": mask_id(row["id_number"]),
        "phone": mask_phone(row["phone"]),
        "address": mask_address(row["address"], row["village_name"]),
        "masked": True,
    }


def clear(row: dict) -> dict:
    return {
        **_public(row),
        "name": row["name"],
        "id_number": row["id_number"],
        "phone": row["phone"],
        "address": row["address"],
        "masked": False,
    }


def list_persons(con, scope: Scope, audit, limit: int = 100) -> list[dict]:
    """Listed key persons in ``scope`` (masked), newest ids last; one audit row ``list``.

    Parameters
    ----------
    con : duckdb connection or cursor
    scope : Scope
        From the session, possibly narrowed; never built from request data.
    audit : callable
        ``audit(action, what, ids)``; called before the rows are returned.
    limit : int
        At most :data:`MAX_LIST`.
    """
    limit = max(1, min(int(limit), MAX_LIST))
    rows = run(con, Q.PERSONS_LIST, prefix=scope.prefix, limit=limit).to_dict("records")
    out = [masked(r) for r in rows]
    audit("list", f"persons {scope.region}", [r["id"] for r in out])
    return out


def person_detail(con, scope: Scope, person_id: int, audit, *, want_clear: bool,
                  cleared: bool) -> dict | None:
    """One person in ``scope``, masked unless ``want_clear`` and ``cleared``.

    Returns ``None`` (and audits nothing) when the person is not in scope, so an id outside
    the jurisdiction gives nothing. Raises :class:`dashboard.access.Forbidden` when clear
    values are asked for without clearance.
    """
    if want_clear and not cleared:
        raise Forbidden("no clearance for personal data")
    rows = run(con, Q.PERSONS_DETAIL, prefix=scope.prefix, person_id=int(person_id))
    if rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    show_clear = want_clear and cleared
    audit("detail_clear" if show_clear else "detail", f"person {int(person_id)}",
          [int(person_id)])
    return clear(row) if show_clear else masked(row)


EXPORT_COLUMNS = ("id", "grid_code", "grid_name", "village", "category", "risk_level",
                  "gender", "birth_year", "name", "id_number", "phone", "address")


def export_persons(con, scope: Scope, audit) -> list[dict]:
    """Every listed key person in ``scope``, masked (exports never carry clear values)."""
    rows = run(con, Q.PERSONS_LIST, prefix=scope.prefix, limit=1_000_000).to_dict("records")
    out = [{k: masked(r)[k] for k in EXPORT_COLUMNS} for r in rows]
    audit("export", f"persons {scope.region} csv", [r["id"] for r in out])
    return out


def category_counts(con, scope: Scope, level: str, cleared: bool) -> list[dict]:
    """Listed key persons per unit of ``level`` (town, village, grid) and category.

    Aggregates, not person-level: small counts at village and grid level are suppressed
    for users without clearance.
    """
    lengths = {"county": 6, "town": 9, "village": 12, "grid": 15}
    if level not in lengths or lengths[level] < len(scope.region):
        raise ValueError(f"level {level!r} is not below the scope {scope.region}")
    frame = run(con, Q.PERSONS_COUNTS, prefix=scope.prefix, digits=lengths[level])
    return [
        {"unit": r["unit"], "category": r["category"],
         "count": suppress_small(r["n"], level, cleared)}
        for r in frame.to_dict("records")
    ]


# --- small counts: primary and complementary suppression ----------------------------------
#
# Counts of key persons are published for every unit of a user's jurisdiction (the region,
# its towns, villages and grids) by category and in total, through the API
# (/api/persons/counts at every level), the 重点人群 page and the overview. A count of 1–4
# alone would point at people ("primary" suppression, shown "<5"); and because a parent is
# the sum of its children and a unit's total the sum of its categories, one hidden cell in
# such a relation could be computed back from the others. So every relation in which some
# cell is hidden gets at least two hidden cells, and enough of them that no hidden 1–4 is
# pinned by the others' known bounds ("complementary" suppression, shown "*"). The table is
# computed once for the whole jurisdiction, from the top down, and every request at any
# level reads from it: two requests at different levels show the same pattern, so their
# differences reveal nothing either. docs/security.md describes the algorithm.

PRIMARY = f"<{SMALL}"
SECONDARY = "*"
TOTAL = "合计"
_LENGTHS = (4, 6, 9, 12, 15)


class Protected:
    """The published key-person counts of one jurisdiction at one moment.

    ``value(unit, category)`` is an int or :data:`PRIMARY` / :data:`SECONDARY`;
    ``category`` :data:`TOTAL` is the unit's total over categories.
    """

    def __init__(self, root: str, cells: dict, hidden: dict, categories: tuple[str, ...],
                 children: dict):
        self.root = root
        self.cells = cells  # (unit, category) → true count
        self.hidden = hidden  # (unit, category) → PRIMARY | SECONDARY
        self.categories = categories
        self.children = children

    def value(self, unit: str, category: str = TOTAL) -> int | str:
        key = (unit, category)
        if key in self.hidden:
            return self.hidden[key]
        return int(self.cells.get(key, 0))

    def shown(self, unit: str, category: str = TOTAL) -> bool:
        return (unit, category) not in self.hidden

    def total(self, units, categories=None) -> int | str:
        """The sum over ``units`` × ``categories`` (None: the units' totals), published only
        when every cell it adds is (a sum of shown cells tells nothing new); else the
        marker of the one hidden cell, or :data:`SECONDARY` for a sum of several."""
        keys = [(u, c) for u in units for c in (categories or (TOTAL,))]
        hidden = [k for k in keys if k in self.hidden]
        if not hidden:
            return int(sum(self.cells.get(k, 0) for k in keys))
        return self.hidden[hidden[0]] if len(keys) == 1 else SECONDARY

    def units_at(self, length: int, prefix: str) -> list[str]:
        """The units of code length ``length`` inside ``prefix``."""
        return sorted({u for (u, _) in self.cells if len(u) == length
                       and u.startswith(prefix)})


def protect(counts, units, root: str) -> Protected:
    """Suppress small counts and their complements for the jurisdiction ``root``.

    Parameters
    ----------
    counts : iterable of (grid_code, category, n)
        Persons per grid and category (grids inside ``root``).
    units : iterable of str
        Every grid code inside ``root`` (grids without persons count 0).
    root : str
        The jurisdiction's short code: the top of the tree.

    The hierarchy is root → the next code lengths (6, 9, 12) → grids (15); one relation per
    parent, category and total (parent = Σ children) and one per unit (total = Σ
    categories). Hidden cells of a relation must be two or more, and each hidden 1–4 must
    keep at least two possible values given the others' bounds (1–4 for a "<5", 5 or more
    for a "*"); otherwise the smallest non-zero shown cell of the relation is hidden too.
    Repeated over all relations until nothing changes.
    """
    counts = list(counts)
    grids = sorted(set(units))
    cats = sorted({c for _, c, _ in counts})
    cells: dict = {}
    for g, c, n in counts:
        for length in _LENGTHS:
            if length >= len(root) and length <= len(g):
                key = (g[:length], c)
                cells[key] = cells.get(key, 0) + int(n)
    nodes = {root}
    for g in grids:
        for length in _LENGTHS:
            if len(root) <= length <= len(g):
                nodes.add(g[:length])
    children: dict = {}
    for node in nodes:
        if node == root:
            continue
        parent = next(node[:n] for n in reversed(_LENGTHS) if n < len(node)
                      and node[:n] in nodes)
        children.setdefault(parent, []).append(node)
    for node in nodes:
        total = 0
        for c in cats:
            cells.setdefault((node, c), 0)
            total += cells[(node, c)]
        cells[(node, TOTAL)] = total
    relations = []
    for parent, kids in sorted(children.items()):
        for c in (*cats, TOTAL):
            relations.append(((parent, c), [(k, c) for k in sorted(kids)]))
    for node in sorted(nodes):
        if cats:
            relations.append(((node, TOTAL), [(node, c) for c in cats]))
    # every count below 5, zero included: a hidden cell known to be non-zero is pinned by
    # its relations far more often (1 + 1 = 2), and "<5" on a zero tells nobody anything
    hidden = {k: PRIMARY for k, n in cells.items() if n < SMALL}
    _complete(relations, cells, hidden)
    return Protected(root, cells, hidden, tuple(cats), children)


_BIG = 10**9


def _complete(relations, cells, hidden) -> None:
    """Add complementary suppressions until no hidden count 1–4 is pinned.

    An attacker's bounds on each hidden cell start from its marker (0–4 for "<5", 5 or
    more for "*") and are tightened relation by relation, as far as they go (interval
    propagation, the relations' worklist). Whenever a relation has a single hidden cell, or
    leaves a hidden count 1–4 with less than two possible values, the smallest shown cell
    of that relation is hidden as well. Bounds are never loosened again when a cell is
    hidden later: that can only make the result more cautious.
    """
    from collections import deque

    bounds = {k: _bounds(k, hidden) for k in hidden}
    rel_of: dict = {}
    for i, (total, parts) in enumerate(relations):
        for k in (total, *parts):
            rel_of.setdefault(k, []).append(i)
    queue = deque(range(len(relations)))
    queued = set(queue)

    def push(key, skip=None):
        for j in rel_of.get(key, ()):
            if j != skip and j not in queued:
                queued.add(j)
                queue.append(j)

    def hide(members, i) -> bool:
        shown = [k for k, _ in members if k not in hidden]
        if not shown:
            return False
        key = min(shown, key=lambda k: (cells[k], k))
        hidden[key] = SECONDARY
        bounds[key] = _bounds(key, hidden)
        push(key)
        if i not in queued:
            queued.add(i)
            queue.append(i)
        return True

    while queue:
        i = queue.popleft()
        queued.discard(i)
        total, parts = relations[i]
        members = [(total, 1), *((p, -1) for p in parts)]
        secret = [(k, s) for k, s in members if k in hidden]
        if not secret:
            continue
        if len(secret) == 1:
            hide(members, i)
            continue
        known = -sum(s * cells[k] for k, s in members if k not in hidden)
        low = sum(min(s * bounds[k][0], s * bounds[k][1]) for k, s in secret)
        high = sum(max(s * bounds[k][0], s * bounds[k][1]) for k, s in secret)
        for key, sign in secret:
            lo0, hi0 = bounds[key]
            own_lo, own_hi = min(sign * lo0, sign * hi0), max(sign * lo0, sign * hi0)
            # sign * x = known - (the others' sum), the others' sum in [low', high']
            a, b = known - (high - own_hi), known - (low - own_lo)
            lo, hi = max(lo0, min(a * sign, b * sign)), min(hi0, max(a * sign, b * sign))
            if hidden[key] == PRIMARY and cells[key] > 0 and hi - lo < 1:
                if hide(members, i):
                    break
            if (lo, hi) != (lo0, hi0) and lo <= hi:
                bounds[key] = (lo, hi)
                push(key, i)


def _bounds(key, hidden) -> tuple[int, int]:
    return (0, SMALL - 1) if hidden[key] == PRIMARY else (SMALL, _BIG)


def listed_until(con):
    """The end of today in the store's time (exclusive): who is listed "now"."""
    from datetime import datetime, time, timedelta

    from dashboard.clock import store_now

    return datetime.combine(store_now(con).date() + timedelta(days=1), time())


CACHE_SIZE = 16  # protected tables kept per app (jurisdiction × moment × data version)


def protected_counts(con, root: str, end) -> Protected:
    """The published counts of the jurisdiction ``root`` (the user's own scope, never a
    narrowed one) for persons listed at ``end`` (exclusive: registered before it and not
    removed before it). Cached per app by the data's version, so live intake changes it."""
    from collections import OrderedDict

    from flask import current_app, has_app_context

    stamp = run(con, Q.PERSONS_COUNTS_STAMP, prefix=root).iloc[0].tolist()
    key = (root, str(end), tuple(int(v) for v in stamp))
    cache = None
    if has_app_context():
        cache = current_app.extensions.setdefault("gridcmd_protected", OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    counts = run(con, Q.PERSONS_COUNTS_AT, prefix=root, end=end)
    grids = run(con, Q.REGION_GRID_CODES, prefix=root)["code"].tolist()
    table = protect(counts.itertuples(index=False, name=None), grids, root)
    if cache is not None:
        cache[key] = table
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return table


def published_counts(con, root: str, scope: Scope, level: str, end) -> list[dict]:
    """``category_counts`` for a user without clearance: every unit of ``level`` inside
    ``scope`` and every category, zeros included (listing only the non-zero ones would say
    which "<5" are not zero), from the jurisdiction's protected table."""
    lengths = {"county": 6, "town": 9, "village": 12, "grid": 15}
    if level not in lengths or lengths[level] < len(scope.region):
        raise ValueError(f"level {level!r} is not below the scope {scope.region}")
    table = protected_counts(con, root, end)
    return [{"unit": u, "category": c, "count": table.value(u, c)}
            for u in table.units_at(lengths[level], scope.prefix) for c in table.categories]
