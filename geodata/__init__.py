"""Boundary and grid layers for GridCommand: vendored real boundaries, the demo builder.

Nothing here touches the UI; the dashboard imports these functions and serves the layers
it gets, one level at a time.
"""

from geodata.builder import GRID_COLUMNS, REGION_COLUMNS, Geography, build_geography
from geodata.loaders import available_cities, load_boundaries, load_divisions
from geodata.sampling import PointSampler

__all__ = [
    "GRID_COLUMNS",
    "REGION_COLUMNS",
    "Geography",
    "PointSampler",
    "available_cities",
    "build_geography",
    "load_boundaries",
    "load_divisions",
]
