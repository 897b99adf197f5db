"""Uniform random points inside polygons, vectorised.

The demo needs millions of synthetic incidents, each located inside a given grid, and the
builder needs tessellation seeds inside a given parent. Rejection sampling in the bounding
box is slow for thin or concave shapes and needs a loop until every point lands; instead
each polygon is triangulated once (constrained Delaunay, so every triangle lies inside the
polygon and holes are respected) and a point is drawn by choosing a triangle with
probability proportional to its area, then a barycentric point within it. Both steps are
array operations, so the cost per point is a few vector operations regardless of shape.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["PointSampler"]

_EDGE_MARGIN = 0.001
"""Smallest barycentric weight: keeps points off triangle edges so they are strictly inside.

A point exactly on a shared triangle edge is still inside the polygon, but a point on an
edge that is also the polygon boundary is not (``contains`` excludes the boundary). Pulling
weights into ``[0.001, 0.998]`` shrinks each triangle by 0.3 % about its centroid, a bias
far below anything a dashboard can show.
"""

_MIN_TRIANGLE_SHARE = 1e-12
"""Triangles smaller than this share of their polygon are dropped.

Constrained Delaunay can emit needle triangles along nearly collinear vertices; their area
is numerically zero, so sampling them would only risk points on the boundary.
"""


class PointSampler:
    """Draw uniformly distributed points strictly inside a fixed set of polygons.

    Parameters
    ----------
    polygons : geopandas.GeoSeries or array_like of shapely geometries
        Polygons or MultiPolygons, in EPSG:4326 (lon/lat) for the dashboard, though any
        planar coordinates work. The triangulation is done once here and reused by every
        call to :meth:`sample`.

    Notes
    -----
    Uniformity is in the coordinate plane of the input. In lon/lat over a city-sized area
    the distortion against true area is below one percent, which is irrelevant for synthetic
    incidents.

    Examples
    --------
    >>> sampler = PointSampler(geography.grids.geometry)
    >>> rng = np.random.default_rng(7)
    >>> lon, lat = sampler.sample(np.array([0, 0, 5]), rng)
    """

    def __init__(self, polygons) -> None:
        geoms = np.asarray(getattr(polygons, "values", polygons), dtype=object)
        if geoms.ndim != 1 or len(geoms) == 0:
            raise ValueError("PointSampler needs a non-empty one-dimensional set of polygons")
        types = shapely.get_type_id(geoms)
        if not np.isin(types, (3, 6)).all():
            raise ValueError("PointSampler accepts only Polygon and MultiPolygon geometries")

        triangles, owner = shapely.get_parts(
            shapely.constrained_delaunay_triangles(geoms), return_index=True
        )
        coords = shapely.get_coordinates(triangles).reshape(len(triangles), 4, 2)[:, :3, :]
        a, b, c = coords[:, 0, :], coords[:, 1, :], coords[:, 2, :]
        area = 0.5 * np.abs(
            (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
        )
        polygon_area = np.bincount(owner, weights=area, minlength=len(geoms))
        keep = area > _MIN_TRIANGLE_SHARE * polygon_area[owner]
        a, b, c, area, owner = a[keep], b[keep], c[keep], area[keep], owner[keep]

        counts = np.bincount(owner, minlength=len(geoms))
        if (counts == 0).any():
            bad = np.flatnonzero(counts == 0)[:5].tolist()
            raise ValueError(f"polygons at positions {bad} have no area to sample from")

        self._a, self._b, self._c = a, b, c
        self._cumulative = np.cumsum(area)
        self._start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self._stop = np.cumsum(counts)
        self._offset = np.concatenate(([0.0], self._cumulative))[self._start]
        self._area = np.bincount(owner, weights=area, minlength=len(geoms))

    def __len__(self) -> int:
        return len(self._start)

    def sample(self, idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw one point inside polygon ``idx[i]`` for every ``i``.

        Parameters
        ----------
        idx : numpy.ndarray of int
            Positions into the polygons given at construction; repeats are expected (one
            entry per incident).
        rng : numpy.random.Generator
            Source of randomness, passed in so callers control reproducibility.

        Returns
        -------
        lon, lat : numpy.ndarray of float
            Coordinates with ``shapely.contains_xy(polygons[idx], lon, lat)`` all True.
        """
        idx = np.asarray(idx, dtype=np.intp)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"polygon index out of range 0..{len(self) - 1}")
        n = idx.size
        target = self._offset[idx] + rng.random(n) * self._area[idx]
        tri = np.searchsorted(self._cumulative, target, side="right")
        tri = np.clip(tri, self._start[idx], self._stop[idx] - 1)

        r1 = rng.random(n)
        r2 = rng.random(n)
        flip = r1 + r2 > 1.0
        r1 = np.where(flip, 1.0 - r1, r1)
        r2 = np.where(flip, 1.0 - r2, r2)
        scale = 1.0 - 3.0 * _EDGE_MARGIN
        w1 = _EDGE_MARGIN + scale * r1
        w2 = _EDGE_MARGIN + scale * r2
        w0 = 1.0 - w1 - w2

        a, b, c = self._a[tri], self._b[tri], self._c[tri]
        x = w0 * a[:, 0] + w1 * b[:, 0] + w2 * c[:, 0]
        y = w0 * a[:, 1] + w1 * b[:, 1] + w2 * c[:, 1]
        return x, y
