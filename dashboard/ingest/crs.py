"""Coordinate systems: EPSG codes through pyproj, and China's two obfuscated systems.

GCJ-02 (国测局坐标, used by AMap, Tencent and most Chinese apps) and BD-09 (Baidu) are not
EPSG systems: they are WGS-84 plus a published non-linear offset (several hundred metres
in Nantong). The forward formulas below are the published ones; GCJ-02 → WGS-84 has no
closed form, so it is inverted by fixed-point iteration to well under a millimetre. All
functions take and return numpy arrays, so a million points convert in milliseconds.
CGCS2000 (EPSG:4490) is treated as WGS-84 (EPSG:4326): they differ by centimetres.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

#: names a mapping or a command line may give for the two offset systems
OFFSET_SYSTEMS = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}
#: geographic systems stored as they are
WGS84_ALIASES = {"epsg:4326", "epsg:4490", "wgs84", "cgcs2000", "crs84", "ogc:crs84"}


class CRSError(ValueError):
    """An unknown or unusable coordinate reference system."""


def _dlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _dlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def _offset(lon, lat):
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * np.pi)
    dlon = (dlon * 180.0) / (_A / sq * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """WGS-84 → GCJ-02 (the published forward formula); arrays or scalars."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 6):
    """GCJ-02 → WGS-84 by fixed-point iteration on the forward formula (error < 1e-9°)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu's published formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat):
    """BD-09 → GCJ-02 (the published approximate inverse)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def normalise(crs: str | int | None) -> str:
    """A canonical name: ``EPSG:4326`` for WGS-84 and CGCS2000, ``gcj02``, ``bd09`` or a
    pyproj-readable string; raise :class:`CRSError` for anything pyproj does not know."""
    if crs is None or str(crs).strip() == "":
        return "EPSG:4326"
    text = str(crs).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    low = text.lower()
    if low in OFFSET_SYSTEMS:
        return OFFSET_SYSTEMS[low]
    if low in WGS84_ALIASES:
        return "EPSG:4326"
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    try:
        parsed = CRS.from_user_input(text)
    except ProjError as exc:
        raise CRSError(f"unknown coordinate reference system: {crs!r}") from exc
    epsg = parsed.to_epsg()
    if epsg in (4326, 4490):
        return "EPSG:4326"
    return parsed.to_string()


def to_wgs84(x, y, crs: str | int | None):
    """Convert coordinate arrays in ``crs`` to WGS-84 lon/lat arrays.

    Parameters
    ----------
    x, y : array-like
        Easting/longitude and northing/latitude (always x first, whatever the CRS's axis
        order says, as exports write them).
    crs : str
        Anything :func:`normalise` accepts.
    """
    name = normalise(crs)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if name == "EPSG:4326":
        return x, y
    if name == "gcj02":
        return gcj02_to_wgs84(x, y)
    if name == "bd09":
        return bd09_to_wgs84(x, y)
    from pyproj import Transformer

    tr = Transformer.from_crs(name, "EPSG:4326", always_xy=True)
    return tr.transform(x, y)
