"""GCJ-02 / BD-09 conversions: published reference values and round trips."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.ingest import crs


def test_known_point_tiananmen():
    # reference values of the published formulas (e.g. the coordtransform libraries)
    assert crs.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12)
    assert crs.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12)
    assert crs.bd09_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-12)


def test_round_trips_over_nantong():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(120.2, 121.9, 10_000), rng.uniform(31.6, 32.7, 10_000)
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-9 and np.abs(back[1] - lat).max() < 1e-9
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    assert np.abs(back[0] - lon).max() < 2e-6 and np.abs(back[1] - lat).max() < 2e-6
    # the offset is hundreds of metres: big enough to put a point in the wrong grid
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    metres = np.hypot((glon - lon) * 94_000, (glat - lat) * 111_000)
    assert 200 < metres.min() and metres.max() < 900


def test_epsg_systems():
    assert crs.normalise("EPSG:4490") == "EPSG:4326"
    assert crs.normalise("4326") == "EPSG:4326"
    assert crs.normalise("GCJ-02") == "gcj02"
    x, y = crs.to_wgs84([500000.0], [3540000.0], "EPSG:4549")
    assert x[0] == pytest.approx(120.0) and 31.9 < y[0] < 32.1
    with pytest.raises(crs.CRSError):
        crs.normalise("EPSG:999999")
