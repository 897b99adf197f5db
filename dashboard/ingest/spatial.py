"""Points to grids: vectorised point-in-polygon over the store's ~10k grid polygons.

An exact STRtree query costs about a microsecond per point, so a million points would
take as long as the rest of a load together. The index therefore rasterises the grids
once: a cell whose 3x3 neighbourhood no polygon boundary crosses lies wholly inside one
grid (or wholly outside all), so points in such cells take the owner of the cell's centre
by an array lookup. Points in cells next to a boundary are tested exactly against the
grid holding the cell's centre (right for most of them); only the rest go to the STRtree.
The answer is the same as the exact test for every point (the boundary mask is
conservative: boundaries are densified at a quarter cell and their cells dilated by one).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import shapely

from queries import names as Q

# cells per degree: ~55 m cells at 32°N keep the boundary band to a fifth of a ~1 km grid
CELLS_PER_DEGREE = 2000
NO_GRID = -1


class GridIndex:
    """Assign points to polygons (grids), exactly, in a few tens of ns per interior point.

    Parameters
    ----------
    codes : sequence of str
        One code per polygon.
    polygons : array of shapely geometries
        EPSG:4326 polygons; assumed not to overlap (a point on a shared edge goes to one of
        them, the one the STRtree returns first).
    """

    def __init__(self, codes, polygons, cells_per_degree: int = CELLS_PER_DEGREE,
                 cache: Path | None = None):
        self.codes = np.asarray(list(codes), dtype=object)
        self.polygons = np.asarray(polygons, dtype=object)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        x0, y0, x1, y1 = shapely.total_bounds(self.polygons)
        self.step = 1.0 / cells_per_degree
        self.x0, self.y0 = x0 - 2 * self.step, y0 - 2 * self.step
        self.nx = int(np.ceil((x1 - self.x0) / self.step)) + 3
        self.ny = int(np.ceil((y1 - self.y0) / self.step)) + 3
        self.bounds = (x0, y0, x1, y1)
        if cache is not None and cache.is_file():
            try:
                with np.load(cache) as npz:
                    self.owner, self.centre = npz["owner"], npz["centre"]
                if self.owner.shape == (self.ny, self.nx):
                    return
            except (OSError, ValueError, KeyError):
                pass
        self._rasterise()
        if cache is not None:
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp.npz")
            np.savez_compressed(tmp, owner=self.owner, centre=self.centre)
            os.replace(tmp, cache)

    @classmethod
    def from_store(cls, con, cache_dir: Path | None = None) -> GridIndex:
        """The grids of a store (its ``grids`` table).

        The raster takes a second or two to build for 10k grids, so it is cached as
        ``.gridindex-<sha>.npz`` in ``cache_dir`` (default: beside the store file), named
        by a hash of the grid codes and polygons: changed grids never reuse a stale raster.
        """
        from queries import run

        frame = run(con, Q.INGEST_GRID_POLYGONS)
        wkb = [bytes(g) for g in frame["geometry"]]
        h = hashlib.sha256()
        for code, geom in zip(frame["code"], wkb, strict=True):
            h.update(code.encode())
            h.update(geom)
        h.update(str(CELLS_PER_DEGREE).encode())
        cache = None
        if cache_dir is None:
            files = [r[0] for r in con.execute(
                "SELECT file FROM pragma_database_list WHERE name = current_database()"
            ).fetchall() if r[0]]
            cache_dir = Path(files[0]).parent if files else None
        if cache_dir is not None and os.access(cache_dir, os.W_OK):
            cache = Path(cache_dir) / f".gridindex-{h.hexdigest()[:16]}.npz"
        return cls(frame["code"].tolist(), shapely.from_wkb(wkb), cache=cache)

    def _cells(self, x, y):
        cx = np.floor((np.asarray(x) - self.x0) / self.step).astype(np.int64)
        cy = np.floor((np.asarray(y) - self.y0) / self.step).astype(np.int64)
        return cx, cy

    def _rasterise(self) -> None:
        owner = np.full((self.ny, self.nx), NO_GRID, dtype=np.int32)
        bounds = shapely.bounds(self.polygons)
        for i, (poly, (bx0, by0, bx1, by1)) in enumerate(zip(self.polygons, bounds,
                                                              strict=True)):
            cx0, cy0 = self._cells(bx0, by0)
            cx1, cy1 = self._cells(bx1, by1)
            xs = self.x0 + (np.arange(cx0, cx1 + 1) + 0.5) * self.step
            ys = self.y0 + (np.arange(cy0, cy1 + 1) + 0.5) * self.step
            gx, gy = np.meshgrid(xs, ys)
            inside = shapely.contains_xy(poly, gx, gy)
            block = owner[cy0:cy1 + 1, cx0:cx1 + 1]
            block[inside] = i
        edges = shapely.segmentize(shapely.boundary(self.polygons), self.step / 4)
        ex, ey = shapely.get_coordinates(edges).T
        cx, cy = self._cells(ex, ey)
        edge = np.zeros((self.ny, self.nx), dtype=bool)
        edge[cy, cx] = True
        near = edge.copy()
        near[1:, :] |= edge[:-1, :]
        near[:-1, :] |= edge[1:, :]
        wide = near.copy()
        wide[:, 1:] |= near[:, :-1]
        wide[:, :-1] |= near[:, 1:]
        self.centre = owner.copy()  # the grid holding the cell's centre: the first guess
        owner[wide] = -2  # undecided: the exact test answers
        self.owner = owner

    def assign(self, x, y) -> np.ndarray:
        """Index of the polygon containing each point, ``-1`` where none does.

        Parameters
        ----------
        x, y : numpy arrays of float
            Longitudes and latitudes; NaN gives ``-1``.
        """
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        out = np.full(len(x), NO_GRID, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        cx, cy = self._cells(np.where(ok, x, self.x0 - 1), np.where(ok, y, self.y0 - 1))
        ok &= (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)
        idx = np.flatnonzero(ok)
        cell = self.owner[cy[idx], cx[idx]]
        out[idx] = cell
        hard = idx[cell == -2]
        out[hard] = NO_GRID
        guess = self.centre[cy[hard], cx[hard]]
        tried = guess >= 0
        hit = np.zeros(len(hard), dtype=bool)
        hit[tried] = shapely.contains_xy(self.polygons[guess[tried]], x[hard[tried]],
                                         y[hard[tried]])
        out[hard[hit]] = guess[hit]
        hard = hard[~hit]
        if len(hard):
            pts = shapely.points(x[hard], y[hard])
            ip, ig = self.tree.query(pts, predicate="intersects")
            first = np.unique(ip, return_index=True)[1]
            out[hard[ip[first]]] = ig[first]
        return out

    def codes_of(self, index: np.ndarray) -> np.ndarray:
        """Grid codes for :meth:`assign` results; ``''`` for points outside every grid."""
        return np.where(index >= 0, self.codes[np.maximum(index, 0)], "")
