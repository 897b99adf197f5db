"""A 311-style export with a geocoder placeholder point, modelled on a real one.

In the real export 14% of the rows sat at one default coordinate (the city hall): the
addresses the geocoder could not resolve. This writes such a file for a copy of a demo
store: foreign column names (``Unique Key``, ``Created Date`` in US 12-hour time,
``Complaint Type``, ``Longitude``/``Latitude``, ``Ward``), real points spread over the
city's grids, and ``share`` of the rows at the placeholder point; some rows name their
ward (a town, the level a 311 export calls a ward), some do not. The expected placement of
every row is computed here independently of the loader: shapely's exact point-in-polygon
over the grid polygons (not the loader's raster index) for real points, the ward for
placeholder rows that have one, nothing for the rest.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

COMPLAINTS = {"Noise - Residential": "E0301", "Illegal Dumping": "E0102",
              "Street Condition": "E0104", "Graffiti": "E0201", "Building": "E0101"}
TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
CITY_HALL = (120.866, 32.010)  # the demo city's seat of government (崇川区)


def mapping_text(extra: str = "") -> str:
    """The column map of the export (TOML)."""
    values = "\n".join(f'"{k}" = "{v}"' for k, v in COMPLAINTS.items())
    return f"""kind = "incidents"
[source]
time_format = "{TIME_FORMAT}"
[columns]
case_no = "Unique Key"
reported_at = "Created Date"
closed_at = "Closed Date"
category_code = "Complaint Type"
lon = "Longitude"
lat = "Latitude"
region_code = "Ward"
[values.category_code]
{values}
[defaults]
source = "12345热线"
{extra}"""


def grids_of(con) -> pd.DataFrame:
    frame = con.execute("SELECT code, geometry FROM grids ORDER BY code").df()
    frame["geom"] = shapely.from_wkb([bytes(b) for b in frame["geometry"]])
    return frame.drop(columns="geometry")


def exact_grid(grids: pd.DataFrame, lon, lat) -> np.ndarray:
    """The grid each point lies in by shapely's exact test ('' for none)."""
    tree = shapely.STRtree(grids["geom"].to_numpy())
    pts = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    out = np.full(len(pts), "", dtype=object)
    src, dst = tree.query(pts, predicate="within")
    out[src] = grids["code"].to_numpy()[dst]
    return out


def placeholder_point(grids: pd.DataFrame) -> tuple[float, float]:
    """The city hall's coordinate, which lies in one of the store's grids."""
    assert exact_grid(grids, [CITY_HALL[0]], [CITY_HALL[1]])[0], "city hall outside the grids"
    return CITY_HALL


def export_311(store: Path, out: Path, n: int = 1000, share: float = 0.14,
               ward_share: float = 0.45, seed: int = 11, prefix: str = "311-",
               day0: str | None = None, order: str = "random") -> pd.DataFrame:
    """Write the export to ``out`` (CSV) and return it with the expected placement.

    ``order`` puts the placeholder rows at random (``random``) or evenly spread through
    the file (``spread``).

    Returns
    -------
    DataFrame
        The rows as written plus ``placeholder`` (bool), ``ward_code`` (12-digit town code
        or ''), ``created`` (the report time), ``true_grid`` (the grid of a real point, by
        shapely), ``expect_grid`` (the grid code the row must get: the real point's grid;
        for a placeholder row the ward's code padded to 15 digits, or the whole area's
        padded code without a ward).
    """
    rng = np.random.default_rng(seed)
    with duckdb.connect(str(store), read_only=True) as con:
        grids = grids_of(con)
        towns = con.execute("SELECT code, short_code FROM regions WHERE level = 'town' "
                            "ORDER BY code").df()
        root = con.execute("SELECT short_code FROM regions WHERE parent_code IS NULL"
                           ).fetchone()[0]
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    hall = placeholder_point(grids)
    k = round(n * share)
    flags = np.zeros(n, dtype=bool)
    if order == "spread":  # evenly through the file (one in seven at 14%)
        flags[np.linspace(0, n - 1, k).astype(int)] = True
    else:
        flags[:k] = True
        rng.shuffle(flags)
    # real points: uniformly inside randomly chosen grids (rejection sampling)
    lon = np.full(n, hall[0])
    lat = np.full(n, hall[1])
    picks = rng.integers(0, len(grids), size=n)
    for i in np.flatnonzero(~flags):
        geom = grids["geom"].iat[picks[i]]
        x0, y0, x1, y1 = geom.bounds
        while True:
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if geom.contains(shapely.Point(x, y)):
                break
        lon[i], lat[i] = round(x, 6), round(y, 6)
    true_grid = np.where(flags, "", exact_grid(grids, lon, lat))
    town_of = dict(zip(towns["short_code"], towns["code"], strict=True))
    ward = np.full(n, "", dtype=object)
    has_ward = rng.random(n) < ward_share
    for i in range(n):
        if not has_ward[i]:
            continue
        if flags[i]:  # the geocoder failed, the ward field did not
            ward[i] = towns["code"].iat[rng.integers(0, len(towns))]
        else:
            ward[i] = town_of[true_grid[i][:9]]
    expect = np.where(~flags, true_grid,
                      np.where(ward != "", [w[:9].ljust(15, "0") for w in ward],
                               root.ljust(15, "0")))
    # the four weeks before the store's last day (the pages' default period: 30 days)
    start = pd.Timestamp(day0) if day0 else (
        pd.Timestamp(meta["history_end"]).normalize() - pd.Timedelta(days=28))
    created = start + pd.to_timedelta(rng.integers(0, 25 * 24 * 3600, size=n), unit="s")
    closed = created + pd.to_timedelta(rng.integers(3600, 3 * 24 * 3600, size=n), unit="s")
    open_ = rng.random(n) < 0.3
    frame = pd.DataFrame({
        "Unique Key": [f"{prefix}{i:06d}" for i in range(n)],
        "Created Date": [t.strftime(TIME_FORMAT) for t in created],
        "Closed Date": ["" if o else t.strftime(TIME_FORMAT) for o, t in
                        zip(open_, closed, strict=True)],
        "Complaint Type": rng.choice(list(COMPLAINTS), size=n),
        "Longitude": lon, "Latitude": lat, "Ward": ward,
    })
    frame.to_csv(out, index=False)
    return frame.assign(placeholder=flags, ward_code=ward, true_grid=true_grid,
                        expect_grid=expect, created=created)
