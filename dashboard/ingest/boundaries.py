"""Boundaries of any area into a new store: regions of configurable levels, and grids.

Reads GeoJSON, Shapefile, GeoPackage (pyogrio) and GeoParquet; takes the CRS the file
declares (or ``crs`` when given or missing: EPSG:4490/4326, projected systems such as
EPSG:4549, and GCJ-02/BD-09 converted by :mod:`dashboard.ingest.crs`); repairs invalid
polygons (``make_valid``, polygonal parts kept) and reports each repair with GEOS's
reason; assigns every feature a level (an attribute, one file per level, or code length)
and a parent (an attribute, else the code prefix, else the polygon of the level above that
contains the feature's representative point). The last level is the grid level: it goes to
``grids``, the others to ``regions``.

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
so a failure leaves any existing store untouched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard import levels as lvmod
from dashboard.ingest import crs as crs_mod
from dashboard.ingest.readers import FileError
from dashboard.kpi.scope import REGION_LENGTHS
from queries import sql

AREA_CRS = "EPSG:32651"  # UTM 51N: areas in km² for the Nantong region and its neighbours


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

    def text(self) -> str:
        lines = [f"边界导入 boundaries → {self.out}"]
        for lv in self.levels:
            lines.append(f"  {lv:<12}{self.counts.get(lv, 0):>8,}")
        lines.append(f"  CRS: {', '.join(self.crs)}")
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


def read_layer(path: Path, crs: str | None) -> tuple[gpd.GeoDataFrame, str]:
    """One file as a GeoDataFrame in EPSG:4326, and the CRS it was read in."""
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
    given = crs_mod.normalise(crs) if crs else None
    if given in ("gcj02", "bd09"):
        fn = crs_mod.gcj02_to_wgs84 if given == "gcj02" else crs_mod.bd09_to_wgs84
        geoms = shapely.transform(gdf.geometry.values,
                                  lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1])))
        return gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=geoms,
                                crs="EPSG:4326"), given
    if given:
        gdf = gdf.set_crs(given, allow_override=True)
    if gdf.crs is None:
        raise FileError(f"{path.name}: the file declares no coordinate reference system; "
                        f"give one (--crs EPSG:4490, EPSG:4549, gcj02 ...)")
    name = gdf.crs.to_string()
    return gdf.to_crs("EPSG:4326"), name


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


def import_boundaries(files, out, *, levels, code_field="code", name_field="name",
                      parent_field=None, level_field=None, crs=None, area_name="全市",
                      progress=False) -> BoundaryReport:
    """Build a store at ``out`` from boundary files (see the module docstring).

    Raises
    ------
    FileError
        Unreadable file, unknown or missing CRS, missing code/name fields, a level that
        cannot be told, a feature without a parent.
    """
    from dashboard.demo import REFERENCE
    from dashboard.kpi.summaries import refresh_summaries
    from dashboard.store import building

    levels = [lv.strip() for lv in levels if lv.strip()]
    if len(levels) < 2:
        raise FileError("give at least two levels (regions and grids)")
    report = BoundaryReport(levels=levels, parent_by=Counter(), out=Path(out))
    frames = []
    try:
        for i, path in enumerate(map(Path, files)):
            gdf, used = read_layer(path, crs)
            report.crs.append(f"{path.name}: {used}")
            for f in (code_field, name_field):
                if f not in gdf.columns:
                    raise FileError(f"{path.name}: no field {f!r}; fields: "
                                    f"{[c for c in gdf.columns if c != 'geometry']}")
            frame = pd.DataFrame({
                "code": gdf[code_field].astype(str).str.strip(),
                "name": gdf[name_field].astype(str).str.strip(),
                "file": i,
                "parent": (gdf[parent_field].astype("string").str.strip()
                           if parent_field and parent_field in gdf.columns else None),
                "level": (gdf[level_field].astype(str).str.strip()
                          if level_field and level_field in gdf.columns else None),
            })
            frame["geometry"] = gdf.geometry.values
            frames.append(frame)
    except crs_mod.CRSError as exc:
        raise FileError(str(exc)) from None
    feats = pd.concat(frames, ignore_index=True)
    if feats["code"].duplicated().any():
        dup = feats.loc[feats["code"].duplicated(), "code"].head(5).tolist()
        raise FileError(f"duplicate codes: {dup}")
    feats["level"] = _levels(feats, levels, len(frames), level_field)
    synth = int((feats["level"] == levels[0]).sum()) > 1
    try:
        slots = lvmod.assign(levels, root=area_name if synth else None)
    except ValueError as exc:
        raise FileError(str(exc)) from None
    geoms, report.repaired = repair(feats["geometry"].to_numpy(), feats["code"])
    feats["geometry"] = geoms
    feats["parent"] = _parents(feats, levels, report)
    for lv in levels:
        report.counts[lv] = int((feats["level"] == lv).sum())
    report.slots = slots
    report.kept, report.root = _write_store(Path(out), feats, levels, slots, REFERENCE,
                                            building, refresh_summaries)
    return report


def _levels(feats, levels, n_files, level_field):
    if level_field:
        bad = set(feats["level"]) - set(levels)
        if bad:
            raise FileError(f"level field values {sorted(bad)} not among {levels}")
        return feats["level"]
    if n_files == len(levels):
        return feats["file"].map(dict(enumerate(levels)))
    lengths = sorted(feats["code"].str.len().unique())
    if len(lengths) == len(levels):
        return feats["code"].str.len().map(dict(zip(lengths, levels, strict=True)))
    raise FileError(f"cannot tell the level of each feature: give one file per level "
                    f"({len(levels)}), --level-field, or codes of {len(levels)} lengths "
                    f"(found lengths {lengths})")


def _parents(feats, levels, report) -> pd.Series:
    parent = feats["parent"].copy() if feats["parent"].notna().any() else \
        pd.Series([None] * len(feats), dtype=object)
    parent = parent.astype(object).where(parent.notna() & (parent != ""), None)
    codes = set(feats["code"])
    given = parent.notna() & parent.isin(codes)
    report.parent_by["attribute"] += int(given.sum())
    for upper, lower in zip(levels[:-1], levels[1:], strict=True):
        up = feats[feats["level"] == upper]
        todo = (feats["level"] == lower) & ~given
        if not todo.any():
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
            lost = sorted(set(rest) - set(found.index))
            if lost:
                raise FileError(f"no {upper} contains {lower} "
                                f"{feats.loc[lost, 'code'].head(5).tolist()}")
    top = feats["level"] == levels[0]
    parent[top] = None
    return parent


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


def _write_store(out, feats, levels, lv, reference, building, refresh_summaries):
    nodes, kept = _hierarchy(feats, levels, lv)
    geoms = nodes["geometry"].to_numpy()
    area = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(AREA_CRS).area.to_numpy() / 1e6
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
                                   datetime.now().isoformat(sep=" ", timespec="seconds"),
                                   "gridcmd import boundaries"]})
    # the built-in reference lists (categories, sources ...) come with the store
    # (store.create_schema, dashboard/taxonomy.py)
    tables = [("regions", regions_df), ("grids", grids_df), ("meta", meta)]
    with building(out) as con:
        if not kept:
            mapped = nodes[nodes["source"].notna()]
            con.execute(sql("code_map_schema"))
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
