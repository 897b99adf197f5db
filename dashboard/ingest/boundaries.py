"""Boundaries of any area into a new store: regions of configurable levels, and grids.

Reads GeoJSON, Shapefile, GeoPackage (pyogrio) and GeoParquet. Each file is a
:class:`Layer` that may name its own level, code, name and parent fields and CRS (a
``FILE:key=value,…`` argument or a ``[[layers]]`` table of a boundaries TOML,
:func:`load_spec`); the command's options are the defaults of the files that do not.
A file's CRS: the one given for the file, else the one it declares (a GeoJSON ``crs``
member, a .prj, a GeoPackage's), else the command's ``crs``, else, for GeoJSON, lon/lat
(RFC 7946); GCJ-02/BD-09 are converted by :mod:`dashboard.ingest.crs`. Coordinates that
are not longitude/latitude in a geographic CRS are an error naming the file, a sample
coordinate and how to declare the CRS. Invalid polygons are repaired (``make_valid``,
polygonal parts kept) and reported with GEOS's reason; every feature gets a level (the
file's, an attribute, one file per level, or code length) and a parent (an attribute, else
the code prefix, else the polygon of the level above that contains the feature's
representative point). After reprojection every level must lie inside the level above
(:func:`check_containment`): a layer reprojected from the wrong CRS fails loudly instead of
building a store. The last level is the grid level: it goes to ``grids``, the others to
``regions``.

The configured levels are mapped onto the five internal code slots the dashboard works on
(:mod:`dashboard.levels`): the first level is the whole area (city slot) when it has one
feature, else a region made from the union of its features, named ``area_name``, is put
above them; the levels between it and the grids take the county, town and village slots
in order, and an unused slot gets one pass-through region per parent (the parent's outline
and name, ``kind`` 'pass-through'). Source codes that already are the slots' digits
(4/6/9/12/15, regions also as zero-padded 12-digit statistical codes) and nest are kept;
otherwise every unit gets parent code + a sequence in source-code order (pass-through
regions the first one) and ``code_map`` records source code → internal code, through which
record imports translate the codes they name. ``meta.levels`` records the slot mapping.

The store is built beside ``out`` and swapped in when complete (``dashboard.store.building``),
so a failure leaves any existing store untouched. Its time zone (``meta.timezone``, the
zone of every TIMESTAMP it will hold) is ``timezone``, Asia/Shanghai by default.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard import levels as lvmod
from dashboard.clock import DEFAULT_TIMEZONE, now_in, zone
from dashboard.ingest import crs as crs_mod
from dashboard.ingest.readers import FileError
from dashboard.kpi.scope import REGION_LENGTHS
from queries import names as Q
from queries import sql

# a child must have its representative point in a parent and at least this share of its
# area inside its own parent (edges of layers drawn separately never match exactly)
CONTAINED_SHARE = 0.90
GEOJSON_SUFFIXES = (".geojson", ".json")
# FILE:key=value,... and [[layers]] keys → Layer attributes
LAYER_KEYS = {"level": "level", "code": "code_field", "code_field": "code_field",
              "name": "name_field", "name_field": "name_field", "parent": "parent_field",
              "parent_field": "parent_field", "crs": "crs"}
_LAYER_ARG = re.compile(r"^(.*?):((?:[a-z_]+=[^,]*)(?:,[a-z_]+=[^,]*)*)$")
# top-level keys of a boundaries TOML (the command's options of the same names win)
SPEC_KEYS = ("levels", "area_name", "timezone", "crs", "code_field", "name_field",
             "parent_field", "level_field")


@dataclass(frozen=True)
class Layer:
    """One boundary file and what is known of it beyond the command's defaults."""

    path: Path
    level: str | None = None
    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    crs: str | None = None


def parse_layer(arg: str | Path | Layer) -> Layer:
    """``FILE`` or ``FILE:key=value,key=value`` (keys: level, code, name, parent, crs; also
    code_field, name_field, parent_field), e.g. ``precincts.geojson:level=precinct,
    code=PRECINCT,crs=EPSG:3435``. A path that exists as written is taken whole."""
    if isinstance(arg, Layer):
        return arg
    text = str(arg)
    m = _LAYER_ARG.match(text)
    if m is None or Path(text).exists():
        return Layer(Path(text))
    opts = {}
    for pair in m.group(2).split(","):
        key, _, value = pair.partition("=")
        if key not in LAYER_KEYS:
            raise FileError(f"{text}: unknown key {key!r}; use "
                            f"{', '.join(sorted(LAYER_KEYS))}")
        opts[LAYER_KEYS[key]] = value.strip() or None
    return Layer(Path(m.group(1)), **opts)


def load_spec(path: str | Path) -> dict:
    """Read a boundaries TOML: top-level defaults (``levels``, ``area_name``, ``timezone``,
    ``crs``, ``code_field``, ``name_field``, ``parent_field``, ``level_field``) and one
    ``[[layers]]`` table per file (``file`` relative to the TOML, and ``level``,
    ``code_field``, ``name_field``, ``parent_field``, ``crs``).

    Returns
    -------
    dict
        The top-level keys given, and ``layers``: a list of :class:`Layer`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileError(f"boundaries spec not found: {path}")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise FileError(f"{path.name}: not valid TOML: {exc}") from None
    bad = set(data) - set(SPEC_KEYS) - {"layers"}
    if bad:
        raise FileError(f"{path.name}: unknown keys {sorted(bad)}; known: "
                        f"{sorted((*SPEC_KEYS, 'layers'))}")
    layers = []
    for i, table in enumerate(data.get("layers", []), start=1):
        if not isinstance(table, dict) or "file" not in table:
            raise FileError(f"{path.name}: [[layers]] number {i} has no file")
        unknown = set(table) - set(LAYER_KEYS) - {"file"}
        if unknown:
            raise FileError(f"{path.name}: [[layers]] {table['file']}: unknown keys "
                            f"{sorted(unknown)}")
        opts = {LAYER_KEYS[k]: (str(v) if v is not None else None)
                for k, v in table.items() if k != "file"}
        layers.append(Layer(path.parent / str(table["file"]), **opts))
    if not layers:
        raise FileError(f"{path.name}: no [[layers]]")
    out = {k: data[k] for k in SPEC_KEYS if k in data}
    if isinstance(out.get("levels"), str):
        out["levels"] = out["levels"].split(",")
    out["layers"] = layers
    return out


@dataclass
class BoundaryReport:
    levels: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    repaired: list[tuple[str, str]] = field(default_factory=list)  # code, reason
    parent_by: Counter = field(default_factory=Counter)
    out: Path | None = None
    crs: list[str] = field(default_factory=list)
    slots: lvmod.Levels | None = None
    kept: bool = False
    root: str = ""  # short code of the whole area (accounts: gridcmd user add --region)
    timezone: str = DEFAULT_TIMEZONE

    def text(self) -> str:
        lines = [f"边界导入 boundaries → {self.out}"]
        for lv in self.levels:
            lines.append(f"  {lv:<12}{self.counts.get(lv, 0):>8,}")
        lines.append("  CRS:")
        lines.extend(f"      {c}" for c in self.crs)
        lines.append(f"  time zone 时区: {self.timezone}")
        if self.slots is not None:
            lines.append("  slots: " + ", ".join(
                f"{n} {'(pass-through)' if self.slots.is_hidden(n) else self.slots.label(n)}"
                for n in lvmod.SLOTS))
            lines.append("  codes: " + ("source codes kept (they nest as 4/6/9/12/15 digits)"
                                        if self.kept else "assigned; source → internal in "
                                        "table code_map"))
            lines.append(f"  whole area: {self.root} {self.slots.label(lvmod.SLOTS[0])}")
        lines.append("  parents by: " + ", ".join(f"{k} {v}" for k, v in
                                                  sorted(self.parent_by.items())))
        lines.append(f"  repaired invalid polygons: {len(self.repaired)}")
        for code, reason in self.repaired[:20]:
            lines.append(f"      {code}: {reason}")
        return "\n".join(lines)


def read_layer(path: Path, crs: str | None = None, default_crs: str | None = None
               ) -> tuple[gpd.GeoDataFrame, str]:
    """One file as a GeoDataFrame in EPSG:4326, and how its CRS was chosen.

    Parameters
    ----------
    crs : str, optional
        The CRS given for this file: wins over what the file declares.
    default_crs : str, optional
        The command's ``--crs``: only for a file that declares none (a GCJ-02 file that
        declares lon/lat needs ``FILE:crs=gcj02``).

    Raises
    ------
    FileError
        Unreadable file, unknown CRS, no CRS at all (not GeoJSON), or coordinates that are
        not longitude/latitude where the CRS is geographic (the message names the file,
        shows a coordinate and says how to declare the CRS).
    """
    path = Path(path)
    if not path.exists():
        raise FileError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise FileError(f"{path.name}: cannot read boundaries: {exc}") from None
    if gdf.empty:
        raise FileError(f"{path.name}: no features")
    declared = gdf.crs if _declares_crs(path, gdf) else None
    given = crs_mod.normalise(crs) if crs else None
    default = crs_mod.normalise(default_crs) if default_crs else None
    if given:
        used, how = given, "given for the file"
    elif declared is not None:
        used, how = declared.to_string(), "declared by the file"
    elif default:
        used, how = default, "--crs"
    elif path.suffix.lower() in GEOJSON_SUFFIXES:
        used, how = "EPSG:4326", "GeoJSON default lon/lat (no crs member)"
    else:
        raise FileError(f"{path.name}: the file declares no coordinate reference system; "
                        f"{_declare_hint(path)}")
    label = f"{used} ({how})"
    geographic = used in ("gcj02", "bd09") or crs_mod.normalise(used) == "EPSG:4326" or \
        _is_geographic(used)
    if geographic:
        _check_lonlat(path, gdf.geometry.values, used, how)
    if used in ("gcj02", "bd09"):
        fn = crs_mod.gcj02_to_wgs84 if used == "gcj02" else crs_mod.bd09_to_wgs84
        geoms = shapely.transform(gdf.geometry.values,
                                  lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1])))
        return gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=geoms,
                                crs="EPSG:4326"), label
    gdf = gdf.set_crs(used, allow_override=True)
    out = gdf.to_crs("EPSG:4326")
    x0, y0, x1, y1 = out.total_bounds
    if not (np.isfinite([x0, y0, x1, y1]).all() and -180 <= x0 <= x1 <= 180
            and -90 <= y0 <= y1 <= 90):
        raise FileError(f"{path.name}: reprojected from {used} ({how}) the coordinates are "
                        f"not on the globe (bounds {x0:.6g}, {y0:.6g}, {x1:.6g}, {y1:.6g}); "
                        f"{_declare_hint(path)}")
    return out, label


def _declares_crs(path: Path, gdf) -> bool:
    """Does the file itself name its CRS? A GeoJSON without a ``crs`` member is read as
    EPSG:4326 by GDAL (RFC 7946) whatever its numbers are: that is not a declaration."""
    if gdf.crs is None:
        return False
    if path.suffix.lower() not in GEOJSON_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except (ValueError, OSError):
        return True
    return isinstance(doc, dict) and doc.get("crs") is not None


def _is_geographic(name: str) -> bool:
    from pyproj import CRS

    try:
        return CRS.from_user_input(name).is_geographic
    except Exception:  # noqa: BLE001  (pyproj raises several classes; normalise checked it)
        return False


def _declare_hint(path: Path) -> str:
    return (f"declare it for this file: {path.name}:crs=EPSG:xxxx on the command line, or "
            f"crs = \"EPSG:xxxx\" in its [[layers]] table of a --spec TOML (e.g. EPSG:3435 "
            f"for Illinois East state-plane feet, EPSG:4549 for CGCS2000 3-degree zone 40)")


def _check_lonlat(path: Path, geoms, used: str, how: str) -> None:
    """Coordinates read as lon/lat must be degrees: a projected file (feet, metres) without
    a CRS member would otherwise be "reprojected" into nonsense or the ocean."""
    xy = shapely.get_coordinates(geoms)
    if not len(xy):
        raise FileError(f"{path.name}: no coordinates")
    bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90) | ~np.isfinite(xy).all(axis=1)
    if bad.any():
        x, y = xy[np.flatnonzero(bad)[0]]
        raise FileError(f"{path.name}: coordinates such as ({x:.1f}, {y:.1f}) are not "
                        f"longitude/latitude, but the file is read as {used} ({how}); "
                        f"{_declare_hint(path)}")


def repair(geoms, codes) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Valid polygons for ``geoms``; the list of (code, reason) of those that were not."""
    geoms = np.asarray(geoms, dtype=object)
    bad = ~shapely.is_valid(geoms)
    reasons = [(str(c), shapely.is_valid_reason(g)) for c, g, b in
               zip(codes, geoms, bad, strict=True) if b]
    fixed = geoms.copy()
    if bad.any():
        made = shapely.make_valid(geoms[bad])
        out = []
        for g in made:
            if shapely.get_type_id(g) not in (3, 6):
                parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
                g = shapely.union_all(parts) if parts else shapely.Polygon()
            out.append(g)
        fixed[bad] = out
    empty = shapely.is_empty(fixed)
    if empty.any():
        raise FileError(f"polygons with no area left after repair: "
                        f"{[str(c) for c, e in zip(codes, empty, strict=True) if e][:10]}")
    return fixed, reasons


def import_boundaries(files, out, *, levels=None, code_field="code", name_field="name",
                      parent_field=None, level_field=None, crs=None, area_name="全市",
                      timezone=DEFAULT_TIMEZONE, progress=False) -> BoundaryReport:
    """Build a store at ``out`` from boundary files (see the module docstring).

    Parameters
    ----------
    files : list of path, str or Layer
        The files, each optionally with its own options (:func:`parse_layer` reads
        ``FILE:key=value,…``).
    levels : list of str, optional
        Level names top to bottom; default: the files' own levels in file order when every
        file names one, else the five national levels.
    code_field, name_field, parent_field, crs
        Defaults for the files that do not name their own.
    timezone : str
        IANA zone of the store (``meta.timezone``): the wall time of every TIMESTAMP in it.

    Raises
    ------
    FileError
        Unreadable file, unknown or missing CRS, coordinates that are not lon/lat where
        they must be, missing code/name fields, a level that cannot be told, a feature
        without a parent, a layer not inside the layer above.
    ValueError
        ``timezone`` is not an IANA zone name.
    """
    from dashboard.demo import REFERENCE
    from dashboard.kpi.summaries import refresh_summaries
    from dashboard.store import building

    timezone = zone(timezone).key
    layers = [parse_layer(f) for f in files]
    if not layers:
        raise FileError("no boundary files given")
    if levels is None:
        named = [ly.level for ly in layers]
        levels = list(dict.fromkeys(named)) if all(named) else \
            ["city", "county", "town", "village", "grid"]
    levels = [lv.strip() for lv in levels if lv.strip()]
    if len(levels) < 2:
        raise FileError("give at least two levels (regions and grids)")
    for ly in layers:
        if ly.level and ly.level not in levels:
            raise FileError(f"{ly.path.name}: level {ly.level!r} is not among the levels "
                            f"{levels}")
    report = BoundaryReport(levels=levels, parent_by=Counter(), out=Path(out),
                            timezone=timezone)
    frames = []
    try:
        for i, ly in enumerate(layers):
            gdf, used = read_layer(ly.path, ly.crs, crs)
            report.crs.append(f"{ly.path.name}: {used}")
            cfield, nfield = ly.code_field or code_field, ly.name_field or name_field
            pfield = ly.parent_field or parent_field
            for f in (cfield, nfield):
                if f not in gdf.columns:
                    raise FileError(f"{ly.path.name}: no field {f!r}; fields: "
                                    f"{[c for c in gdf.columns if c != 'geometry']}; name "
                                    f"the file's own: {ly.path.name}:code=…,name=…")
            if ly.parent_field and ly.parent_field not in gdf.columns:
                raise FileError(f"{ly.path.name}: no field {ly.parent_field!r}")
            frame = pd.DataFrame({
                "code": _text(gdf[cfield]),
                "name": gdf[nfield].astype(str).str.strip(),
                "file": i,
                "parent": (_text(gdf[pfield]) if pfield and pfield in gdf.columns
                           else None),
                "fixed": ly.level,
                "level": (gdf[level_field].astype(str).str.strip()
                          if not ly.level and level_field and level_field in gdf.columns
                          else None),
            })
            frame["geometry"] = gdf.geometry.values
            frames.append(frame)
    except crs_mod.CRSError as exc:
        raise FileError(str(exc)) from None
    feats = pd.concat(frames, ignore_index=True)
    names = [ly.path.name for ly in layers]
    if feats["code"].duplicated().any():
        dup = feats.loc[feats["code"].duplicated(keep=False)]
        where = sorted({names[i] for i in dup["file"]})
        raise FileError(f"duplicate codes {dup['code'].drop_duplicates().head(5).tolist()} "
                        f"in {', '.join(where)}: codes must be unique across all levels "
                        f"(name a code field that is, e.g. FILE:code=FULL_ID)")
    feats["level"] = _levels(feats, levels, len(frames), level_field)
    synth = int((feats["level"] == levels[0]).sum()) > 1
    try:
        slots = lvmod.assign(levels, root=area_name if synth else None)
    except ValueError as exc:
        raise FileError(str(exc)) from None
    geoms, report.repaired = repair(feats["geometry"].to_numpy(), feats["code"])
    feats["geometry"] = geoms
    feats["parent"] = _parents(feats, levels, report)
    check_containment(feats, levels, names)
    for lv in levels:
        report.counts[lv] = int((feats["level"] == lv).sum())
    report.slots = slots
    report.kept, report.root = _write_store(Path(out), feats, levels, slots, REFERENCE,
                                            building, refresh_summaries, timezone)
    return report


def area_crs(geoms) -> str:
    """An equal-area projection centred on ``geoms`` (Lambert azimuthal): true km² for any
    city on the globe (a fixed UTM zone is only right near its own meridian, and far from
    it gives no finite area at all)."""
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    return (f"+proj=laea +lat_0={(y0 + y1) / 2:.6f} +lon_0={(x0 + x1) / 2:.6f} "
            f"+ellps=WGS84 +units=m +no_defs")


def _text(column: pd.Series) -> pd.Series:
    """Codes as text: integers stored as floats by a format (12.0) are written as 12."""
    if pd.api.types.is_float_dtype(column):
        whole = column.dropna()
        if len(whole) and (whole == whole.round()).all():
            column = column.astype("Int64")
    return column.astype("string").str.strip().astype(object).where(column.notna(), None)


def _levels(feats, levels, n_files, level_field):
    """Each feature's level: its file's own, else the level field, else one file per
    level (when no file names its level), else code length."""
    out = feats["fixed"].astype(object).copy()
    todo = out.isna()
    if not todo.any():
        return out
    attr = feats["level"]
    if level_field and attr[todo].notna().any():
        bad = set(attr[todo].dropna()) - set(levels)
        if bad:
            raise FileError(f"level field values {sorted(bad)} not among {levels}")
        out[todo] = attr[todo]
        todo = out.isna()
        if not todo.any():
            return out
    if n_files == len(levels) and feats["fixed"].isna().all():
        return feats["file"].map(dict(enumerate(levels)))
    free = [lv for lv in levels if lv not in set(out.dropna())]
    lengths = sorted(feats.loc[todo, "code"].str.len().unique())
    if len(lengths) == len(free):
        out[todo] = feats.loc[todo, "code"].str.len().map(
            dict(zip(lengths, free, strict=True)))
        return out
    raise FileError(f"cannot tell the level of each feature: give each file its level "
                    f"(FILE:level=NAME), one file per level ({len(levels)}), --level-field, "
                    f"or codes of {len(free)} lengths (found lengths {lengths})")


def _parents(feats, levels, report) -> pd.Series:
    """Each feature's parent code (None at the top, and where none is found: then
    :func:`check_containment` reports it)."""
    parent = feats["parent"].copy() if feats["parent"].notna().any() else \
        pd.Series([None] * len(feats), dtype=object)
    parent = parent.astype(object).where(parent.notna() & (parent != ""), None)
    codes = set(feats["code"])
    given = parent.notna() & parent.isin(codes)
    parent = parent.where(given, None)
    report.parent_by["attribute"] += int(given.sum())
    for upper, lower in zip(levels[:-1], levels[1:], strict=True):
        up = feats[feats["level"] == upper]
        todo = (feats["level"] == lower) & ~given
        if not todo.any() or up.empty:
            continue
        # by code prefix: the longest code of the level above that prefixes the code
        child = feats.loc[todo, "code"]
        by_prefix = pd.Series(None, index=child.index, dtype=object)
        upset = set(up["code"])
        for n in sorted(set(up["code"].str.len()), reverse=True):
            head = child.str.slice(0, n)
            hit = by_prefix.isna() & head.isin(upset) & (child.str.len() > n)
            by_prefix[hit] = head[hit]
        parent.loc[by_prefix.dropna().index] = by_prefix.dropna()
        report.parent_by["code prefix"] += int(by_prefix.notna().sum())
        rest = by_prefix.index[by_prefix.isna()]
        if len(rest):
            tree = shapely.STRtree(up["geometry"].to_numpy())
            pts = shapely.point_on_surface(feats.loc[rest, "geometry"].to_numpy())
            ip, iu = tree.query(pts, predicate="within")
            first = np.unique(ip, return_index=True)[1]
            found = pd.Series(up["code"].to_numpy()[iu[first]], index=rest[ip[first]])
            parent.loc[found.index] = found
            report.parent_by["spatial containment"] += len(found)
    top = feats["level"] == levels[0]
    parent[top] = None
    return parent


def check_containment(feats, levels, names) -> None:
    """Every feature below the top level must lie inside the level above, after
    reprojection: its representative point inside its parent and at least
    :data:`CONTAINED_SHARE` of its area inside it.

    Raises
    ------
    FileError
        Naming the files of both levels and how many features lie outside, with examples
        (a layer read in the wrong CRS lands far from its parent layer).
    """
    geom = dict(zip(feats["code"], feats["geometry"], strict=True))
    for upper, lower in zip(levels[:-1], levels[1:], strict=True):
        kids = feats[feats["level"] == lower]
        if kids.empty:
            continue
        ups = feats[feats["level"] == upper]
        has = kids["parent"].notna().to_numpy()
        pgeoms = np.array([geom.get(p) if p is not None else None for p in kids["parent"]],
                          dtype=object)
        kgeoms = kids["geometry"].to_numpy()
        point_in = np.zeros(len(kids), dtype=bool)
        share = np.zeros(len(kids))
        if has.any():
            pts = shapely.point_on_surface(kgeoms[has])
            point_in[has] = shapely.covers(pgeoms[has], pts)
            area = shapely.area(kgeoms[has])
            inter = shapely.area(shapely.intersection(kgeoms[has], pgeoms[has]))
            share[has] = np.where(area > 0, inter / np.where(area > 0, area, 1), 1.0)
        bad = ~has | ~point_in | (share < CONTAINED_SHARE)
        if not bad.any():
            continue
        kid_files = sorted({names[i] for i in kids["file"]})
        up_files = sorted({names[i] for i in ups["file"]})
        examples = kids.loc[bad, "code"].head(5).tolist()
        ux0, uy0, ux1, uy1 = shapely.total_bounds(ups["geometry"].to_numpy())
        kx0, ky0, kx1, ky1 = shapely.total_bounds(kgeoms[bad])
        raise FileError(
            f"{int(bad.sum())} of {len(kids)} {lower} features ({', '.join(kid_files)}) lie "
            f"outside the {upper} layer ({', '.join(up_files)}): no parent, or the "
            f"representative point or more than {1 - CONTAINED_SHARE:.0%} of the area "
            f"outside the parent; e.g. {examples}. After reprojection the {lower} features "
            f"span lon {kx0:.4f}…{kx1:.4f}, lat {ky0:.4f}…{ky1:.4f} and the {upper} layer "
            f"lon {ux0:.4f}…{ux1:.4f}, lat {uy0:.4f}…{uy1:.4f}: check each file's CRS "
            f"(FILE:crs=EPSG:xxxx overrides a file's own; --crs only applies to files "
            f"that declare none). No store was written.")


def _hierarchy(feats, levels, lv):
    """Internal codes, pass-through regions and the slot mapping (see the module docstring).

    Returns the region and grid rows (``code``: internal short code, ``parent``: internal
    short code of the parent, ``name``, ``geometry``, ``level`` slot name, ``kind``,
    ``source``: source code or None) and whether the source codes were kept.
    """
    tops = feats[feats["level"] == levels[0]]
    synth = len(tops) > 1
    configured = dict(lv.names)
    area_name = configured[lvmod.SLOTS[0]]
    slot_of = {name: n for n, name in configured.items()
               if name is not None and not lv.is_hidden(n)}
    if synth:
        slot_of.pop(area_name, None)
    feats = feats.assign(slot=feats["level"].map(slot_of))
    kept = not synth and not lv.hidden and _nested(feats)
    root = None if synth else tops.iloc[0]
    # Assigned codes start with 0001: no province has the code 00, so an internal code is
    # never mistaken for a statistical one (a source district 320612 is not 通州区's slot).
    root_code = _short(root["code"], lvmod.SLOTS[0]) if kept else ASSIGNED_ROOT
    root_geom = shapely.union_all(tops["geometry"].to_numpy()) if synth else root["geometry"]
    nodes = [{"code": root_code, "parent": None, "name": area_name if synth else root["name"],
              "geometry": root_geom, "slot": lvmod.SLOTS[0],
              "kind": (area_name if synth else levels[0]), "source": None if synth else
              root["code"]}]
    nodes[0]["origin"] = nodes[0]["source"]
    deepest = {nodes[0]["origin"]: nodes[0]}
    prev = [nodes[0]]
    for above, slot in zip(lvmod.SLOTS[:-1], lvmod.SLOTS[1:], strict=True):
        width = slot - above
        made = []
        if lv.is_hidden(slot):
            for p in prev:
                node = {"code": p["code"] + "0" * (width - 1) + "1", "parent": p["code"],
                        "name": p["name"], "geometry": p["geometry"], "slot": slot,
                        "kind": PASS_THROUGH, "source": None, "origin": p["origin"]}
                made.append(node)
                deepest[node["origin"]] = node
        else:
            level_feats = feats[feats["slot"] == slot]
            parents = level_feats["parent"].fillna(_ROOT_KEY)
            for parent_src, group in level_feats.groupby(parents, sort=False):
                p = deepest[None if parent_src == _ROOT_KEY else parent_src]
                group = group.sort_values("code")
                if len(group) >= 10 ** width:
                    raise FileError(f"{len(group)} {configured[slot]} under {p['name']}: "
                                    f"at most {10 ** width - 1} fit the {slot}-digit codes")
                for i, f in enumerate(group.itertuples(index=False), start=1):
                    code = _short(f.code, slot) if kept else p["code"] + f"{i:0{width}d}"
                    node = {"code": code, "parent": p["code"], "name": f.name,
                            "geometry": f.geometry, "slot": slot,
                            "kind": configured[slot], "source": f.code, "origin": f.code}
                    made.append(node)
                    deepest[f.code] = node
        nodes.extend(made)
        prev = made
    out = pd.DataFrame(nodes)
    out["level"] = out["slot"].map(REGION_LENGTHS)
    return out, kept


_ROOT_KEY = "\x00root"
ASSIGNED_ROOT = "0001"
PASS_THROUGH = "pass-through"


def _short(code: str, slot: int) -> str:
    return code[:slot]


def _nested(feats) -> bool:
    """Whether the source codes already are the five slots' codes: digits of the slot's
    length (regions also as 12-digit statistical codes padded with zeros), each starting
    with its parent's."""
    codes = feats["code"]
    slot = feats["slot"]
    if slot.isna().any() or not codes.str.fullmatch(r"[0-9]+").all():
        return False
    n = codes.str.len().to_numpy()
    slots = slot.to_numpy(dtype=int)
    zeros = np.array([c[s:] == "0" * (12 - s) for c, s in zip(codes, slots, strict=True)])
    padded = (n == 12) & (slots < 12) & zeros
    if not ((n == slots) | padded).all():
        return False
    short = pd.Series([c[:int(s)] for c, s in zip(codes, slot, strict=True)], index=feats.index)
    lookup = dict(zip(codes, short, strict=True))
    parent_short = feats["parent"].map(lookup)
    has_parent = feats["parent"].notna()
    return bool(all(s.startswith(p) for s, p in zip(short[has_parent],
                                                    parent_short[has_parent], strict=True)))


def _write_store(out, feats, levels, lv, reference, building, refresh_summaries,
                 timezone=DEFAULT_TIMEZONE):
    nodes, kept = _hierarchy(feats, levels, lv)
    geoms = nodes["geometry"].to_numpy()
    area = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(area_crs(geoms)).area.to_numpy() / 1e6
    rep = shapely.point_on_surface(geoms)
    nodes = nodes.assign(area_km2=area, lon=shapely.get_x(rep), lat=shapely.get_y(rep),
                         wkb=shapely.to_wkb(geoms),
                         full=nodes["code"].where(nodes["slot"] == lvmod.GRID,
                                                  nodes["code"].str.ljust(12, "0")))
    full = dict(zip(nodes["code"], nodes["full"], strict=True))
    regions = nodes[nodes["slot"] < lvmod.GRID]
    grids = nodes[nodes["slot"] == lvmod.GRID]
    regions_df = pd.DataFrame({
        "code": regions["full"], "short_code": regions["code"], "level": regions["level"],
        "parent_code": regions["parent"].map(full), "name": regions["name"],
        "kind": regions["kind"], "urban": False, "area_km2": regions["area_km2"],
        "population": 0, "households": 0, "lon": regions["lon"], "lat": regions["lat"],
        "geometry": regions["wkb"]})
    grids_df = pd.DataFrame({
        "code": grids["code"], "village_code": grids["parent"].map(full), "name": grids["name"],
        "worker_name": "", "worker_phone": "", "population": 0, "households": 0,
        "urban": False, "area_km2": grids["area_km2"], "lon": grids["lon"],
        "lat": grids["lat"], "geometry": grids["wkb"]})
    meta = pd.DataFrame({"key": ["levels", "city", "built_at", "source"],
                         "value": [lv.to_meta(), str(regions_df["short_code"].iloc[0]),
                                   now_in(timezone).isoformat(sep=" ",
                                                              timespec="seconds"),
                                   "gridcmd import boundaries"]})
    # the built-in reference lists (categories, sources ...) come with the store
    # (store.create_schema, dashboard/taxonomy.py)
    tables = [("regions", regions_df), ("grids", grids_df), ("meta", meta)]
    if not (np.isfinite(area).all() and np.isfinite(nodes["lon"]).all()
            and np.isfinite(nodes["lat"]).all()):
        raise FileError("some polygons have no finite area or position after reprojection; "
                        "check each file's CRS")
    with building(out, timezone=timezone) as con:
        if not kept:
            mapped = nodes[nodes["source"].notna()]
            con.execute(sql(Q.REGION_CODE_MAP_SCHEMA))
            tables.append(("code_map", pd.DataFrame({
                "level": mapped["level"], "source_code": mapped["source"],
                "code": mapped["full"]})))
        for table, frame in tables:
            con.register("frame", frame)
            cols = ", ".join(frame.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM frame")
            con.unregister("frame")
        refresh_summaries(con)
    return kept, str(regions_df["short_code"].iloc[0])
