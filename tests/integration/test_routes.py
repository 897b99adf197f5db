"""The geometry route and the overview callback, through the Flask test client, logged in
as the demo city leader (``tests/auth_helpers.py``)."""

from __future__ import annotations

import json

import duckdb
import pytest

CITY = "320600000000"
COUNTY_NAMES = {"崇川区", "通州区", "海门区", "如东县", "启东市", "如皋市", "海安市"}
ETDZ = "320671000000"


@pytest.fixture(scope="module")
def db(demo_store):
    con = duckdb.connect(str(demo_store), read_only=True)
    yield con
    con.close()



def _geo(client, code, **headers):
    return client.get(f"/geo/{code}.geojson", headers=headers)


def _features(response):
    assert response.status_code == 200, response.data[:200]
    data = json.loads(response.data)
    assert data["type"] == "FeatureCollection"
    return data["features"]


def _max_decimals(coords) -> int:
    if isinstance(coords, float):
        text = repr(coords)
        return len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return max((_max_decimals(c) for c in coords), default=0)


def test_city_layer_has_the_county_level_regions(client):
    features = _features(_geo(client, CITY))
    codes = {f["properties"]["code"] for f in features}
    names = {f["properties"]["name"] for f in features}
    assert len(features) == 8
    assert ETDZ in codes
    assert COUNTY_NAMES <= names
    for f in features:
        props = f["properties"]
        assert {"code", "short_code", "name", "level"} <= set(props)
        assert props["level"] == "county"
        assert props["code"] == props["short_code"].ljust(12, "0")
        assert len(props["short_code"]) == 6
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert _max_decimals(f["geometry"]["coordinates"]) <= 5
        # Nantong lies roughly within 120–122.1°E, 31.6–32.8°N.
        assert 119.9 < props["lon"] < 122.2 and 31.5 < props["lat"] < 32.9


def test_layer_response_is_cacheable(client, settings):
    response = _geo(client, CITY)
    # private: layers are served to logged-in users only, so no shared cache may keep them.
    assert response.headers["Cache-Control"] == f"private, max-age={settings.cache_max_age}"
    assert "Cookie" in response.headers.get("Vary", "")
    etag = response.headers["ETag"]
    assert etag
    again = _geo(client, CITY, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    stale = _geo(client, CITY, **{"If-None-Match": 'W/"not-this-build"'})
    assert stale.status_code == 200
    # Each layer has its own validator, so a cached city layer never answers for a county.
    assert _geo(client, "320613000000").headers["ETag"] != etag


def test_layer_etag_follows_the_store_build(client, db):
    built_at = dict(db.execute("SELECT key, value FROM meta").fetchall())["built_at"]
    assert built_at
    first = _geo(client, CITY).headers["ETag"]
    assert _geo(client, CITY).headers["ETag"] == first


def test_layer_is_compressed_when_the_client_accepts_it(client):
    plain = _geo(client, CITY)
    packed = _geo(client, CITY, **{"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip"
    assert len(packed.data) < len(plain.data) / 2
    # The weak validator survives compression, so revalidation works either way.
    assert packed.headers["ETag"] == plain.headers["ETag"]


def test_county_layer_has_its_towns(client, db):
    county = "320613000000"
    features = _features(_geo(client, county))
    expected = {
        r[0]
        for r in db.execute(
            "SELECT code FROM regions WHERE parent_code = ? AND level = 'town'", [county]
        ).fetchall()
    }
    assert expected
    assert {f["properties"]["code"] for f in features} == expected
    assert all(f["properties"]["level"] == "town" for f in features)


def test_town_layer_has_its_villages(client, db):
    town = db.execute(
        "SELECT code FROM regions WHERE level = 'town' ORDER BY code LIMIT 1"
    ).fetchone()[0]
    features = _features(_geo(client, town))
    assert features
    assert all(f["properties"]["level"] == "village" for f in features)
    assert all(f["properties"]["code"].startswith(town[:9]) for f in features)


def test_village_layer_has_its_grids(client, db):
    village, n = db.execute(
        "SELECT village_code, count(*) FROM grids GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    ).fetchone()
    features = _features(_geo(client, village))
    assert len(features) == n
    for f in features:
        props = f["properties"]
        assert props["level"] == "grid"
        assert len(props["code"]) == 15 and props["code"].startswith(village)
        assert props["name"]


@pytest.mark.parametrize(
    "code",
    [
        "3206",  # short code, not the 12-digit one
        "32060000000",  # 11 digits
        "3206000000000",  # 13 digits
        "320600000000000",  # a grid code: grids have no children
        "32060000000a",
        "320600000000' OR '1'='1",
        "320600000000;DROP TABLE regions",
        "320600000000%27--",
        "%20320600000000",
        "１２３４５６７８９０１２",  # full-width digits
    ],
)
def test_malformed_codes_are_404_json(client, code):
    response = _geo(client, code)
    assert response.status_code == 404
    assert response.is_json
    assert "error" in response.get_json()


def test_unknown_codes_are_404_json(client):
    response = _geo(client, "320699000000")
    assert response.status_code == 404
    assert "unknown region" in response.get_json()["error"]


@pytest.mark.parametrize("code", ["999999999999", "000000000000", "320700000000"])
def test_codes_outside_the_jurisdiction_are_403(client, code):
    # Outside the user's region nothing is read, not even whether the region exists.
    response = _geo(client, code)
    assert response.status_code == 403
    assert "outside" in response.get_json()["error"]


def test_other_methods_are_refused(client):
    assert client.post(f"/geo/{CITY}.geojson").status_code == 405
