"""Jurisdiction: whose rows a query may read.

A :class:`Scope` is built on the server side from the session (never from callback
inputs, which anyone can POST) and every KPI query binds its region as the
``starts_with(grid_code, $prefix)`` filter. Validation is strict because the prefix
decides what a user sees: digits only and one of the code lengths of the hierarchy, so a
``%``, a quote or an empty string never reaches SQL, and an empty prefix (everything) is
impossible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES: frozenset[str] = frozenset({"leader", "analyst", "grid_worker", "screen", "admin"})
REGION_LENGTHS: dict[int, str] = {4: "city", 6: "county", 9: "town", 12: "village", 15: "grid"}
LEVEL_LENGTHS: dict[str, int] = {level: n for n, level in REGION_LENGTHS.items()}
_DIGITS = re.compile(r"[0-9]+")


def unplaced_unit(code: str) -> bool:
    """Whether a unit key below the whole area ends in a segment of zeros (``320600``,
    ``320612000``, ``320612001001000``): no real unit does (statistical codes and the
    sequences of imported boundaries start at 1). Such a key stands for the rows
    attributed to the region above it but to none of its units: a record whose point was
    a placeholder, placed only by a ward or not at all (dashboard/ingest/quality.py). It
    counts in that region's totals and is never listed as a unit of its own."""
    n = len(code)
    if n not in REGION_LENGTHS or n == min(REGION_LENGTHS):
        return False
    above = max(m for m in REGION_LENGTHS if m < n)
    return code[above:] == "0" * (n - above)


@dataclass(frozen=True)
class Scope:
    """A user's jurisdiction: a region short-code prefix and a role.

    Parameters
    ----------
    region : str
        Short code of the region: 4 digits (city), 6 (county), 9 (town), 12 (village) or a
        15-digit grid code. Any role may look at a grid inside its jurisdiction (a narrowed
        scope, see ``dashboard.access.narrow``); only grid workers are *assigned* grids.
    role : str
        One of ``ROLES``. A ``screen`` (public display wall) sees aggregates only and may
        not drill through to case ids.

    Raises
    ------
    ValueError
        On a region that is not a string of digits of an allowed length, or an unknown role.
    """

    region: str
    role: str

    def __post_init__(self) -> None:
        if not isinstance(self.region, str) or not _DIGITS.fullmatch(self.region):
            raise ValueError(
                f"invalid region code {self.region!r}: expected digits only "
                f"({'/'.join(map(str, REGION_LENGTHS))} long)"
            )
        if len(self.region) not in REGION_LENGTHS:
            raise ValueError(
                f"invalid region code {self.region!r}: {len(self.region)} digits, expected "
                f"{', '.join(f'{n} ({lvl})' for n, lvl in REGION_LENGTHS.items())}"
            )
        if not isinstance(self.role, str) or self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: expected one of {sorted(ROLES)}")

    @property
    def prefix(self) -> str:
        """The value bound to ``$prefix`` in every scoped query."""
        return self.region

    @property
    def level(self) -> str:
        """city, county, town, village or grid."""
        return REGION_LENGTHS[len(self.region)]

    @property
    def can_drill(self) -> bool:
        """Whether case ids may be shown (not on public display walls)."""
        return self.role != "screen"
