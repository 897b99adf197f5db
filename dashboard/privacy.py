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
    rows = run(con, "person_list", prefix=scope.prefix, limit=limit).to_dict("records")
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
    rows = run(con, "person_detail", prefix=scope.prefix, person_id=int(person_id))
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
    rows = run(con, "person_list", prefix=scope.prefix, limit=1_000_000).to_dict("records")
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
    frame = run(con, "person_counts", prefix=scope.prefix, digits=lengths[level])
    return [
        {"unit": r["unit"], "category": r["category"],
         "count": suppress_small(r["n"], level, cleared)}
        for r in frame.to_dict("records")
    ]
