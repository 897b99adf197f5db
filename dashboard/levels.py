"""The levels of a store: which of the five code slots it uses and what it calls them.

Internally every store keeps the national five-slot hierarchy (city 4 digits, county 6,
town 9, village 12, grid 15): jurisdiction, the summary tables and every scoped query work
on those code lengths. A store built from other boundaries (``gridcmd import boundaries
--levels district,precinct,grid``) maps its configured levels onto the slots: the first
(or a synthesized whole area) to the city slot, the grid level to the grid slot, the
levels between them to county, town and village in order. A slot no configured level
uses holds one *pass-through* region per parent (the parent's outline under another
code); the screens skip it, so a precinct's children are its grids.

The mapping is the ``meta`` row ``levels``: JSON ``{"4": "全市", "6": "区", "9": "片区",
"12": null, "15": "网格"}`` (slot length → configured name, ``null`` = pass-through). The
older comma list of names (``district,precinct,grid``) is read with the same slot rule. A
store without the row (the demo) has the five national levels with the catalogue's labels.

The row is read per call (one tiny query on the caller's connection, answered from the
result cache of ``queries.run`` inside a request: once per store version) and parsed once
per distinct value, so two stores in one process never share an answer.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache

from dashboard import access
from dashboard.access import BadCode, short_code
from dashboard.i18n import t
from dashboard.kpi.scope import LEVEL_LENGTHS, REGION_LENGTHS
from queries import names as Q
from queries import run, sql

SLOTS: tuple[int, ...] = tuple(REGION_LENGTHS)  # 4, 6, 9, 12, 15
MIDDLE: tuple[int, ...] = SLOTS[1:-1]  # county, town, village: configured middle levels
GRID = SLOTS[-1]
# The most units one map layer draws (the overview's and the analysis pages'). A level of a
# larger imported store is cut to its first units in code order, with a notice on the map,
# so that a browser never has to draw, and a callback never has to colour, more than this.
MAX_POLYGONS = 5000


@dataclass(frozen=True)
class Levels:
    """The slot → name mapping of one store.

    Attributes
    ----------
    names : tuple of (int, str or None)
        Per slot length, the configured name, or None where the store gives none (the
        catalogue's label is shown).
    hidden : frozenset of int
        Slot lengths held by pass-through regions.
    """

    names: tuple[tuple[int, str | None], ...] = tuple((n, None) for n in SLOTS)
    hidden: frozenset[int] = frozenset()

    @property
    def visible(self) -> tuple[int, ...]:
        """The slot lengths the screens show, top down."""
        return tuple(n for n in SLOTS if n not in self.hidden)

    @property
    def hidden_levels(self) -> list[str]:
        """Level names (``county``, ``town``, ``village``) of the pass-through slots."""
        return [REGION_LENGTHS[n] for n in SLOTS if n in self.hidden]

    def name(self, level: str | int) -> str | None:
        """The store's own name of a slot (level name or code length), None if it has
        none (the national levels: the catalogue names them)."""
        length = level if isinstance(level, int) else LEVEL_LENGTHS[level]
        return dict(self.names).get(length)

    def is_hidden(self, length: int) -> bool:
        """Whether regions of code length ``length`` are pass-through regions."""
        return length in self.hidden

    def below(self, length: int) -> int:
        """The next visible slot below code length ``length`` (15 for a grid itself)."""
        for n in SLOTS:
            if n > length and n not in self.hidden:
                return n
        return GRID

    def child_level(self, level: str) -> str:
        """The level name (``county`` … ``grid``) of the units shown below ``level``."""
        return REGION_LENGTHS[self.below(LEVEL_LENGTHS[level])]

    def label(self, level: str | int, lang: str = "zh") -> str:
        """The display name of a slot (level name or code length): the store's configured
        name where it has one (in either language: a configured name is the city's own
        word), else the catalogue's label."""
        length = level if isinstance(level, int) else LEVEL_LENGTHS[level]
        return self.name(length) or t(f"level.{REGION_LENGTHS[length]}", lang)

    @property
    def near_grid(self) -> tuple[int, ...]:
        """The two shown region slots nearest above the grids, top down (the national
        levels: town, village; district, precinct, grid: county, town): where a grid or a
        case is placed."""
        return tuple(reversed([n for n in reversed(MIDDLE) if n not in self.hidden][:2]))

    def place(self, county: str | None, town: str | None, village: str | None) -> str:
        """Where a case is: the names of its :attr:`near_grid` regions, top down (never a
        pass-through region, which repeats its parent's name)."""
        names = {6: county, 9: town, 12: village}
        return " · ".join(names[n] for n in self.near_grid if names[n])

    def shown(self, code: str) -> str:
        """The nearest region the screens show at or above region ``code`` (12-digit or
        short): a pass-through region stands for its parent (a jump to the village of an
        alert lands on the precinct)."""
        short = short_code(code)
        while self.is_hidden(len(short)):
            short = short[:max(n for n in SLOTS if n < len(short))]
        return short.ljust(12, "0")

    def to_meta(self) -> str:
        """The ``meta.levels`` value of this mapping."""
        return json.dumps({str(n): (None if n in self.hidden else name)
                           for n, name in self.names}, ensure_ascii=False)


NATIONAL = Levels()


def assign(configured: list[str], root: str | None = None) -> Levels:
    """Map configured level names onto the slots.

    Parameters
    ----------
    configured : list of str
        The level names top down, the grid level last. Without ``root`` the first one is
        the whole area (city slot); with it, ``root`` names the synthesized whole area and
        every configured level but the last goes below it.
    root : str, optional
        Name of a synthesized root region.

    Raises
    ------
    ValueError
        More middle levels than the three slots between city and grid, or fewer than two
        levels with no root.
    """
    top = [root] if root is not None else configured[:1]
    middle = configured[:-1] if root is not None else configured[1:-1]
    if not configured or (root is None and len(configured) < 2):
        raise ValueError("give at least two levels (the area or its parts, and grids)")
    if len(middle) > len(MIDDLE):
        raise ValueError(f"{len(middle)} levels between the whole area and the grids "
                         f"({', '.join(middle)}); at most {len(MIDDLE)} fit")
    names = {SLOTS[0]: top[0], GRID: configured[-1]}
    names.update(zip(MIDDLE, middle, strict=False))
    hidden = frozenset(MIDDLE[len(middle):])
    return Levels(tuple((n, names.get(n)) for n in SLOTS), hidden)


@lru_cache(maxsize=64)
def parse(value: str | None) -> Levels:
    """The mapping a ``meta.levels`` value describes (None: the national levels)."""
    if not value:
        return NATIONAL
    value = value.strip()
    if value.startswith("{"):
        raw = json.loads(value)
        names = tuple((n, raw.get(str(n)) or None) for n in SLOTS)
        hidden = frozenset(n for n in MIDDLE if str(n) in raw and raw[str(n)] is None)
        return Levels(names, hidden)
    try:
        return assign([v.strip() for v in value.split(",") if v.strip()])
    except ValueError:
        return NATIONAL


def of(con) -> Levels:
    """The levels of the store behind ``con`` (a connection or cursor)."""
    rows = run(con, Q.REGION_META_LEVELS, form="rows")  # cached per store version when reading
    return parse(rows[0][0] if rows else None)


def descend(con, levels: Levels, code: str) -> str:
    """The 12-digit code whose children are the units shown below region ``code``.

    Below a region whose next slot is pass-through, its one pass-through child (and that
    one's, down the chain) stands in for it, so the map of a precinct draws its grids.
    """
    length = len(short_code(code))
    while length < 12 and levels.is_hidden(_next_slot(length)):
        rows = run(con, Q.REGION_PASSTHROUGH_CHILD, parent_code=code)
        if len(rows) != 1:
            break
        code = rows.at[0, "code"]
        length = _next_slot(length)
    return code


def _next_slot(length: int) -> int:
    return next(n for n in SLOTS if n > length)


# --------------------------------------------------------------------- naming a region

_INTERNAL = re.compile(r"[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15}")
MAX_CODE_CHARS = 64  # longer than any source code seen; a longer "code" is not one


class UnknownRegion(BadCode):
    """A region code that names no region or grid of the store (HTTP 400, CLI exit 2);
    the message says what was tried."""


@dataclass(frozen=True)
class Resolved:
    """What a typed region code stands for.

    Attributes
    ----------
    code : str
        Internal short code (4/6/9/12 digits) or 15-digit grid code: what jurisdiction
        checks, scopes and queries take.
    level : str
        ``city`` … ``grid`` (the slot).
    name : str
        The region's name ('' when it was not looked up: an internal code not checked).
    source : str or None
        The unit's source code when the store keeps one (``code_map``), else None.
    typed : str
        The text as given (stripped).
    found : bool
        Whether the store has the unit (False only with ``must_exist=False``).
    """

    code: str
    level: str
    name: str = ""
    source: str | None = None
    typed: str = ""
    found: bool = True

    @property
    def full(self) -> str:
        """The 12-digit code of a region (a grid's own 15 digits)."""
        return self.code if len(self.code) == 15 else self.code.ljust(12, "0")

    def label(self) -> str:
        """``name (source code, internal code)`` for headers and messages."""
        codes = [c for c in dict.fromkeys((self.source, self.code)) if c and c != self.name]
        if not self.name:
            return self.code
        return f"{self.name} ({', '.join(codes)})" if codes else self.name


def has_code_map(con) -> bool:
    """Whether the store keeps source codes (a ``code_map`` from ``gridcmd import
    boundaries``; ``queries/region/code_map_schema.sql``)."""
    return any(r[0] == "code_map" for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall())


def source_code(con, code: str) -> str | None:
    """The source code of an internal region (short or 12-digit) or grid code, if the
    store keeps one."""
    if not has_code_map(con):
        return None
    full = code if len(code) == 15 else short_code(code).ljust(12, "0")
    rows = run(con, Q.REGION_CODE_MAP_SOURCE, code=full)
    return None if rows.empty else str(rows.at[0, "source_code"])


def resolve(con, text, must_exist: bool = True, with_source: bool = False) -> Resolved:
    """The internal code of any code a person may type for a region or grid.

    Tried in this order: an internal code of the store (short ``0001``/``320612``, the
    12-digit padded form ``320612000000``, a 15-digit grid code); then, on a store built
    from a city's own boundaries, a source code of any level as the boundary files wrote
    it (``D01``, ``D01-P003``, a ward ``27``, a community code), exactly or, when only one
    matches, ignoring letter case. Links the dashboard writes carry internal codes, so an
    internal code wins over a source code that happens to read the same.

    Parameters
    ----------
    con : DuckDB connection or cursor
    text : str
        The code as typed (surrounding spaces ignored).
    must_exist : bool
        With False, a well-formed internal code the store does not have is returned
        (``found=False``) instead of refused, so the caller's jurisdiction check answers
        first (a forged code outside the jurisdiction stays a 403, as it was).
    with_source : bool
        Also look up the source code of a unit named by its internal code (for headers;
        a unit named by its source code always carries it).

    Raises
    ------
    UnknownRegion
        Nothing of the store answers to ``text``; the message names what was tried and
        the closest source codes.
    dashboard.access.BadCode
        ``text`` is not a string, empty or too long.
    """
    if not isinstance(text, str) or not text.strip():
        raise BadCode(f"invalid region code {str(text)[:40]!r}")
    typed = text.strip()
    if len(typed) > MAX_CODE_CHARS or not typed.isprintable():
        raise BadCode(f"invalid region code {typed[:40]!r}")
    internal = _INTERNAL.fullmatch(typed) is not None
    tried = []
    if internal:
        short = short_code(typed)
        found = run(con, Q.REGION_LOOKUP, code=short)
        if not found.empty:
            row = found.iloc[0]
            return Resolved(short, str(row["level"]), str(row["name"]),
                            source_code(con, short) if with_source else None, typed)
        tried.append("an internal code of its regions and grids"
                     + (" (12 digits: padded)" if len(typed) == 12 else ""))
    mapped = has_code_map(con)
    if mapped:
        rows = run(con, Q.REGION_CODE_MAP_LOOKUP, text=typed)
        exact = rows[rows["exact"]]
        pick = exact if not exact.empty else (rows if len(rows) == 1 else rows.iloc[:0])
        if not pick.empty:
            row = pick.iloc[0]
            return Resolved(str(row["code"]), str(row["level"]), str(row["name"] or ""),
                            str(row["source_code"]), typed)
        tried.append("a source code of its code_map"
                     + (f" (matching in letter case only: {', '.join(rows['source_code'])})"
                        if len(rows) > 1 else ""))
    if internal and not must_exist:
        return Resolved(short_code(typed), REGION_LENGTHS[len(short_code(typed))],
                        typed=typed, found=False)
    if not tried:
        raise UnknownRegion(f"invalid region code {typed!r}: expected 4, 6, 9 or 12 digits "
                            "(or a 15-digit grid code); this store keeps no source codes")
    message = f"unknown region {typed!r}: the store has no such region; tried " \
              + " and ".join(tried)
    if mapped:
        codes = [r[0] for r in con.execute(sql(Q.REGION_CODE_MAP_CODES)).fetchall()]
        close = difflib.get_close_matches(typed, codes, n=3, cutoff=0.6)
        if close:
            message += f"; did you mean {', '.join(close)}?"
    raise UnknownRegion(message)


def narrow(con, scope, text):
    """The user's ``scope`` narrowed to the region ``text`` names, in any form
    :func:`resolve` takes (empty or None: the scope itself).

    Resolve first, then narrow on internal codes: a source code of a unit outside the
    jurisdiction is refused like its internal code (``dashboard.access.Forbidden``); a
    code the store does not know is a ``ValueError``.
    """
    if text is None or text == "":
        return scope
    return access.narrow(scope, resolve(con, text, must_exist=False).code)
