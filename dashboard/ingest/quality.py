"""Placeholder points: a geocoder's default coordinate is not where a record happened.

A real 311 export had 14% of its rows at one coordinate, the city hall, where the geocoder
put every address it could not resolve. Point-in-polygon put them all in one precinct
(tripling its count) and they became the top 重复投诉点位. So, before its first batch, a
file is scanned whole (a multi-batch file is judged once): a coordinate (WGS-84 after the
mapping's CRS conversion, rounded to 1e-5°, about a metre) shared by an implausible share
of the file's located rows is a **placeholder point**, as are the points the mapping lists
and the points earlier imports found (table ``import_placeholders``), minus the points the
mapping declares real. Mapping keys (section ``[quality]``):

```toml
[quality]
placeholder_detect = true          # false: only the listed placeholder_points apply
placeholder_share = 0.01           # a point holding >= 1% of the located rows ...
placeholder_min_rows = 20          # ... and >= 20 rows is a placeholder
placeholder_points = [[120.86417, 32.01562]]   # WGS-84 lon, lat, as the load summary prints
real_points = [[120.89371, 31.98023]]          # never a placeholder (a real busy place)
```

A row at a placeholder point keeps its record but not the point's polygon
(``queries/ingest_clean_*.sql``): a grid code places it in that grid, a region code
(a ward, a community: ``region_code``, translated by ``code_map``) attributes it to that
region, and otherwise it is attributed to the whole area. A row attributed to a region
rather than a grid carries the region's code padded with zeros to 15 digits as its
``grid_code`` (:func:`region_grid_code`): it counts in that region and every region above,
in no unit below (the KPI engine lists no such unit:
:func:`dashboard.kpi.scope.unplaced_unit`). ``point_quality`` records what happened, and
point maps, hotspots and repeated-complaint places leave such rows out (docs/ingest.md,
Placeholder points).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.ingest import crs as crs_mod

DECIMALS = 5
DEFAULT_SHARE = 0.01
DEFAULT_MIN_ROWS = 20
QUALITY_KEYS = ("placeholder_detect", "placeholder_share", "placeholder_min_rows",
                "placeholder_points", "real_points")

# point_quality values (docs/schema.md)
OK = ""
GRID_CENTRE = "grid_centre"
PLACED = "placed_by_region"
PLACEHOLDER = "placeholder"
FLAGGED = (PLACED, PLACEHOLDER)


class QualityError(ValueError):
    """A ``[quality]`` section that cannot be used."""


def _points(value, key: str, name: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        raise QualityError(f"{name}: [quality] {key} must be a list of [lon, lat] pairs")
    out = []
    for item in value:
        ok = (isinstance(item, list) and len(item) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in item)
              and abs(item[0]) <= 180 and abs(item[1]) <= 90)
        if not ok:
            raise QualityError(f"{name}: [quality] {key}: {item!r} is not a WGS-84 "
                               f"[lon, lat] pair")
        out.append((round(float(item[0]), DECIMALS), round(float(item[1]), DECIMALS)))
    return tuple(out)


@dataclass(frozen=True)
class QualityRules:
    """The ``[quality]`` section of a mapping (defaults when it has none)."""

    detect: bool = True
    share: float = DEFAULT_SHARE
    min_rows: int = DEFAULT_MIN_ROWS
    points: tuple[tuple[float, float], ...] = ()
    real: tuple[tuple[float, float], ...] = ()

    @classmethod
    def from_dict(cls, data: dict, name: str = "mapping") -> QualityRules:
        """Parse a ``[quality]`` table.

        Raises
        ------
        QualityError
            An unknown key or a value of the wrong type or range.
        """
        if not isinstance(data, dict):
            raise QualityError(f"{name}: [quality] must be a table")
        unknown = set(data) - set(QUALITY_KEYS)
        if unknown:
            raise QualityError(f"{name}: unknown [quality] keys {sorted(unknown)}; known: "
                               f"{list(QUALITY_KEYS)}")
        detect = data.get("placeholder_detect", True)
        if not isinstance(detect, bool):
            raise QualityError(f"{name}: [quality] placeholder_detect must be true or false")
        share = data.get("placeholder_share", DEFAULT_SHARE)
        if isinstance(share, bool) or not isinstance(share, int | float) \
                or not 0 < share <= 1:
            raise QualityError(f"{name}: [quality] placeholder_share must be a number in "
                               f"(0, 1], got {share!r}")
        min_rows = data.get("placeholder_min_rows", DEFAULT_MIN_ROWS)
        if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 2:
            raise QualityError(f"{name}: [quality] placeholder_min_rows must be an integer "
                               f">= 2, got {min_rows!r}")
        return cls(detect=detect, share=float(share), min_rows=min_rows,
                   points=_points(data.get("placeholder_points", []), "placeholder_points",
                                  name),
                   real=_points(data.get("real_points", []), "real_points", name))

    def threshold(self, located: int) -> int:
        """Rows at one point from which it is a placeholder, in a file of ``located`` rows
        with a point in the area."""
        return max(self.min_rows, math.ceil(self.share * located))


def point_key(lon: float, lat: float) -> str:
    """How a placeholder point is written (summary, report, the ``_pq`` staging column)."""
    return f"{lon:.{DECIMALS}f},{lat:.{DECIMALS}f}"


@dataclass(frozen=True)
class Placeholder:
    lon: float
    lat: float
    reason: str  # share | mapping | known
    rows: int  # rows of the file at the point


@dataclass
class Placeholders:
    """The placeholder points of one file and how many of its rows have a point."""

    points: dict[str, Placeholder] = field(default_factory=dict)
    located: int = 0

    def __bool__(self) -> bool:
        return bool(self.points)

    def keys(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per row, the key of the placeholder point it sits at, or None."""
        out = np.full(len(x), None, dtype=object)
        if not self.points or not len(x):
            return out
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        z = np.round(x, DECIMALS) + 1j * np.round(y, DECIMALS)
        wanted = np.array([p.lon + 1j * p.lat for p in self.points.values()])
        hit = ok & np.isin(z, wanted)
        if hit.any():  # a key written once per point, not once per row (14 % of a file)
            points, which = np.unique(z[hit], return_inverse=True)
            keys = np.array([point_key(p.real, p.imag) for p in points], dtype=object)
            out[hit] = keys[which.ravel()]
        return out


def known_points(con) -> set[tuple[float, float]]:
    """The placeholder points earlier imports into this store found."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}
    if "import_placeholders" not in tables:
        return set()
    return {(float(a), float(b)) for a, b in con.execute(
        "SELECT DISTINCT lon, lat FROM import_placeholders").fetchall()}


def detect(x: np.ndarray, y: np.ndarray, located: np.ndarray, rules: QualityRules,
           known=frozenset()) -> Placeholders:
    """The placeholder points among a file's points.

    Parameters
    ----------
    x, y : arrays
        Every row's WGS-84 point (NaN where it has none).
    located : bool array
        Rows whose point lies in the store's area (the base of the share).
    rules : QualityRules
        The mapping's ``[quality]`` section.
    known : set of (lon, lat)
        Placeholder points of earlier imports (rounded).
    """
    x = np.round(np.asarray(x, dtype=float)[located], DECIMALS)
    y = np.round(np.asarray(y, dtype=float)[located], DECIMALS)
    out = Placeholders(located=int(len(x)))
    if not len(x):
        return out
    counts = pd.DataFrame({"x": x, "y": y}).value_counts(sort=False)
    rows = {(float(a), float(b)): int(n) for (a, b), n in counts.items()}
    real = set(rules.real)
    found: dict[tuple[float, float], str] = {}
    for pt in rules.points:
        if rows.get(pt):
            found[pt] = "mapping"
    if rules.detect:
        limit = rules.threshold(len(x))
        for pt, n in rows.items():
            if n >= limit:
                found.setdefault(pt, "share")
        for pt in known:
            if rows.get(pt):
                found.setdefault(pt, "known")
    for pt, reason in found.items():
        if pt not in real:
            out.points[point_key(*pt)] = Placeholder(pt[0], pt[1], reason, rows[pt])
    return out


def scan_file(con, plan, rows: int, batch_rows: int, crs: str, area, rules: QualityRules,
              known) -> Placeholders:
    """Judge a staged file once, before its first batch: type its points batch by batch
    (the batch's own typing query, so value maps, defaults and code maps apply the same
    way), convert them to WGS-84 and :func:`detect` the placeholder points."""
    xs, ys = [], []
    # only the points of the typing query are read (DuckDB drops its other columns: the
    # times are not parsed here); 16 bytes a row are kept
    for lo in range(0, rows, batch_rows):
        cols = con.execute(f"SELECT coalesce(lon, CAST('NaN' AS DOUBLE)) AS lon, "
                           f"coalesce(lat, CAST('NaN' AS DOUBLE)) AS lat FROM ({plan.select})",
                           {**plan.params, "lo": lo, "hi": lo + batch_rows}).fetchnumpy()
        xs.append(np.asarray(cols["lon"], dtype=float))
        ys.append(np.asarray(cols["lat"], dtype=float))
    x = np.concatenate(xs) if xs else np.empty(0)
    y = np.concatenate(ys) if ys else np.empty(0)
    given = np.isfinite(x) & np.isfinite(y)
    if crs != "EPSG:4326" and given.any():
        x, y = x.copy(), y.copy()
        x[given], y[given] = crs_mod.to_wgs84(x[given], y[given], crs)
    located = given & (np.abs(x) <= 180) & (np.abs(y) <= 90) & area.contains(x, y)
    return detect(x, y, located, rules, known)


def region_grid_code(short_code: str) -> str:
    """The ``grid_code`` of a row attributed to a region but to none of its grids: the
    region's code padded with zeros to 15 digits (``320612`` → ``320612000000000``). Real
    units never end in a zero segment, so it rolls up into the region and every region
    above it and into no unit below (docs/ingest.md)."""
    return short_code.ljust(15, "0")


@dataclass
class PointTally:
    """What a load did with the rows at one placeholder point."""

    lon: float
    lat: float
    reason: str
    located: int = 0  # rows with a point in the area, of the files the point was found in
    file_rows: int = 0  # rows of those files at the point
    rows: int = 0  # loaded rows at the point
    placed: Counter = field(default_factory=Counter)  # level name -> rows
    unplaced: int = 0

    def merge(self, other: PointTally) -> None:
        self.located += other.located
        self.file_rows += other.file_rows
        self.rows += other.rows
        self.placed.update(other.placed)
        self.unplaced += other.unplaced

    def line(self) -> str:
        share = f" ({100 * self.rows / self.located:.1f}%)" if self.located else ""
        placed = "".join(f", {n:,} placed by {level}" for level, n in
                         sorted(self.placed.items(), key=lambda kv: (-kv[1], kv[0])))
        why = {"share": "", "mapping": " [mapping]", "known": " [known]"}[self.reason]
        return (f"  占位坐标 placeholder point {point_key(self.lon, self.lat)}{why}: "
                f"{self.rows:,} rows{share}{placed}, {self.unplaced:,} unplaced")

    def as_dict(self) -> dict:
        return {"lon": self.lon, "lat": self.lat, "reason": self.reason,
                "rows": self.rows, "located": self.located, "placed": dict(self.placed),
                "unplaced": self.unplaced}


def file_tallies(found: Placeholders) -> dict[str, PointTally]:
    """Empty tallies of a file's placeholder points (rows are added by its batches)."""
    return {k: PointTally(p.lon, p.lat, p.reason, located=found.located, file_rows=p.rows)
            for k, p in found.points.items()}


def log_batch(con, batch_id: int, kind: str, name: str, found: Placeholders,
              tallies: dict[str, PointTally], level_label) -> tuple[int, int]:
    """Count a batch's rows at placeholder points (TEMP ``ingest_clean``, column ``_pq``),
    add them to ``tallies`` and write the batch's ``import_placeholders`` rows, inside the
    batch's transaction. Returns (rows at placeholder points, of them placed)."""
    rows = con.execute(
        "SELECT _pq, point_quality, _placed_len, count(*) FROM ingest_clean "
        "WHERE _pq IS NOT NULL GROUP BY ALL").fetchall()
    per: dict[str, list[int]] = {}
    flagged = placed = 0
    for key, quality, length, n in rows:
        tally = tallies[key]
        tally.rows += n
        flagged += n
        counts = per.setdefault(key, [0, 0])
        if quality == PLACED:
            tally.placed[level_label(int(length))] += n
            counts[0] += n
            placed += n
        else:
            tally.unplaced += n
            counts[1] += n
    for key, (n_placed, n_unplaced) in per.items():
        p = found.points[key]
        con.execute(
            "INSERT INTO import_placeholders VALUES ($batch, $kind, $file, $lon, $lat, "
            "$reason, $file_rows, $located, $rows, $placed, $unplaced)",
            {"batch": batch_id, "kind": kind, "file": name, "lon": p.lon, "lat": p.lat,
             "reason": p.reason, "file_rows": p.rows, "located": found.located,
             "rows": n_placed + n_unplaced, "placed": n_placed, "unplaced": n_unplaced})
    return flagged, placed
