"""Read the vendored real data: county polygons and the statistical division lists.

Everything the demo knows about real places lives in ``geodata/<city>/`` inside the
package (see ``geodata/nantong/SOURCES.md``), so a fresh clone runs offline and without the
shared data folder used during development.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import shapely

__all__ = [
    "Divisions",
    "available_cities",
    "city_key",
    "load_boundaries",
    "load_divisions",
]

_DATA_ROOT = Path(__file__).resolve().parent

_CITY_FOLDERS = MappingProxyType({"3206": "nantong"})
"""Four-digit city code to the package folder holding that city's vendored files."""


@dataclass(frozen=True)
class Divisions:
    """The 2023 statistical division lists of one city, codes as strings.

    Attributes
    ----------
    counties, towns, villages : pandas.DataFrame
        The vendored CSV files unchanged (columns ``code``, ``name`` and the parent code
        columns of the source), read as text so leading digits are never lost.
    """

    counties: pd.DataFrame
    towns: pd.DataFrame
    villages: pd.DataFrame


def available_cities() -> tuple[str, ...]:
    """Four-digit codes of the cities whose data ships with the package."""
    return tuple(sorted(_CITY_FOLDERS))


def city_key(city: str) -> str:
    """Normalise a city code to its four-digit form, or raise for an unknown city.

    Accepting ``"3206"``, ``"320600"`` and ``"320600000000"`` lets callers pass whichever
    form of the code they hold (short code, boundary file code, 12-digit region code).

    Raises
    ------
    ValueError
        If no data is vendored for the city; the message lists the cities that are.
    """
    text = str(city).strip()
    key = text[:4] if len(text) in (4, 6, 12) and set(text[4:]) <= {"0"} else text
    if key not in _CITY_FOLDERS:
        known = ", ".join(available_cities())
        raise ValueError(
            f"no geography is vendored for city {city!r}; available city codes: {known}"
        )
    return key


def _folder(city: str) -> Path:
    return _DATA_ROOT / _CITY_FOLDERS[city_key(city)]


def load_boundaries(city: str = "3206") -> gpd.GeoDataFrame:
    """Real city and county polygons, in EPSG:4326, checked valid.

    The source CRS is EPSG:4490 (CGCS2000). It is relabelled, not transformed, as
    EPSG:4326: the two datums agree to within a metre, far below the simplification of
    these boundaries, and pyproj has no published transformation between them anyway, so a
    ``to_crs`` would only cost time. Web maps (Leaflet, RFC 7946 GeoJSON) expect WGS84.

    Parameters
    ----------
    city : str
        City code, e.g. ``"3206"`` for 南通市.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code`` (6-digit source code: ``"320600"`` for the city), ``name``,
        ``level`` (``"city"``/``"county"``) and ``geometry`` (Polygon/MultiPolygon).

    Raises
    ------
    ValueError
        For an unknown city, or if a polygon cannot be repaired into a polygonal geometry.
    """
    gdf = gpd.read_file(_folder(city) / "boundaries.geojson")
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    gdf["code"] = gdf["code"].astype(str)
    gdf["geometry"] = _valid_polygons(gdf.geometry.values, gdf["code"].tolist())
    return gdf[["code", "name", "level", "geometry"]].reset_index(drop=True)


def load_divisions(city: str = "3206") -> Divisions:
    """The vendored 2023 county, town and village lists of a city.

    Parameters
    ----------
    city : str
        City code, e.g. ``"3206"``.

    Returns
    -------
    Divisions
    """
    folder = _folder(city)

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / name, dtype=str, keep_default_na=False)

    return Divisions(read("counties.csv"), read("towns.csv"), read("villages.csv"))


def _valid_polygons(geoms, labels) -> gpd.array.GeometryArray:
    """Repair invalid geometries, keeping only their polygonal parts.

    ``make_valid`` can return a GeometryCollection with stray lines or points; the map and
    the point-in-polygon join only understand areas, so anything else is dropped, and an
    input that has no area left is an error rather than a silent hole in the map.
    """
    geoms = shapely.make_valid(geoms)
    fixed = []
    for geom, label in zip(geoms, labels, strict=True):
        if shapely.get_type_id(geom) not in (3, 6):
            parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
            geom = shapely.union_all(parts) if parts else shapely.Polygon()
        if geom.is_empty or not geom.is_valid:
            raise ValueError(f"boundary {label} is not a valid polygon")
        fixed.append(geom)
    return gpd.array.from_shapely(fixed, crs="EPSG:4326")
