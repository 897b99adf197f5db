"""The deterministic demo geography: real names and codes, synthetic shapes and people.

Only the city and county polygons of 南通市 are real (vendored in ``geodata/nantong/``).
Towns (乡镇/街道), villages (村/社区) and grids carry their real 2023 statistical codes and
names, but their polygons, populations, households and grid workers are derived here from a
seed, so the dashboard has a full four-level hierarchy to draw and to scope queries by.

How the shapes are made
-----------------------
Each level is a seeded tessellation of its parent: seeds are drawn inside the parent
(uniformly, except that urban children get seeds drawn around the county seat or town
centre so that urban units come out smaller), relaxed by a few damped Lloyd iterations
(which even out cell shapes without erasing that contrast), turned into Voronoi cells and
clipped to the parent. A cell clipped to a concave parent can fall apart into pieces; every
piece but the largest is merged into the sibling sharing its longest border, so a cell is a
single polygon wherever its parent is. Urban children get the cells nearest the centre.

The finest level, the grids, is then made one edge-matched polygonal coverage with
``shapely.coverage_clean`` (neighbouring villages were clipped independently, so their
grids disagree on vertices along shared borders), and every coarser level is the exact
coverage union of its children: village = union of its grids, town = union of its
villages, and so on up to the city. Children therefore tile their parent with no gap or
overlap even after reprojection, and any level can be simplified for the browser with
``shapely.coverage_simplify`` without tearing borders. The city and the six counties other
than 崇川区 come out as their real polygons (same shape, plus the vertices where derived
borders meet theirs).

Work is done in a local equirectangular plane in kilometres around the city (an affine map
of lon/lat, so shapes go back to lon/lat with no drift) because Voronoi cells computed in
degrees would be stretched east-west by 1/cos(32°). Reported areas are computed in
EPSG:32651 (UTM 51N), which covers Nantong.

南通经济技术开发区 (320671)
--------------------------
The development zone has a county-level code, 7 towns and 44 villages but no polygon in
the source data; in reality it lies in the south-east of 崇川区 along the Yangtze. The
builder therefore tessellates 崇川区 into 19 + 7 town cells, with the zone's seeds
clustered around a point in that south-eastern part, gives the zone's 7 towns the
contiguous block of cells grown from the one nearest that point (never splitting the rest
of 崇川区), and makes 崇川区 the union of its own 19 cells and the zone the union of the
other 7. Together they tile the real 崇川区 polygon exactly.

Where the numbers come from
---------------------------
County populations approximate the 2020 census (seventh national census), rounded, with
the 崇川区 figure split between 崇川区 and the development zone. Each county's total is
split over its villages by a weight that mostly reflects the kind of village (an urban
community counts double a 村, the virtual unit of a farm or zone a small fraction), only
weakly its area, somewhat its distance to the county seat, and is lower for rural villages
on the outer boundary of coastal 如东县 and 启东市. Small urban cells thus come out dense
(崇川区 about 3,500/km², 如东县 about 400/km²). Integer largest-remainder allocation keeps
every parent exactly the sum of its children. Households are population divided by a
per-village household size around 2.6. Grid counts follow households (a grid serves a few
hundred households), 3–8 per village and up to 12 in large urban communities, scaled so
the city has about 10,000 grids. Grid workers' names and mobile numbers are synthetic.

``urban`` follows the names: 街道 and communities (社区/居委会) are urban, 镇, 乡 and 村
rural; a town-level 功能区 is urban when most of its villages are, and a county or the city
when most of its people live in urban towns.

Determinism
-----------
Every random draw comes from ``numpy.random.default_rng`` seeded with ``(seed, stage)``,
and every loop runs in code order, so the same seed gives byte-identical geometries and
columns, and changing one stage's draws does not shift another's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.loaders import city_key, load_boundaries, load_divisions
from geodata.sampling import PointSampler

__all__ = ["GRID_COLUMNS", "REGION_COLUMNS", "Geography", "build_geography"]

REGION_COLUMNS = (
    "code",
    "short_code",
    "level",
    "parent_code",
    "name",
    "kind",
    "urban",
    "area_km2",
    "population",
    "households",
    "lon",
    "lat",
    "geometry",
)
GRID_COLUMNS = (
    "code",
    "village_code",
    "name",
    "worker_name",
    "worker_phone",
    "population",
    "households",
    "urban",
    "area_km2",
    "lon",
    "lat",
    "geometry",
)

_AREA_CRS = "EPSG:32651"
_TOLERANCE_KM = 1e-6
"""Distance under which two cell boundaries count as the same line (1 mm)."""

_TARGET_GRIDS = 10_000
_MIN_GRIDS = 3
_MAX_GRIDS_RURAL = 8
_MAX_GRIDS_URBAN = 12

_SURNAMES = (
    "陈", "张", "王", "朱", "顾", "徐", "季", "曹", "黄", "李", "刘", "吴", "周", "沈",
    "钱", "陆", "施", "范", "杨", "孙", "蔡", "丁", "葛", "瞿", "袁", "倪", "缪", "冒",
    "姜", "秦", "郭", "邱", "高", "马", "许", "何", "宋", "唐", "汤", "储", "卢", "邵",
    "仇", "石", "严", "茅", "郁", "樊", "保", "成",
)  # fmt: skip
_GIVEN_CHARS = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "兰", "霞", "平", "刚", "英", "华", "建", "国", "红", "玲", "海",
    "燕", "晓", "东", "亮", "飞", "鹏", "辉", "宇", "浩", "婷", "慧", "峰", "俊", "波",
    "斌", "宁", "琳", "丹", "雪", "梅", "春", "林", "志", "文", "云", "凤", "玉", "萍",
    "新", "荣", "德", "秀", "健", "金", "忠", "卫", "兵", "琴", "莉", "颖", "佳", "欣",
    "怡", "晨", "阳", "凯", "鑫", "蕾", "倩", "松", "娇", "锋",
)  # fmt: skip
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "187",
    "188", "189", "199",
)  # fmt: skip

_FARM_PATTERN = re.compile(r"(?:农场|渔场|场$|苗圃|农科所|管理所|医院)")
_BRACKETS = re.compile(r"（[^）]*）")
_COMMITTEE_SUFFIXES = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("居民委委会", "社区"),
)
"""Committee suffixes stripped from village names for grid names, and what they stand for.

The last one is a typo in the source list (秦西社区居民委委会), kept as published.
"""


@dataclass(frozen=True)
class _CityProfile:
    """What the builder needs to know about a city beyond its vendored files.

    Attributes
    ----------
    population : mapping of 6-digit county code to approximate resident population
    seats : mapping of 6-digit county code to the approximate (lon, lat) of the seat; for
        the functional zone, a point in the part of its host where it really lies
    zone, zone_host : a county-level functional zone without a polygon, and the county it
        is carved out of (``None`` if the city has none)
    coastal : counties whose rural villages on the city's outer boundary are thinly populated
    """

    population: MappingProxyType
    seats: MappingProxyType
    zone: str | None
    zone_host: str | None
    coastal: frozenset[str]


_PROFILES = MappingProxyType(
    {
        "3206": _CityProfile(
            population=MappingProxyType(
                {
                    "320613": 1_300_000,
                    "320671": 250_000,
                    "320612": 1_250_000,
                    "320614": 990_000,
                    "320623": 880_000,
                    "320681": 970_000,
                    "320682": 1_250_000,
                    "320685": 870_000,
                }
            ),
            seats=MappingProxyType(
                {
                    "320613": (120.866, 32.010),
                    "320612": (121.073, 32.084),
                    "320614": (121.180, 31.900),
                    "320623": (121.186, 32.316),
                    "320681": (121.657, 31.808),
                    "320682": (120.574, 32.371),
                    "320685": (120.466, 32.533),
                    "320671": (120.990, 31.870),
                }
            ),
            zone="320671",
            zone_host="320613",
            coastal=frozenset({"320623", "320681"}),
        )
    }
)


@dataclass(frozen=True)
class Geography:
    """The demo geography of one city.

    Attributes
    ----------
    regions : geopandas.GeoDataFrame
        One row per city, county, town and village, EPSG:4326, columns ``REGION_COLUMNS``.
    grids : geopandas.GeoDataFrame
        One row per grid (网格), EPSG:4326, columns ``GRID_COLUMNS``.
    """

    regions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame


@dataclass(frozen=True)
class _Plane:
    """Affine map between lon/lat and a local east/north plane in kilometres."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return 111.32 * np.cos(np.radians(self.lat0))

    @property
    def ky(self) -> float:
        return 110.574

    def to_km(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda c: (c - (self.lon0, self.lat0)) * (self.kx, self.ky))

    def to_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda c: c / (self.kx, self.ky) + (self.lon0, self.lat0))

    def point_to_km(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky


def build_geography(city: str = "3206", seed: int = 20231) -> Geography:
    """Build the four-level demo geography of a city plus its grids.

    Parameters
    ----------
    city : str
        City code; only ``"3206"`` (南通市) is vendored. ``"320600"`` is accepted too.
    seed : int
        Seed of every random draw. The same seed always gives byte-identical output, so
        the demo store, the tests and screenshots agree; another seed gives other shapes.

    Returns
    -------
    Geography
        ``regions`` (city, counties, towns, villages) and ``grids``, both EPSG:4326.

    Raises
    ------
    ValueError
        If no data is vendored for ``city``; the message lists the available codes.

    Notes
    -----
    See the module docstring for how shapes and numbers are derived, and how the
    development zone 320671 gets its polygon.
    """
    key = city_key(city)
    profile = _PROFILES[key]
    boundaries = load_boundaries(key)
    divisions = load_divisions(key)

    def rng(stage: int) -> np.random.Generator:
        return np.random.default_rng([seed, stage])

    city_row = boundaries[boundaries["level"] == "city"].iloc[0]
    lon_min, lat_min, lon_max, lat_max = city_row.geometry.bounds
    plane = _Plane((lon_min + lon_max) / 2, (lat_min + lat_max) / 2)

    counties = _county_table(divisions.counties)
    villages = _village_table(divisions.villages)
    towns = _town_table(divisions.towns, villages)

    real = boundaries[boundaries["level"] == "county"].sort_values("code").reset_index(drop=True)
    town_km = _place_towns(real, towns, profile, plane, rng(1))
    towns_centre = _centres(town_km)

    village_km = _place_villages(towns, villages, town_km, towns_centre, rng(3))
    village_pop = _village_population(villages, village_km, real, profile, plane, rng(4))

    draws = rng(5)
    household_size = np.clip(draws.normal(2.6, 0.12, len(villages)), 2.3, 2.95)
    village_hh = np.maximum(np.rint(village_pop / household_size).astype(np.int64), 1)
    grid_counts = _grid_counts(village_hh, villages["urban"].to_numpy())

    grid_km, grid_owner = _place_grids(village_km, grid_counts, rng(6))
    grid_pop, grid_hh = _grid_people(grid_km, grid_owner, village_pop, village_hh, rng(7))

    grids = _grid_frame(villages, grid_km, grid_owner, grid_pop, grid_hh, plane, rng(8))
    regions = _region_frame(city_row, counties, towns, villages, grids, grid_owner)
    return Geography(regions=regions, grids=grids)


def _county_table(counties: pd.DataFrame) -> pd.DataFrame:
    def kind(name: str) -> str:
        if "开发区" in name or "园区" in name:
            return "功能区"
        return {"区": "市辖区", "县": "县", "市": "县级市"}.get(name[-1], "功能区")

    out = counties[["code", "name"]].sort_values("code").reset_index(drop=True)
    out["kind"] = out["name"].map(kind)
    return out


def _village_table(villages: pd.DataFrame) -> pd.DataFrame:
    """Villages with kind, urban flag and the short name used for grid names.

    Names end in 村委会/村民委员会 (村) or 社区居委会/居委会/社区 (社区). The virtual units of
    farms and development zones (虚拟社区, 虚拟生活区) are counted as 社区, having no 村
    committee, but not as urban: they are statistical placeholders for the few residents of
    industrial land or farmland, not city neighbourhoods.
    """
    out = villages[["code", "name", "streetCode", "areaCode"]].rename(
        columns={"streetCode": "town", "areaCode": "county"}
    )
    out = out.sort_values("code").reset_index(drop=True)
    plain = out["name"].str.replace(_BRACKETS, "", regex=True)
    is_village = plain.str.contains(r"(?:村民委员会|村委会|村)$", regex=True)
    out["kind"] = np.where(is_village, "村", "社区")
    named = plain.str.contains(r"社区|居委会|居民委员会", regex=True)
    out["urban"] = ~is_village & named & ~plain.str.contains("虚拟", regex=False)
    out["virtual"] = plain.str.contains("虚拟", regex=False)
    out["short"] = plain.map(_short_village_name)
    return out


def _short_village_name(name: str) -> str:
    """德民社区居委会 → 德民社区, 通江街居委会 → 通江街社区, 新联村委会 → 新联村."""
    for suffix, keep in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(keep) else stem + keep
    return name


def _town_table(towns: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """Towns with kind and urban flag.

    Town-level units that are neither 街道, 镇 nor 乡 (development zones, farms, parks)
    become 功能区; such a zone counts as urban when most of its villages are urban
    communities, because that is what its residents live in.
    """
    out = towns[["code", "name", "areaCode"]].rename(columns={"areaCode": "county"})
    out = out.sort_values("code").reset_index(drop=True)
    plain = out["name"].str.replace(_BRACKETS, "", regex=True)
    kind = np.select(
        [plain.str.endswith("街道"), plain.str.endswith("镇"), plain.str.endswith("乡")],
        ["街道", "镇", "乡"],
        default="功能区",
    )
    out["kind"] = kind
    urban_share = villages.groupby("town")["urban"].mean()
    farm = plain.str.contains(_FARM_PATTERN)
    zone_urban = (out["code"].map(urban_share).fillna(0.0) > 0.5) & ~farm
    out["urban"] = (out["kind"] == "街道") | ((out["kind"] == "功能区") & zone_urban)
    out["n_villages"] = out["code"].map(villages.groupby("town").size()).fillna(0).astype(int)
    return out


def _place_towns(
    real: pd.DataFrame,
    towns: pd.DataFrame,
    profile: _CityProfile,
    plane: _Plane,
    rng: np.random.Generator,
) -> np.ndarray:
    """Town cells (km plane) aligned with ``towns``; the zone's towns carved from its host.

    Urban towns get seeds clustered around the county seat, so they come out small and
    central. In the host county the zone's seeds are clustered around the zone's anchor
    point instead, and the zone then takes the contiguous block of cells nearest to it.
    """
    host_of = towns["county"].where(towns["county"] != profile.zone, profile.zone_host)
    parents = plane.to_km(real["geometry"].to_numpy())
    counts = host_of.value_counts().reindex(real["code"]).fillna(0).astype(int).to_numpy()
    seat = {c: plane.point_to_km(*xy) for c, xy in profile.seats.items()}

    centre, sigma = [], []
    for code, area in zip(real["code"], shapely.area(parents), strict=True):
        scale = 0.15 * np.sqrt(area)
        n_zone = int((towns["county"] == profile.zone).sum()) if code == profile.zone_host else 0
        urban = towns.loc[towns["county"] == code, "urban"].to_numpy()
        centre += [seat[profile.zone]] * n_zone + [seat[code]] * len(urban)
        sigma += [scale] * n_zone + [scale] * int(urban.sum()) + [0.0] * int((~urban).sum())
    cells, owner = _tessellate(parents, counts, np.array(centre), np.array(sigma), rng, 3)

    result = np.empty(len(towns), dtype=object)
    for g, code in enumerate(real["code"]):
        members = np.flatnonzero(owner == g)
        own = towns.index[towns["county"] == code]
        if code == profile.zone_host:
            zone = towns.index[towns["county"] == profile.zone]
            carved = _carve(cells[members], len(zone), seat[profile.zone])
            zone_cells = _nearest_first(cells, members[carved], seat[profile.zone])
            _assign(result, towns, zone, zone_cells, cells)
            members = members[~carved]
        _assign(result, towns, own, _nearest_first(cells, members, seat[code]), cells)
    return result


def _nearest_first(cells: np.ndarray, members: np.ndarray, point) -> np.ndarray:
    xy = shapely.get_coordinates(shapely.centroid(cells[members]))
    distance = np.hypot(xy[:, 0] - point[0], xy[:, 1] - point[1])
    return members[np.argsort(distance, kind="stable")]


def _assign(result, table, children, ordered_cells, cells) -> None:
    """Give urban children the cells nearest the centre, then the rest, each in code order."""
    children = table.loc[children].sort_values(["urban", "code"], ascending=[False, True]).index
    if len(children) != len(ordered_cells):
        raise RuntimeError("tessellation produced a different number of cells than children")
    result[children.to_numpy()] = cells[ordered_cells]


def _carve(cells: np.ndarray, k: int, anchor) -> np.ndarray:
    """Pick ``k`` edge-adjacent cells nearest ``anchor``, leaving the rest connected.

    Growing from the nearest cell and always taking the nearest neighbour gives a compact,
    contiguous block; refusing a neighbour whose removal would split the remaining cells
    keeps the host county in one piece.
    """
    adjacency = _adjacency(cells)
    centres = shapely.get_coordinates(shapely.centroid(cells))
    score = -np.hypot(centres[:, 0] - anchor[0], centres[:, 1] - anchor[1])
    chosen = np.zeros(len(cells), dtype=bool)
    chosen[int(np.argmax(score))] = True
    while chosen.sum() < k:
        frontier = np.flatnonzero(adjacency[chosen].any(axis=0) & ~chosen)
        for candidate in frontier[np.argsort(-score[frontier], kind="stable")]:
            trial = chosen.copy()
            trial[candidate] = True
            if _connected(adjacency, ~trial):
                chosen = trial
                break
        else:
            raise RuntimeError("cannot carve a contiguous zone out of its host county")
    return chosen


def _adjacency(cells: np.ndarray) -> np.ndarray:
    grown = shapely.buffer(cells, _TOLERANCE_KM)
    shared = np.array(
        [shapely.length(shapely.intersection(shapely.boundary(c), grown)) for c in cells]
    )
    adjacency = shared > 10 * _TOLERANCE_KM
    np.fill_diagonal(adjacency, False)
    return adjacency


def _connected(adjacency: np.ndarray, mask: np.ndarray) -> bool:
    nodes = np.flatnonzero(mask)
    if len(nodes) == 0:
        return True
    seen = np.zeros(len(mask), dtype=bool)
    seen[nodes[0]] = True
    frontier = seen.copy()
    while frontier.any():
        frontier = adjacency[frontier].any(axis=0) & mask & ~seen
        seen |= frontier
    return bool(seen[mask].all())


def _place_villages(towns, villages, town_km, towns_centre, rng) -> np.ndarray:
    """Village cells (km plane) aligned with ``villages``; communities near the town centre."""
    group = np.searchsorted(towns["code"].to_numpy(), villages["town"].to_numpy())
    order = np.lexsort((~villages["urban"].to_numpy(), group))
    scale = 0.2 * np.sqrt(shapely.area(town_km))
    sigma = np.where(villages["urban"].to_numpy()[order], scale[group[order]], 0.0)
    cells, owner = _tessellate(
        town_km, towns["n_villages"].to_numpy(), towns_centre[group[order]], sigma, rng, 2
    )
    result = np.empty(len(villages), dtype=object)
    by_town = villages.groupby("town").indices
    for g, code in enumerate(towns["code"]):
        members = _nearest_first(cells, np.flatnonzero(owner == g), towns_centre[g])
        _assign(result, villages, by_town[code], members, cells)
    return result


def _place_grids(village_km, grid_counts, rng) -> tuple[np.ndarray, np.ndarray]:
    """Grid cells (km plane), grouped by village and numbered outward from its centre.

    Grids of neighbouring villages were clipped independently, so where a grid border meets
    a village border one side has a vertex the other lacks, and recomputed intersection
    points can differ in the last bit. ``coverage_clean`` snaps such vertices together
    (1 mm) and inserts the missing ones, making all grids of the city one edge-matched
    polygonal coverage: every level can then be dissolved exactly from the grids, stays
    gap- and overlap-free under any reprojection, and can be simplified for the browser
    with ``shapely.coverage_simplify`` without tearing shared borders apart.
    """
    centres = _centres(village_km)
    owner = np.repeat(np.arange(len(village_km)), grid_counts)
    no_cluster = np.zeros(len(owner))
    cells, owner = _tessellate(village_km, grid_counts, centres[owner], no_cluster, rng, 2)
    order = np.lexsort((_rank_by_distance(cells, owner, centres), owner))
    cells = shapely.coverage_clean(cells[order], snapping_distance=_TOLERANCE_KM)
    return cells, owner[order]


def _tessellate(
    parents: np.ndarray,
    counts: np.ndarray,
    centre: np.ndarray,
    sigma: np.ndarray,
    rng: np.random.Generator,
    iterations: int,
    damping: float = 0.6,
) -> tuple[np.ndarray, np.ndarray]:
    """Split each parent into ``counts[i]`` cells that tile it exactly.

    Seed ``j`` (seeds are grouped by parent) is drawn from a normal distribution around
    ``centre[j]`` with standard deviation ``sigma[j]`` when that is positive and lands
    inside the parent, so those cells come out small and clustered; otherwise uniformly in
    the parent. Damped Lloyd steps (a seed moves ``damping`` of the way to its cell's
    centroid) regularise shapes while keeping most of that contrast. Cell ``j`` is the cell
    of seed ``j``.

    Returns
    -------
    cells : numpy.ndarray of Polygon/MultiPolygon
        Grouped by parent, parents in input order.
    owner : numpy.ndarray of int
        Parent position of each cell.
    """
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(parents)), counts)
    n = len(owner)
    x, y = PointSampler(parents).sample(owner, rng)
    gx = centre[:, 0] + rng.standard_normal(n) * sigma
    gy = centre[:, 1] + rng.standard_normal(n) * sigma
    dense = (sigma > 0) & shapely.contains_xy(parents[owner], gx, gy)
    x, y = np.where(dense, gx, x), np.where(dense, gy, y)

    cells = parents[owner].copy()
    split = np.flatnonzero(counts[owner] > 1)
    if split.size == 0:
        return cells, owner
    group = owner[split]
    groups, local = np.unique(group, return_inverse=True)
    xmin, ymin, xmax, ymax = shapely.bounds(parents[groups]).T
    extents = shapely.box(xmin - 1.0, ymin - 1.0, xmax + 1.0, ymax + 1.0)
    clip_to = parents[group]
    px, py = x[split], y[split]
    for step in range(iterations + 1):
        seeds = shapely.multipoints(np.column_stack((px, py)), indices=local)
        diagrams = shapely.voronoi_polygons(seeds, extend_to=extents, ordered=True)
        voronoi = shapely.get_parts(diagrams)
        if len(voronoi) != len(split):
            raise RuntimeError("Voronoi diagram lost cells (duplicate seeds?)")
        clipped = shapely.intersection(voronoi, clip_to)
        if step == iterations:
            break
        cx, cy = _inner_centroids(clipped, clip_to)
        nx, ny = px + damping * (cx - px), py + damping * (cy - py)
        inside = shapely.contains_xy(clip_to, nx, ny)
        px, py = np.where(inside, nx, cx), np.where(inside, ny, cy)
    cells[split] = _polygonal(clipped)
    return _merge_fragments(cells, owner), owner


def _inner_centroids(cells: np.ndarray, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroids, replaced by a point on the surface where the centroid leaves the parent."""
    xy = shapely.get_coordinates(shapely.centroid(cells))
    outside = ~shapely.contains_xy(parents, xy[:, 0], xy[:, 1])
    if outside.any():
        xy[outside] = shapely.get_coordinates(shapely.point_on_surface(cells[outside]))
    return xy[:, 0], xy[:, 1]


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Drop lines and points that overlay operations can leave in a GeometryCollection."""
    geoms = geoms.copy()
    for i in np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6))):
        parts = shapely.get_parts(geoms[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        geoms[i] = shapely.union_all(parts)
    return geoms


def _merge_fragments(cells: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Merge every fragment but the largest of a cell into its longest-bordering sibling.

    A fragment that touches no sibling (an island of a multi-part parent) stays with its
    cell, which is then legitimately a MultiPolygon.
    """
    cells = cells.copy()
    starts = np.searchsorted(owner, np.arange(owner.max() + 1))
    stops = np.searchsorted(owner, np.arange(owner.max() + 1), side="right")
    for i in np.flatnonzero(shapely.get_num_geometries(cells) > 1):
        parts = shapely.get_parts(cells[i])
        if len(parts) < 2:
            continue
        parts = parts[np.argsort(-shapely.area(parts), kind="stable")]
        siblings = np.arange(starts[owner[i]], stops[owner[i]])
        siblings = siblings[siblings != i]
        kept = [parts[0]]
        for fragment in parts[1:]:
            shared = shapely.length(
                shapely.intersection(
                    shapely.boundary(fragment), shapely.buffer(cells[siblings], _TOLERANCE_KM)
                )
            )
            if shared.size == 0 or shared.max() <= 10 * _TOLERANCE_KM:
                kept.append(fragment)
                continue
            j = siblings[int(np.argmax(shared))]
            cells[j] = _drop_specks(shapely.union(cells[j], fragment))
        cells[i] = kept[0] if len(kept) == 1 else shapely.multipolygons(kept)
    return cells


def _drop_specks(geom):
    """Remove parts of negligible area that floating-point noding can leave after a union."""
    if shapely.get_type_id(geom) == 3:
        return geom
    parts = shapely.get_parts(geom)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    area = shapely.area(parts)
    parts = parts[area > 1e-9 * area.sum()]
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def _centres(cells: np.ndarray) -> np.ndarray:
    """A centre for each cell that lies inside it (centroid, else a point on the surface)."""
    x, y = _inner_centroids(cells, cells)
    return np.column_stack((x, y))


def _rank_by_distance(cells: np.ndarray, owner: np.ndarray, centres: np.ndarray) -> np.ndarray:
    xy = shapely.get_coordinates(shapely.centroid(cells))
    return np.hypot(*(xy - centres[owner]).T)


def _allocate(totals: np.ndarray, weights: np.ndarray, group: np.ndarray, minimum: int):
    """Split integer ``totals[g]`` over the members of each group in proportion to weights.

    Largest-remainder rounding makes every group sum exactly to its total, which is what
    lets parents be the exact sum of their children. Each member first gets ``minimum``
    (lowered for a group too small to afford it) so no unit is empty.
    """
    totals = np.asarray(totals, dtype=np.int64)
    size = np.bincount(group, minlength=len(totals))
    floor = np.minimum(minimum, totals // np.maximum(size, 1))
    spare = totals - floor * size
    weight_sum = np.bincount(group, weights=weights, minlength=len(totals))
    raw = spare[group] * weights / weight_sum[group]
    base = np.floor(raw).astype(np.int64)
    short = spare - np.bincount(group, weights=base, minlength=len(totals)).astype(np.int64)
    order = np.lexsort((-(raw - base), group))
    first = np.concatenate(([0], np.cumsum(size)[:-1]))
    position = np.empty(len(group), dtype=np.int64)
    position[order] = np.arange(len(group)) - first[group[order]]
    return floor[group] + base + (position < short[group])


def _village_population(villages, village_km, real, profile, plane, rng) -> np.ndarray:
    """Split county totals over villages; towns and counties are then sums of villages.

    The weight of a village is mostly its kind (an urban community counts double a 村, a
    virtual unit of a farm or zone a small fraction) and only weakly its area, because a
    village committee serves a few thousand people however large its fields are; that is
    what makes the small urban cells dense. Villages near the county seat are somewhat
    larger, and rural villages on the outer boundary of the coastal counties smaller.
    """
    seat = np.array([plane.point_to_km(*profile.seats[c]) for c in villages["county"]])
    offset = shapely.get_coordinates(shapely.centroid(village_km)) - seat
    distance = np.hypot(offset[:, 0], offset[:, 1])
    urban = villages["urban"].to_numpy()
    virtual = villages["virtual"].to_numpy()
    outer = shapely.boundary(plane.to_km(np.array([shapely.union_all(real.geometry.values)])))
    coastal = (
        villages["county"].isin(profile.coastal).to_numpy()
        & ~urban
        & (shapely.distance(village_km, outer[0]) < 1.5)
    )
    weight = np.select([urban, virtual], [2.0, 0.15], default=1.0)
    weight *= 1.0 + 0.6 * np.exp(-distance / 6.0)
    weight *= np.where(coastal, 0.6, 1.0)
    weight *= shapely.area(village_km) ** 0.25 * rng.lognormal(0.0, 0.3, len(villages))
    codes = sorted(profile.population)
    group = np.searchsorted(codes, villages["county"].to_numpy())
    return _allocate(np.array([profile.population[c] for c in codes]), weight, group, 200)


def _grid_counts(households: np.ndarray, urban: np.ndarray) -> np.ndarray:
    """Grids per village: one per few hundred households, scaled to about 10,000 in all.

    The households-per-grid figure is searched (deterministically) for the value whose
    clipped counts come closest to the target total, so the demo size does not depend on
    how the random populations happened to fall.
    """
    cap = np.where(urban, _MAX_GRIDS_URBAN, _MAX_GRIDS_RURAL)

    def counts(per_grid: float) -> np.ndarray:
        return np.clip(np.rint(households / per_grid), _MIN_GRIDS, cap).astype(np.int64)

    candidates = np.arange(100.0, 1000.0, 1.0)
    totals = np.array([counts(c).sum() for c in candidates])
    return counts(candidates[int(np.argmin(np.abs(totals - _TARGET_GRIDS)))])


def _grid_people(grid_km, owner, village_pop, village_hh, rng):
    """Split each village's people by grid area and its households by grid population."""
    weights = shapely.area(grid_km) * rng.lognormal(0.0, 0.25, len(grid_km))
    population = _allocate(village_pop, weights, owner, 30)
    households = _allocate(village_hh, population.astype(float), owner, 1)
    return population, households


def _grid_frame(villages, grid_km, owner, population, households, plane, rng):
    """Grid table with codes and names numbered per village, and synthetic grid workers."""
    sequence = np.arange(len(owner)) - np.searchsorted(owner, owner)
    village_code = villages["code"].to_numpy()[owner]
    code = [f"{v}{k + 1:03d}" for v, k in zip(village_code, sequence, strict=True)]
    short = villages["short"].to_numpy()[owner]
    name = [f"{s}第{k + 1}网格" for s, k in zip(short, sequence, strict=True)]

    n = len(owner)
    rank = np.arange(len(_SURNAMES))
    surname_p = 1.0 / (rank + 2.0) ** 0.9
    surnames = np.asarray(_SURNAMES)[rng.choice(len(_SURNAMES), n, p=surname_p / surname_p.sum())]
    chars = np.asarray(_GIVEN_CHARS)
    first = chars[rng.integers(0, len(chars), n)]
    second = np.where(rng.random(n) < 0.65, chars[rng.integers(0, len(chars), n)], "")
    worker = [a + b + c for a, b, c in zip(surnames, first, second, strict=True)]
    prefix = np.asarray(_MOBILE_PREFIXES)[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    phone = [f"{p}{d:08d}" for p, d in zip(prefix, rng.integers(0, 10**8, n), strict=True)]

    geometry = _finalise(plane.to_lonlat(grid_km))
    frame = gpd.GeoDataFrame(
        {
            "code": code,
            "village_code": village_code,
            "name": name,
            "worker_name": worker,
            "worker_phone": phone,
            "population": population.astype(np.int64),
            "households": households.astype(np.int64),
            "urban": villages["urban"].to_numpy()[owner],
        },
        geometry=gpd.array.from_shapely(geometry, crs="EPSG:4326"),
    )
    return _add_measures(frame)[list(GRID_COLUMNS)]


def _region_frame(city_row, counties, towns, villages, grids, grid_owner):
    """Assemble city, counties, towns and villages into one table, summed up from the grids.

    Geometries are dissolved upward too (village = union of its grids, and so on) rather
    than taken from the tessellation of each level. The shapes are the same, but a parent
    built this way carries every vertex where its children's borders meet its boundary, so
    children and parent share their boundary segments exactly and the tiling survives any
    reprojection (a child's vertex on a parent's straight edge would drift off that edge
    when projected to UTM and leave slivers).
    """
    village_idx = pd.Index(villages["code"])
    by_village = grids.groupby("village_code")[["population", "households"]].sum()
    v_people = by_village.reindex(village_idx).to_numpy()

    town_group = np.searchsorted(towns["code"].to_numpy(), villages["town"].to_numpy())
    t_people = np.column_stack(
        [np.bincount(town_group, weights=v_people[:, k], minlength=len(towns)) for k in (0, 1)]
    ).astype(np.int64)

    county_group = np.searchsorted(counties["code"].to_numpy(), towns["county"].to_numpy())
    c_people = np.column_stack(
        [np.bincount(county_group, weights=t_people[:, k], minlength=len(counties))
         for k in (0, 1)]
    ).astype(np.int64)  # fmt: skip
    town_urban_pop = t_people[:, 0] * towns["urban"].to_numpy()
    c_urban = np.bincount(county_group, weights=town_urban_pop, minlength=len(counties))

    village_geom = _dissolve(grids.geometry.values, grid_owner)
    town_geom = _dissolve(village_geom, town_group)
    county_geom = _dissolve(town_geom, county_group)

    pad = {4: "00000000", 6: "000000", 9: "000", 12: ""}
    city_short = city_row["code"][:4]
    rows = {
        "code": [city_short + pad[4]],
        "short_code": [city_short],
        "level": ["city"],
        "parent_code": [None],
        "name": [city_row["name"]],
        "kind": ["地级市"],
        "urban": [bool(c_urban.sum() > 0.5 * c_people[:, 0].sum())],
        "population": [int(c_people[:, 0].sum())],
        "households": [int(c_people[:, 1].sum())],
    }
    levels = (
        ("county", counties["code"], counties["name"], counties["kind"],
         c_urban > 0.5 * c_people[:, 0], c_people, [city_short] * len(counties)),
        ("town", towns["code"], towns["name"], towns["kind"], towns["urban"], t_people,
         towns["county"]),
        ("village", villages["code"], villages["name"], villages["kind"], villages["urban"],
         v_people, villages["town"]),
    )  # fmt: skip
    for level, short, name, kind, urban, people, parent in levels:
        short = list(short)
        rows["code"] += [s + pad[len(s)] for s in short]
        rows["short_code"] += short
        rows["level"] += [level] * len(short)
        rows["parent_code"] += [p + pad[len(p)] for p in parent]
        rows["name"] += list(name)
        rows["kind"] += list(kind)
        rows["urban"] += [bool(u) for u in urban]
        rows["population"] += [int(v) for v in people[:, 0]]
        rows["households"] += [int(v) for v in people[:, 1]]

    city_geom = _dissolve(county_geom, np.zeros(len(counties), dtype=np.int64))
    geometry = [*city_geom, *county_geom, *town_geom, *village_geom]
    frame = gpd.GeoDataFrame(
        {
            "code": rows["code"],
            "short_code": rows["short_code"],
            "level": rows["level"],
            "parent_code": pd.Series(rows["parent_code"], dtype=object),
            "name": rows["name"],
            "kind": rows["kind"],
            "urban": np.array(rows["urban"], dtype=bool),
            "population": np.array(rows["population"], dtype=np.int64),
            "households": np.array(rows["households"], dtype=np.int64),
        },
        geometry=gpd.array.from_shapely(geometry, crs="EPSG:4326"),
    )
    return _add_measures(frame)[list(REGION_COLUMNS)]


def _finalise(geoms: np.ndarray) -> np.ndarray:
    """Guarantee valid Polygon/MultiPolygon output after the transform back to lon/lat."""
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = _polygonal(shapely.make_valid(geoms[invalid]))
    return geoms


def _add_measures(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Area in km² (UTM 51N) and a representative point guaranteed inside the polygon.

    The point, not the centroid, is used for labels and map markers because the centroid of
    a concave unit can fall in its neighbour.
    """
    frame["area_km2"] = frame.geometry.to_crs(_AREA_CRS).area.to_numpy() / 1e6
    point = shapely.point_on_surface(frame.geometry.values)
    frame["lon"] = shapely.get_x(point)
    frame["lat"] = shapely.get_y(point)
    return frame


def _dissolve(geoms: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Union the members of each group (groups numbered from 0, all non-empty).

    The input is an edge-matched coverage, so the coverage union is exact (shared edges
    cancel, no noding) and much faster than a general union.
    """
    geoms = np.asarray(geoms, dtype=object)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(group.max() + 2))
    merged = [
        shapely.coverage_union_all(geoms[order[a:b]])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return _finalise(np.array([_drop_specks(m) for m in merged], dtype=object))
